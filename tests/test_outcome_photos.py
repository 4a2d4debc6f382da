"""A summary's photo: a pixel cap that fits a web worker's memory, checked before
decoding, with the right message; and phones' multi-picture JPEGs (MPO) taken as JPEG,
their first picture (issue #20, findings 7 and 8)."""

from __future__ import annotations

import io
import struct
import time
import zlib

from PIL import Image

from coordapp.extensions import db
from coordapp.models import OutcomePhoto
from tests.conftest import login_as
from tests.test_outcomes import (
    save,
    start,
    summary_for,
    text,
    world,  # noqa: F401
)


def png_claiming(width: int, height: int) -> bytes:
    """A valid grey PNG of width × height, all black: tiny on disk, huge decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + b"\x00" * width  # filter byte, then one byte a pixel
    compressor = zlib.compressobj(9)
    rows = b"".join(compressor.compress(row * 100_000) for _ in range(height // 100_000))
    rows += compressor.compress(row * (height % 100_000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _upload(client, world, data: bytes, name: str):  # noqa: F811
    login_as(client, world.secretariat)
    start(client, world.meeting)
    started = time.perf_counter()
    response = save(client, world.meeting, photo=data, photo_name=name, photo_alt="A photo")
    return response, time.perf_counter() - started


def test_a_tiny_png_claiming_forty_million_pixels_is_refused_quickly(world, client):  # noqa: F811
    bomb = png_claiming(1, 39_999_999)
    assert len(bomb) < 200_000
    response, seconds = _upload(client, world, bomb, "long.png")
    assert response.status_code == 400
    assert "too many pixels" in text(response)
    assert "must be a JPEG" not in text(response)
    assert seconds < 2, seconds
    assert summary_for(world.meeting).photo_id is None


def test_beyond_pillows_own_limit_the_message_is_still_too_many_pixels(world, client):  # noqa: F811
    response, _seconds = _upload(client, world, png_claiming(10_000, 10_000), "huge.png")
    assert response.status_code == 400
    assert "too many pixels" in text(response)


def test_a_multi_picture_jpeg_is_taken_as_a_jpeg_of_its_first_picture(world, client):  # noqa: F811
    first = Image.new("RGB", (64, 48), (200, 30, 30))
    second = Image.new("RGB", (64, 48), (30, 200, 30))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    response, _seconds = _upload(client, world, out.getvalue(), "phone.jpg")
    assert response.status_code == 302, text(response)
    photo = db.session.get(OutcomePhoto, summary_for(world.meeting).photo_id)
    assert photo.content_type == "image/jpeg"
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG" and stored.size == (64, 48)
    red, green, _blue = stored.getpixel((32, 24))
    assert red > 150 and green < 100  # the first picture, not the second


def test_a_large_phone_photo_is_still_taken_and_scaled_down(world, client):  # noqa: F811
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (90, 90, 200)).save(out, "JPEG", quality=50)  # 48 Mpx
    response, _seconds = _upload(client, world, out.getvalue(), "big.jpg")
    assert response.status_code == 302, text(response)
    photo = db.session.get(OutcomePhoto, summary_for(world.meeting).photo_id)
    assert Image.open(io.BytesIO(photo.data)).size == (2400, 1800)
