"""Time the PDF renderer on a sample built on templates/pdf/base.html.

    .venv/bin/python bench/pdf_render.py [rows]

Prints the WeasyPrint import time, then for plain PDF and PDF/A-3b: render time (best of
two), pages and size.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template_string  # noqa: E402
from flask_babel import force_locale  # noqa: E402

from coordapp import create_app  # noqa: E402

SAMPLE = """{% extends "pdf/base.html" %}
{% block content %}
<h2>Commitments</h2>
<table>
  <thead><tr><th>Organisation</th><th>Description</th><th>Responsible</th><th>Due</th></tr></thead>
  <tbody>
  {% for i in range(rows) %}
  <tr><td>Міністэрства працы {{ i }}</td>
      <td>Mainstream migration in local development plans; publish a migration data
          dashboard by Q2 — Аляксандр Лукашэвіч, Ірына, Щёлково.</td>
      <td><strong>Ўладзімір</strong> <em>Ivanova</em></td><td>2026-06-30</td></tr>
  {% endfor %}
  </tbody>
</table>
<section class="signature-page">
  {% for n in (1, 2) %}
  <div class="signature-block"><p class="signatory">Chair {{ n }}</p>
    <div class="signature-box" id="signature-{{ n }}"></div></div>
  {% endfor %}
</section>
{% endblock %}
"""


def main(rows: int) -> None:
    app = create_app({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context(), force_locale("en"):
        html = render_template_string(
            SAMPLE, rows=rows, network_name="Сетка па міграцыі", title="Fourth extended meeting"
        )

    started = time.perf_counter()
    import weasyprint  # noqa: F401

    print(f"import weasyprint: {time.perf_counter() - started:.2f} s")

    from coordapp.pdf.render import render_pdf_with_boxes

    for variant in (None, "pdf/a-3b"):
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            pdf, boxes = render_pdf_with_boxes(
                html, ["signature-1", "signature-2"], pdf_variant=variant
            )
            timings.append(time.perf_counter() - started)
        pages = boxes["signature-1"].page_index + 1
        print(
            f"{variant or 'pdf'}: {min(timings):.2f} s, {pages} pages, {len(pdf)} bytes,"
            f" signature-1 at {boxes['signature-1']}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
