"""The worker's rendering and signing of the minutes PDF, replaced in a test by plain
callables (no PDF is rendered or signed): the minutes_pdf feature's answers to the
approval hooks, swapped in the app's installed record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from coordapp.approval import service
from coordapp.feature import installed


class Recorder:
    """Records the ids it is called with (safe from several threads: list.append)."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, object_id: int) -> None:
        self.calls.append(object_id)


def answer_pdf_hooks(
    app, monkeypatch, render: Callable[[int], None], sign: Callable[[int], None]
) -> None:
    """Until the test ends, `render(version_id)` answers a request to render the PDF and
    `sign(approval_id)` a request to sign it."""
    answers = {service.RENDER_PDF: render, service.SIGN_APPROVAL: sign}
    with app.app_context():
        features = installed()
    replaced = tuple(
        dataclasses.replace(record, hooks=answers) if service.RENDER_PDF in record.hooks else record
        for record in features
    )
    assert replaced != features
    monkeypatch.setitem(app.extensions, "coordapp.features", replaced)
