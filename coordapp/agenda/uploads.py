"""Checking an uploaded attachment: its type by content, its name, its size.

The type is read from the file's first bytes (and, for Office zip formats, from the zip's
directory), never from the name or the browser's Content-Type; the extension must then
agree with what the content is, so a PNG called "budget.pdf" is refused.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _

from coordapp.errors import DomainError

MAX_DISPLAY_NAME = 150

# Detected kind → (content type, extensions that may carry it).
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", ("pdf",)),
    "png": ("image/png", ("png",)),
    "jpeg": ("image/jpeg", ("jpg", "jpeg")),
    "gif": ("image/gif", ("gif",)),
    "webp": ("image/webp", ("webp",)),
    "doc": ("application/msword", ("doc",)),
    "xls": ("application/vnd.ms-excel", ("xls",)),
    "ppt": ("application/vnd.ms-powerpoint", ("ppt",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ("pptx",),
    ),
    "odt": ("application/vnd.oasis.opendocument.text", ("odt",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ("ods",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", ("odp",)),
}
ALLOWED_EXTENSIONS = sorted({ext for _type, exts in KINDS.values() for ext in exts})

OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
# Stream names (UTF-16LE in the OLE directory) that say which legacy Office file it is.
OLE2_STREAMS = {
    "doc": ("WordDocument",),
    "xls": ("Workbook", "Book"),
    "ppt": ("PowerPoint Document",),
}
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}


class UploadError(DomainError):
    """The file is refused; the message says why, for the person who uploaded it."""

    status = 400


@dataclass(frozen=True)
class CheckedUpload:
    filename: str  # display name, safe to show and to send back
    content_type: str
    data: bytes


def detect_kind(data: bytes) -> str | None:
    """What the content is (a key of KINDS), or None if it is nothing we accept."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(OLE2_SIGNATURE):
        return _legacy_office_kind(data)
    if data.startswith(b"PK\x03\x04"):
        return _zip_office_kind(data)
    return None


def _legacy_office_kind(data: bytes) -> str | None:
    for kind, streams in OLE2_STREAMS.items():
        if any(name.encode("utf-16-le") in data for name in streams):
            return kind
    return None


def _zip_office_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                if archive.getinfo("mimetype").file_size > 200:
                    return None
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return ODF_MIMETYPES.get(mimetype)
            if "[Content_Types].xml" in names:
                for kind, prefix in OOXML_PARTS.items():
                    if any(name.startswith(prefix) for name in names):
                        return kind
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, RuntimeError):
        return None
    return None


_CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x1f\x7f/\\]")


def display_name(raw: str | None) -> str:
    """The original file name without any path, control characters or odd spacing,
    limited in length (the extension is kept)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"[\t\n\r\f\v]", " ", name)
    name = "".join(
        ch for ch in name if not unicodedata.category(ch).startswith("C")
    )  # control, format (e.g. right-to-left override), unassigned
    name = _CONTROL_OR_SEPARATOR.sub("", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_DISPLAY_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_DISPLAY_NAME]
    return name


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def check_upload(raw_name: str | None, data: bytes, max_bytes: int) -> CheckedUpload:
    """Accept the file or raise UploadError with a message for the user."""
    name = display_name(raw_name)
    if not data:
        raise UploadError(_("The file is empty."))
    if len(data) > max_bytes:
        raise UploadError(
            _(
                "The file is too large: attachments may be at most %(limit)s.",
                limit=human_size(max_bytes),
            )
        )
    ext = extension_of(name)
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadError(
            _(
                "This type of file is not accepted. Allowed: PDF, Office documents "
                "(%(office)s) and images (%(images)s).",
                office="doc, docx, xls, xlsx, ppt, pptx, odt, ods, odp",
                images="png, jpg, gif, webp",
            )
        )
    kind = detect_kind(data)
    if kind is None:
        raise UploadError(
            _(
                "The content of “%(name)s” is not a PDF, Office document or image we "
                "accept, whatever its name says.",
                name=name,
            )
        )
    content_type, extensions = KINDS[kind]
    if ext not in extensions:
        raise UploadError(
            _(
                "The file “%(name)s” is called .%(ext)s but its content is %(kind)s. "
                "Please rename it or upload the right file.",
                name=name,
                ext=ext,
                kind=kind.upper(),
            )
        )
    return CheckedUpload(filename=name, content_type=content_type, data=data)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return (
            f"{size / (1024 * 1024):.0f} MB"
            if size % (1024 * 1024) == 0
            else (f"{size / (1024 * 1024):.1f} MB")
        )
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
