"""Signature fields and PAdES baseline B-B signatures, each an incremental update.

The workflow for minutes: the rendered PDF gets one empty field per chair in ONE
incremental update (add_signature_fields); each approval then fills its chair's field
(sign_field) in a further incremental update, so earlier signatures stay valid and every
later revision is a permitted "form filling" change. No network is used: no timestamp
authority, no OCSP/CRL fetching.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_datetime
from cryptography import x509
from flask import current_app, has_app_context
from fontTools import subset, ttLib
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from coordapp.i18n import current_locale, datetime_pattern, zone_name
from coordapp.signing import SigningError, outside_event_loop
from coordapp.signing import gettext_anywhere as _

# fontTools reports every font table it drops while subsetting the stamp font; noise.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

# Used when SIGNING_STAMP_FONT is not set: fonts with Latin, Cyrillic and Greek.
FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@dataclass(frozen=True)
class SignatureFieldSpec:
    """An empty signature field: its name, page index (-1: last page) and box in PDF points
    (lower-left x, lower-left y, upper-right x, upper-right y; the origin is bottom left)."""

    name: str
    page: int
    box: tuple[float, float, float, float]


def add_signature_fields(pdf: bytes, fields_to_add: list[SignatureFieldSpec]) -> bytes:
    """`pdf` with the given empty signature fields added, all in one incremental update."""
    names = [spec.name for spec in fields_to_add]
    if not names or len(set(names)) != len(names):
        raise SigningError("give at least one signature field, each with its own name")
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        for spec in fields_to_add:
            fields.append_signature_field(
                writer,
                SigFieldSpec(
                    sig_field_name=spec.name,
                    on_page=spec.page,
                    box=tuple(spec.box),
                    empty_field_appearance=False,
                ),
            )
        out = BytesIO()
        writer.write(out)
    except (PdfError, PyHankoSigningError, ValueError) as error:
        raise SigningError(f"cannot add signature fields: {error}") from error
    return out.getvalue()


def signature_field_names(pdf: bytes) -> dict[str, bool]:
    """{field name: already signed?} for every signature field in `pdf`."""
    reader = PdfFileReader(BytesIO(pdf))
    return {
        name: value is not None
        for name, value, _ref in fields.enumerate_sig_fields(reader, filled_status=None)
    }


class _PdfSignerAt(signers.PdfSigner):
    """pyHanko's signer, with the signing time given instead of read from the clock: the
    worker signs a moment after the chair approved, and the approval time is what counts."""

    def __init__(self, *args, signing_time: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign_field(
    pdf: bytes,
    field_name: str,
    cert: x509.Certificate,
    key,
    chain: list[x509.Certificate],
    *,
    signer_name: str,
    role_label: str,
    reason: str = "Approval of minutes",
    location: str | None = None,
    when: datetime,
) -> bytes:
    """`pdf` with a PAdES B-B signature (SHA-256) in the existing empty field `field_name`,
    appended as an incremental update, with a visible stamp naming the signer, their role
    and the time. `when` must be aware; the stamp shows it in its own timezone, so pass it
    in the meeting's timezone."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise SigningError("the signing time must be an aware datetime")
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise SigningError(
            f"the signer's certificate is valid from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} "
            f"to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, not at the signing time {when}"
        )
    try:
        status = signature_field_names(pdf)
    except (PdfError, ValueError) as error:
        raise SigningError(f"not a PDF that can be signed: {error}") from error
    if field_name not in status:
        raise SigningError(f"the PDF has no signature field named {field_name!r}")
    if status[field_name]:
        raise SigningError(f"the signature field {field_name!r} is already signed")

    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=SimpleCertificateStore.from_certs(
            [translate_pyca_cryptography_cert_to_asn1(c) for c in chain]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    pdf_signer = _PdfSignerAt(metadata, signer, stamp_style=_stamp_style(), signing_time=when)
    text = {
        "heading": _("Digitally signed by"),
        "name": signer_name,
        "role": role_label,
        "when": _format_time(when),
    }
    try:
        # A fresh writer on the bytes as they are now: the signature covers this revision.
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        out = outside_event_loop(
            pdf_signer.sign_pdf, writer, existing_fields_only=True, appearance_text_params=text
        )
    except (PdfError, PyHankoSigningError, ValueError) as error:
        raise SigningError(f"signing failed: {error}") from error
    return out.getvalue()


def _format_time(when: datetime) -> str:
    """The signing time on the stamp, in the language being spoken (the meeting's)."""
    zone = getattr(when.tzinfo, "key", None) or when.strftime("%Z") or when.strftime("UTC%z")
    locale = current_locale() if has_app_context() else None
    if locale is None or locale.language == "en":
        return f"{when:%Y-%m-%d %H:%M} {zone}"
    text = format_datetime(
        when.replace(tzinfo=None), datetime_pattern(locale, weekday=False), locale=locale
    )
    return f"{text} ({zone_name(zone, locale)})"


def _stamp_font() -> str | None:
    configured = current_app.config.get("SIGNING_STAMP_FONT") if has_app_context() else None
    candidates = [configured] if configured else list(FALLBACK_FONTS)
    for path in candidates:
        if path and Path(path).is_file():
            return path
    if configured:
        raise SigningError(f"SIGNING_STAMP_FONT {configured} does not exist")
    return None


# Characters the stamp font keeps: Latin (with extensions), Greek, Cyrillic, punctuation.
STAMP_FONT_RANGES = [(0x20, 0x24F), (0x370, 0x52F), (0x2000, 0x206F), (0x20AC, 0x20AC)]


@lru_cache(maxsize=4)
def _prepared_font(path: str) -> bytes:
    """The stamp font, made small and 1000 units per em, once per process.

    pyHanko writes glyph widths in font units as if every font had 1000 units per em;
    TrueType fonts usually have 2048, which spreads the letters out, so the font is
    rescaled. It is also subset to the scripts we need, without layout tables: pyHanko
    re-subsets it into every signature, and a full font costs ~0.4 s per signature.
    """
    font = ttLib.TTFont(path)
    if font["head"].unitsPerEm == 1000 and "GSUB" not in font:
        # Already prepared (static/fonts/DejaVuSans-stamp.ttf ships that way: preparing
        # costs seconds on the first signature of every worker process).
        return Path(path).read_bytes()
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(
        unicodes=[c for first, last in STAMP_FONT_RANGES for c in range(first, last + 1)]
    )
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


class _PreparedFontFactory(GlyphAccumulatorFactory):
    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_prepared_font(self.font_file)),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _stamp_style() -> TextStampStyle:
    font_path = _stamp_font()
    if font_path is None:
        raise SigningError(
            "no font for the signature stamp: set SIGNING_STAMP_FONT to a TrueType font "
            "that covers the chairs' names"
        )
    return TextStampStyle(
        stamp_text="%(heading)s\n%(name)s\n%(role)s\n%(when)s",
        text_box_style=TextBoxStyle(
            font=_PreparedFontFactory(font_path, font_size=10), font_size=10, leading=13
        ),
        border_width=1,
        border_color=(0.3, 0.3, 0.3),
    )
