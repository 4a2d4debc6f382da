"""A hostile PDF for /verify: valid, tiny to write, and costly to parse (many form fields)."""

from __future__ import annotations


def hostile_pdf(fields: int) -> bytes:
    """A valid PDF whose AcroForm lists `fields` signature fields, written directly."""
    chunks = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    position = len(chunks[0])

    def add(body: bytes) -> None:
        nonlocal position
        number = len(offsets) + 1
        offsets.append(position)
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        chunks.append(chunk)
        position += len(chunk)

    first_field = 4
    refs = b" ".join(b"%d 0 R" % n for n in range(first_field, first_field + fields))
    add(b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + refs + b"] >> >>")
    add(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>")
    for n in range(fields):
        add(b"<< /FT /Sig /T (f%d) /Rect [0 0 0 0] /P 3 0 R >>" % n)
    xref = [b"xref\n0 %d\n" % (len(offsets) + 1), b"0000000000 65535 f \n"]
    xref += [b"%010d 00000 n \n" % offset for offset in offsets]
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1,
        position,
    )
    return b"".join(chunks + xref + [trailer])
