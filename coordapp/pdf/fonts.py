"""A font configuration that knows only the fonts a document declares with @font-face.

WeasyPrint's own `FontConfiguration` starts from the system's fontconfig set-up, so any
`font-family` that does not match our @font-face (a typo, or CSS smuggled into user
content) silently falls back to whatever fonts the machine has, and the PDF then depends
on the machine. This one starts from an empty fontconfig configuration: the only fonts
are the vendored ones loaded through `SafeURLFetcher`; an unknown family falls back to
them, and a character they lack renders as an empty box instead of a system glyph.

Imports WeasyPrint: import this module lazily (see `coordapp.pdf.render`). It relies on
WeasyPrint's cffi bindings (`weasyprint.text.ffi`), checked against WeasyPrint 70.0.
"""

from __future__ import annotations

from weasyprint.text import ffi as _ffi
from weasyprint.text.fonts import FontConfiguration

try:
    _ffi.fontconfig.FcConfigCreate  # noqa: B018 (only checks that it is declared)
except AttributeError:
    _ffi.ffi.cdef("FcConfig * FcConfigCreate (void);")


class IsolatedFontConfiguration(FontConfiguration):
    """`FontConfiguration` without the system's fonts (see the module docstring)."""

    def __init__(self) -> None:
        # Mirrors FontConfiguration.__init__, with FcConfigCreate (an empty
        # configuration) instead of FcInitLoadConfigAndFonts (the system's).
        self._folder = None
        self._config = _ffi.fontconfig.FcConfigCreate()
        self.font_map = _ffi.ffi.gc(
            _ffi.pangoft2.pango_ft2_font_map_new(), _ffi.gobject.g_object_unref
        )
        _ffi.pangoft2.pango_fc_font_map_set_config(
            _ffi.ffi.cast("PangoFcFontMap *", self.font_map), self._config
        )
        # pango_fc_font_map_set_config keeps its own reference.
        _ffi.fontconfig.FcConfigDestroy(self._config)
        self.strut_layouts = {}
        self.font_features = {}
