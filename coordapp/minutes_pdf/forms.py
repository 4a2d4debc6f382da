"""Forms of the minutes PDF: signing with one's own certificate, and "Try again"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField
from wtforms.validators import Length, Optional

# A PKCS#12 file holds a key and a few certificates: a few kilobytes. Anything much larger
# is not one.
MAX_CERTIFICATE_FILE_BYTES = 200 * 1024


class CertificateSignForm(FlaskForm):
    certificate = FileField(
        _l("Your certificate file (.p12 or .pfx)"),
        validators=[FileRequired(message=_l("Choose your certificate file (.p12 or .pfx)."))],
        render_kw={"accept": ".p12,.pfx,application/x-pkcs12"},
    )
    password = PasswordField(
        _l("Password of the certificate file"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"autocomplete": "off"},
    )

    def read_certificate(self) -> bytes | None:
        """The uploaded bytes, or None (with an error on the field) if too large."""
        data = self.certificate.data.read(MAX_CERTIFICATE_FILE_BYTES + 1)
        if len(data) > MAX_CERTIFICATE_FILE_BYTES:
            self.certificate.errors = [
                _l("This file is too large to be a certificate file (.p12 or .pfx).")
            ]
            return None
        return data


class RetryForm(FlaskForm):
    """Only the CSRF token: "Try again" buttons."""
