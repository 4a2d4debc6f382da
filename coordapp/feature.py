"""What a feature contributes to the app: one plain record per feature package.

Each feature package has a `feature.py` that builds one `Feature` out of what the
package already defines; `coordapp/features.py` lists them, one line each, and
`create_app`, the worker and the pages loop over that list. Adding a feature is one
new package and one line there. A record, not a plugin framework: no entry points, no
signals, nothing registered behind the list's back.

    # coordapp/polls/feature.py
    from flask_babel import lazy_gettext as _l

    from coordapp.feature import Feature, Section
    from coordapp.polls import notifications, overview, reminders, routes
    from coordapp.polls.routes import answers

    FEATURE = Feature(
        name="polls",
        blueprints=[routes.bp, answers.bp],
        emails=notifications.WRITERS,
        periodic_tasks=[reminders.send_due_poll_reminders_job],
        audit_labels={"polls.create": _l("Started a scheduling poll"), ...},
        meeting_sections=[Section("polls/_meeting_section.html", overview.meeting_section)],
    )

What each field means (all but `name` may be left out):

- `blueprints`: the feature's Flask blueprints, registered by `create_app` in the list's
  order.
- `emails`: the feature's email writers (`coordapp.mail.writers.Writer`: a name, the
  function that writes a queued row in the worker, the category the outgoing-mail page
  files it under, an optional `on_sent` hook). Queue with `mail.queue.queue(WRITER, …)`;
  a writer no feature lists cannot be queued.
- `periodic_tasks`: the feature's periodic jobs, made with `coordapp.jobs.periodic_task`
  (one-off jobs, `jobs.task`, need no listing: whatever queues them imports them). Listing
  them imports them wherever the app is built, the worker included.
- `sweeps`: `{what: function}`; every minute the worker runs each function, which queues
  again the jobs a dead worker left unfinished (their lease ran out) and returns what
  it queued (`coordapp/tasks.py`, `requeue_stalled_jobs`).
- `audit_labels`: `{action code: lazy_gettext(label)}` for every code of the feature in
  the audit log (`audit.record("polls.create", …)`: codes are `<feature name>.<verb>`),
  translated into Russian and Belarusian like any message (translations/GLOSSARY.md).
  The audit log shows `audit.action_label(code)`.
- `inbound_handlers`: what the feature does with email that arrives in the mailbox the app
  reads (coordapp/inbound/): functions `handle(context) -> Outcome | None`, tried in the
  list's order (features in theirs) until one returns an outcome; the inbound feature's
  own handlers (bounces, auto-replies, a person's reply) come last.
- `meeting_sections` / `rsvp_sections`: the parts of the meeting page (secretariat, chairs)
  and of an invitee's RSVP page that the feature owns, in the list's order. A `Section`
  names its template and, optionally, a loader the page's view calls before rendering:
  `load(meeting, viewer)` on the meeting page, `load(invitation)` on the RSVP page. The
  template is included with the page's context plus `data`, what the loader returned
  (None without a loader). Templates never query: the loader reads what they show.
- `hooks`: `{hook: function}`, this feature's answer to a `Hook` a feature below it
  declares. A feature may import only the features below it (pyproject.toml), so when
  one needs work done by a feature above it, it declares a `Hook` and calls it; the
  feature above answers it in its record. E.g. the approval workflow asks for the
  minutes PDF through `approval.service.RENDER_PDF`, which `minutes_pdf` answers with
  its rendering job: approval never imports the PDF code, which imports approval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app

from coordapp import audit
from coordapp.mail import writers

_EXTENSION = "coordapp.features"


@dataclass(frozen=True)
class Section:
    """A part of a page that a feature owns: its template, and what it needs to show."""

    template: str
    load: Callable[..., Any] | None = None


class Hook:
    """A call that a feature makes and exactly one installed feature answers (its
    record's `hooks`). Declared by the feature that calls it, as a module constant."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Hook({self.name!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        answers = [feature.hooks[self] for feature in installed() if self in feature.hooks]
        if len(answers) != 1:
            raise LookupError(f"{self!r} is answered by {len(answers)} features, not one")
        return answers[0](*args, **kwargs)


@dataclass(frozen=True)
class Feature:
    """What one feature package contributes to the app (see the module's docstring)."""

    name: str
    blueprints: Sequence[Blueprint] = ()
    emails: Sequence[writers.Writer] = ()
    periodic_tasks: Sequence[Any] = ()
    sweeps: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    audit_labels: Mapping[str, Any] = field(default_factory=dict)
    inbound_handlers: Sequence[Callable[..., Any]] = ()
    meeting_sections: Sequence[Section] = ()
    rsvp_sections: Sequence[Section] = ()
    hooks: Mapping[Hook, Callable[..., Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ShownSection:
    """A section as a page renders it: its template and the data its loader returned."""

    template: str
    data: Any = None


def install(app: Flask, features: Sequence[Feature]) -> None:
    """Plug `features` into `app`: blueprints, email writers, audit labels; the pages
    and the worker find the rest through `installed()`."""
    names = [feature.name for feature in features]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"features listed twice: {duplicates}")
    app.extensions[_EXTENSION] = tuple(features)
    for feature in features:
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)
    writers.install(writer for feature in features for writer in feature.emails)
    audit.install_labels(app, [feature.audit_labels for feature in features])


def installed() -> tuple[Feature, ...]:
    """The current app's features, in the list's order."""
    return current_app.extensions[_EXTENSION]


def inbound_handlers() -> list[Callable[..., Any]]:
    """Every feature's handlers of incoming email, in the features' order."""
    return [handler for feature in installed() for handler in feature.inbound_handlers]


def meeting_sections(meeting: Any, viewer: Any) -> list[ShownSection]:
    """The features' sections of `meeting`'s page as `viewer` sees it, loaded."""
    return [
        ShownSection(section.template, section.load(meeting, viewer) if section.load else None)
        for feature in installed()
        for section in feature.meeting_sections
    ]


def rsvp_sections(invitation: Any) -> list[ShownSection]:
    """The features' sections of `invitation`'s RSVP page, loaded."""
    return [
        ShownSection(section.template, section.load(invitation) if section.load else None)
        for feature in installed()
        for section in feature.rsvp_sections
    ]
