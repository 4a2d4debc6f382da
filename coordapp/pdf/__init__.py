"""Printed documents: safe HTML → PDF rendering (WeasyPrint) with the app's own fonts.

`coordapp.pdf.render` holds the entry points (`render_pdf`, `render_pdf_with_boxes`);
`coordapp.pdf.fetcher` the URL fetcher that lets the renderer load only `data:` URLs and
files inside static/; `coordapp.pdf.fonts` a font set-up without system fonts. Nothing
is imported here: WeasyPrint is slow to import, and the web process must not pay for it.
"""
