"""The public summary of a meeting: drafted by the secretariat from the approved minutes,
published at a public URL, in a per-series list and in an Atom feed.

- A draft can be started only once the meeting has approved minutes (a version in the
  APPROVED state; an amendment in progress does not matter, the approved text stands).
  It is pre-filled from that version and the meeting: title, date and place in the
  summary's language, the co-chairs' roles, participation counted by category (people
  present only), the decisions and the commitments by organisation with their tags.
  No person is named unless the secretariat asks for the co-chairs' names; organisations
  are named only when asked too. Contacts responsible for commitments are never named.
- The working copy (`OutcomeSummary`) is what the secretariat edits. Publishing copies
  it into a new `OutcomeSummaryVersion`; the public only ever reads the latest version,
  so an edit after publishing is not public until it is published again, and every
  published state stays in the history.
- Unpublishing takes the summary off the list and the feed; its URL then answers 410.
- Photos are checked by their content (JPEG, PNG or WebP, as Pillow reads them), limited
  in size, re-encoded from their pixels (which drops EXIF, GPS, XMP and ICC data) and
  stored in the database.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from coordapp import audit
from coordapp.attendance.service import attendance_counts, attendance_summary
from coordapp.commitments.service import commitments_of_meeting
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.gcm import gcm_label, sdg_label
from coordapp.inputs import text_refusal
from coordapp.links import slugify
from coordapp.models import (
    CATEGORY_LABELS,
    Category,
    Commitment,
    Meeting,
    MeetingStatus,
    OutcomePhoto,
    OutcomeSummary,
    OutcomeSummaryVersion,
    Series,
    SummaryStatus,
    User,
    utcnow,
)
from coordapp.models.locking import lock_for_writing
from coordapp.models.minutes import MinutesItem, MinutesStatus, MinutesVersion
from coordapp.timefmt import local_day

MAX_TITLE_LENGTH = 300
MAX_BODY_LENGTH = 100_000
MAX_ALT_LENGTH = 300
MAX_SLUG_STEM = 80
# Photos larger than this on a side are scaled down. More pixels than MAX_PHOTO_PIXELS
# to decode are refused before decoding (a 76 kB PNG can claim 40 million): decoded, at
# most 4 bytes a pixel, a photo then takes at most ~100 MB of a web worker's memory, and
# is scaled down before anything else copies it. A JPEG is decoded at a reduced scale
# where it is larger than needed (a 48-megapixel phone photo decodes as 12), so the cap
# counts what is decoded.
MAX_PHOTO_SIDE = 2400
MAX_PHOTO_PIXELS = 25_000_000
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# What Pillow names a multi-picture JPEG (written by many phones): a JPEG whose first
# picture is the photo.
SAME_AS = {"MPO": "JPEG"}


class SummaryError(DomainError):
    """What was asked cannot be done in the summary's or the meeting's state."""


class SummaryInputError(SummaryError):
    """What was typed or sent is wrong; `field` names the form field."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SummaryConflict(SummaryError):
    """Someone saved the summary since this form was opened."""


# --- who may, and when ---------------------------------------------------------------------


def approved_version(meeting: Meeting) -> MinutesVersion | None:
    """The meeting's approved minutes (the one version in the APPROVED state), if any."""
    return db.session.scalar(
        sa.select(MinutesVersion)
        .where(
            MinutesVersion.meeting_id == meeting.id,
            MinutesVersion.status == MinutesStatus.APPROVED,
        )
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )


def summary_of(meeting_id: int) -> OutcomeSummary | None:
    return db.session.scalar(
        sa.select(OutcomeSummary)
        .where(OutcomeSummary.meeting_id == meeting_id)
        .options(joinedload(OutcomeSummary.photo))
    )


def _lock_summary_of(meeting_id: int) -> None:
    """Serialise writes to a meeting's summary (a double click on "Publish", two people
    starting the draft at once): take the write lock before reading what will be written
    over — the meeting row FOR UPDATE on PostgreSQL, the database on SQLite."""
    lock_for_writing(db.session)
    db.session.execute(
        sa.select(Meeting.id).where(Meeting.id == meeting_id).with_for_update()
    ).all()


def _require_approved(meeting: Meeting) -> MinutesVersion:
    if meeting.status is MeetingStatus.CANCELLED:
        raise SummaryError(_("This meeting was cancelled: it has no public summary."))
    version = approved_version(meeting)
    if version is None:
        raise SummaryError(
            _(
                "The minutes of this meeting are not approved yet: a public summary can "
                "be written once every chair has approved them."
            )
        )
    return version


# --- the pre-fill --------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str | None) -> str:
    """Typed text as literal Markdown: its punctuation cannot start a list or a link."""
    flat = " ".join((text or "").split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def commitment_tags(commitment: Commitment, series: Series | None) -> list[str]:
    """The framework tags of a commitment as the summary lists them: its SDGs ("SDG 10 —
    Reduced inequalities"), then, where the series follows the Global Compact for Migration,
    its GCM objectives ("Objective 5: …"). The one place that says which frameworks a
    summary shows."""
    tags = [sdg_label(goal) for goal in commitment.goals]
    if series is not None and series.uses_gcm:
        tags += [gcm_label(objective) for objective in commitment.gcm_objectives]
    return tags


def _place(meeting: Meeting) -> str | None:
    if meeting.venue:
        return meeting.venue
    if meeting.online_url:
        return _("online")
    return None


def _organisations_present(meeting: Meeting) -> dict[Category, list[str]]:
    """Organisations represented by people present, per category, by name (no people)."""
    found: dict[Category, set[str]] = defaultdict(set)
    for group in attendance_summary(meeting)["present"]:
        for person in group["people"]:
            organisation = person["represents"] or person["organisation"]
            label = organisation["acronym"] or organisation["name"]
            found[organisation["category"]].add(label)
    return {category: sorted(names, key=str.lower) for category, names in found.items()}


def _commitment_owner(commitment: Commitment) -> str:
    names = sorted(org.acronym or org.name for org in commitment.organisations)
    return ", ".join(names) if names else _("Other partners")


def prefill(
    meeting: Meeting,
    minutes: MinutesVersion,
    language: str,
    *,
    name_chairs: bool = False,
    name_organisations: bool = False,
) -> tuple[str, str]:
    """(title, Markdown body) of a new draft, written in `language`. Reads the approved
    `minutes` (never writes them) and the meeting's attendance and commitments."""
    items = list(
        db.session.scalars(
            sa.select(MinutesItem)
            .where(MinutesItem.version_id == minutes.id)
            .options(joinedload(MinutesItem.agenda_item))
        )
    )
    items.sort(key=lambda item: (item.agenda_item.position, item.agenda_item.id))
    counts = attendance_counts(meeting.id)
    organisations = _organisations_present(meeting) if name_organisations else {}
    commitments = commitments_of_meeting(meeting.id)
    series = meeting.series

    with force_locale(language):
        day = local_day(meeting.local(meeting.starts_at).date(), full_month=True)
        place = _place(meeting)
        title_text = _md(meeting.full_title)
        if place:
            lead = _(
                "On %(date)s, the meeting “%(title)s” was held in %(place)s.",
                date=day,
                title=title_text,
                place=_md(place),
            )
        else:
            lead = _("On %(date)s, the meeting “%(title)s” was held.", date=day, title=title_text)
        parts = [lead]
        chairs = []
        for chair in meeting.chairs:
            role = chair.role_label.strip()
            if name_chairs:
                chairs.append(
                    f"{_md(chair.user.name)} ({_md(role)})" if role else _md(chair.user.name)
                )
            elif role:
                chairs.append(_md(role))
        if chairs:
            parts.append(
                ngettext(
                    "Chaired by %(chairs)s.",
                    "Co-chaired by %(chairs)s.",
                    len(chairs),
                    chairs="; ".join(chairs),
                )
            )

        present = counts.totals.get("present", 0)
        if present:
            lines = [
                "### " + _("Participation"),
                "",
                ngettext(
                    "%(num)d participant, from %(organisations)s organisations:",
                    "%(num)d participants, from %(organisations)s organisations:",
                    present,
                    organisations=counts.organisations_represented or 0,
                ),
                "",
            ]
            online = counts.totals.get("present_online", 0)
            if meeting.is_hybrid:
                lines[2] += " " + _(
                    "%(in_person)s in person, %(online)s online.",
                    in_person=present - online,
                    online=online,
                )
            for category, per_state in counts.by_category.items():
                number = per_state.get("present", 0)
                if not number:
                    continue
                line = f"- {CATEGORY_LABELS[category]}: {number}"
                if meeting.is_hybrid and per_state.get("present_online"):
                    line += " " + _("(online: %(count)s)", count=per_state["present_online"])
                if organisations.get(category):
                    line += " (" + ", ".join(_md(n) for n in organisations[category]) + ")"
                lines.append(line)
            parts.append("\n".join(lines))

        decisions = [d for item in items for d in (item.decisions or []) if d.strip()]
        if decisions:
            parts.append(
                "\n".join(["### " + _("Decisions"), ""] + [f"- {_md(d)}" for d in decisions])
            )

        if commitments:
            by_owner: dict[str, list[Commitment]] = defaultdict(list)
            for commitment in commitments:
                by_owner[_commitment_owner(commitment)].append(commitment)
            lines = ["### " + _("Commitments"), ""]
            for owner in sorted(by_owner, key=str.lower):
                lines.append(f"- **{_md(owner)}**")
                for commitment in by_owner[owner]:
                    tags = commitment_tags(commitment, series)
                    text = _md(commitment.description)
                    if tags:
                        text += " (" + "; ".join(_md(t) for t in tags) + ")"
                    lines.append(f"  - {text}")
            parts.append("\n".join(lines))
        title = meeting.title
    return title[:MAX_TITLE_LENGTH], "\n\n".join(parts) + "\n"


# --- checking what was typed ---------------------------------------------------------------


def _clean_text(value: str | None, limit: int, field: str, *, required_message: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    refusal = text_refusal(text)
    if refusal is not None:
        raise SummaryInputError(str(refusal), field)
    if not text:
        raise SummaryInputError(required_message, field)
    if len(text) > limit:
        raise SummaryInputError(
            _("Please keep this under %(limit)s characters.", limit=limit), field
        )
    return text


def check_language(language: str | None, languages: list[str]) -> str:
    if language not in languages:
        raise SummaryInputError(_("Please choose one of the languages offered."), "language")
    return language


# --- the photo -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    width: int
    height: int
    data: bytes


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:
    """Check a photo by its content and re-encode it without any metadata, or raise
    SummaryInputError saying what is wrong."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise SummaryInputError(_("The photo file is empty."), "photo")
    if len(data) > max_bytes:
        raise SummaryInputError(
            _(
                "The photo is too large: at most %(size)s MB, please.",
                size=f"{max_bytes / 1024 / 1024:g}",
            ),
            "photo",
        )
    wrong_type = SummaryInputError(_("The photo must be a JPEG, PNG or WebP image."), "photo")
    too_many_pixels = SummaryInputError(
        _("The photo has too many pixels: please send a smaller one."), "photo"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = SAME_AS.get(image.format, image.format)
                if kind not in PHOTO_TYPES:
                    raise wrong_type
                if kind == "JPEG":
                    image.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
                if image.width * image.height > MAX_PHOTO_PIXELS:
                    raise too_many_pixels
                image.load()
                # Scaled down first: what follows copies only the small picture.
                image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
                upright = ImageOps.exif_transpose(image)
    except SummaryInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise wrong_type from None

    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha and kind != "JPEG" else "RGB"
    converted = upright.convert(mode)
    converted.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    # A new image from the bare pixels: nothing of the file's metadata comes along.
    bare = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=88)
    return CleanPhoto(PHOTO_TYPES[kind], bare.width, bare.height, out.getvalue())


def _store_photo(photo: CleanPhoto, by: User | None) -> OutcomePhoto:
    row = OutcomePhoto(
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        size=len(photo.data),
        sha256=hashlib.sha256(photo.data).hexdigest(),
        data=photo.data,
        uploaded_by_id=by.id if by else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- drafting ------------------------------------------------------------------------------


def start_draft(
    meeting: Meeting,
    *,
    language: str,
    languages: list[str],
    name_chairs: bool,
    name_organisations: bool,
    by: User,
) -> OutcomeSummary:
    """The meeting's summary, pre-filled from the approved minutes. Flushes."""
    _lock_summary_of(meeting.id)
    minutes = _require_approved(meeting)
    if summary_of(meeting.id) is not None:
        raise SummaryError(_("This meeting already has a public summary."))
    language = check_language(language, languages)
    title, body = prefill(
        meeting,
        minutes,
        language,
        name_chairs=name_chairs,
        name_organisations=name_organisations,
    )
    summary = OutcomeSummary(
        meeting_id=meeting.id,
        language=language,
        title=title,
        body=body,
        name_chairs=name_chairs,
        name_organisations=name_organisations,
        created_by_id=by.id,
        entry_uuid=str(uuid.uuid4()),
    )
    db.session.add(summary)
    db.session.flush()
    audit.record(
        "outcomes.summary_draft",
        summary,
        meeting_id=meeting.id,
        note=_("Pre-filled from version %(number)s of the minutes", number=minutes.number),
        by=by,
    )
    return summary


def save_draft(
    summary: OutcomeSummary,
    *,
    title: str | None,
    language: str | None,
    body: str | None,
    photo_alt: str | None,
    photo_bytes: bytes | None,
    remove_photo: bool,
    lock_version: int | None,
    languages: list[str],
    max_photo_bytes: int,
    by: User,
) -> OutcomeSummary:
    """Save the working copy. Everything is checked before anything changes. Flushes."""
    # Two saves from the same version of the form: the second waits, then sees the first.
    _lock_summary_of(summary.meeting_id)
    db.session.refresh(summary)
    if lock_version != summary.lock_version:
        raise SummaryConflict(
            _(
                "Someone saved this summary after you opened it. Your text is below: "
                "copy what you need, then reload the page."
            )
        )
    title = _clean_text(
        title, MAX_TITLE_LENGTH, "title", required_message=_("Please give the summary a title.")
    )
    body = _clean_text(
        body, MAX_BODY_LENGTH, "body", required_message=_("Please write the summary.")
    )
    language = check_language(language, languages)
    photo = clean_photo(photo_bytes, max_photo_bytes) if photo_bytes is not None else None
    keeps_photo = photo is not None or (summary.photo_id is not None and not remove_photo)
    alt = (photo_alt or "").strip()
    if keeps_photo:
        alt = _clean_text(
            alt,
            MAX_ALT_LENGTH,
            "photo_alt",
            required_message=_(
                "Please describe the photo for people who cannot see it (its text alternative)."
            ),
        )

    before = audit.snapshot(summary, ["title", "language", "photo_id", "photo_alt"])
    body_changed = body != summary.body
    summary.title = title
    summary.language = language
    summary.body = body
    if photo is not None:
        summary.photo = _store_photo(photo, by)
    elif remove_photo:
        summary.photo = None
    summary.photo_alt = alt if keeps_photo else None
    db.session.flush()
    after = audit.snapshot(summary, ["title", "language", "photo_id", "photo_alt"])
    changes = audit.diff(before, after)
    if body_changed:
        changes["body"] = ["…", "…"]
    if not changes:
        return summary
    summary.lock_version += 1
    summary.updated_at = utcnow()
    audit.record(
        "outcomes.summary_edit", summary, meeting_id=summary.meeting_id, changes=changes, by=by
    )
    return summary


# --- publishing ----------------------------------------------------------------------------


def latest_version(summary: OutcomeSummary) -> OutcomeSummaryVersion | None:
    return summary.versions[-1] if summary.versions else None


def has_unpublished_changes(summary: OutcomeSummary) -> bool:
    latest = latest_version(summary)
    if latest is None:
        return True
    return (
        latest.title != summary.title
        or latest.language != summary.language
        or latest.body_html != (summary.body_html or "")
        or latest.photo_id != summary.photo_id
        or (latest.photo_alt or None) != (summary.photo_alt or None)
    )


def _new_slug(summary: OutcomeSummary, meeting: Meeting) -> str:
    day = meeting.local(meeting.starts_at).date().isoformat()
    stem = f"{slugify(summary.title, MAX_SLUG_STEM) or 'meeting'}-{day}"
    taken = set(
        db.session.scalars(
            sa.select(OutcomeSummary.slug).where(
                (OutcomeSummary.slug == stem) | OutcomeSummary.slug.like(f"{stem}-%")
            )
        )
    )
    slug, n = stem, 1
    while slug in taken:
        n += 1
        slug = f"{stem}-{n}"
    return slug


def publish(summary: OutcomeSummary, meeting: Meeting, *, by: User) -> OutcomeSummaryVersion:
    """Make the working copy public as a new version. Flushes."""
    _lock_summary_of(meeting.id)
    db.session.refresh(summary)
    _require_approved(meeting)
    if not summary.body_html or not summary.title.strip():
        raise SummaryError(_("Please write the summary before publishing it."))
    if summary.photo_id is not None and not (summary.photo_alt or "").strip():
        raise SummaryError(_("Please describe the photo before publishing."))
    if summary.status is SummaryStatus.PUBLISHED and not has_unpublished_changes(summary):
        raise SummaryError(_("Nothing changed since the last publication."))
    now = utcnow()
    previous = summary.status
    if summary.versions and not has_unpublished_changes(summary):
        # Published again as it was taken down: the same version, not a copy of it.
        version = latest_version(summary)
        summary.status = SummaryStatus.PUBLISHED
        summary.unpublished_at = None
        summary.updated_at = now
        db.session.flush()
        audit.record(
            "outcomes.summary_publish",
            summary,
            meeting_id=summary.meeting_id,
            changes={"status": [previous.value, SummaryStatus.PUBLISHED.value]},
            note=_("Version %(number)s", number=version.number),
            by=by,
        )
        return version
    first = summary.slug is None
    if first:
        summary.slug = _new_slug(summary, meeting)
        summary.first_published_at = now
    number = (latest_version(summary).number if summary.versions else 0) + 1
    version = OutcomeSummaryVersion(
        number=number,
        language=summary.language,
        title=summary.title,
        body_html=summary.body_html or "",
        photo_id=summary.photo_id,
        photo_alt=summary.photo_alt,
        published_at=now,
        published_by_id=by.id,
    )
    summary.versions.append(version)
    summary.status = SummaryStatus.PUBLISHED
    summary.unpublished_at = None
    summary.updated_at = now
    db.session.flush()
    audit.record(
        "outcomes.summary_publish",
        summary,
        meeting_id=summary.meeting_id,
        changes={"status": [previous.value, SummaryStatus.PUBLISHED.value]},
        note=_("Version %(number)s", number=number),
        by=by,
    )
    return version


def unpublish(summary: OutcomeSummary, *, by: User) -> None:
    _lock_summary_of(summary.meeting_id)
    db.session.refresh(summary)
    if summary.status is not SummaryStatus.PUBLISHED:
        raise SummaryError(_("This summary is not published."))
    summary.status = SummaryStatus.UNPUBLISHED
    summary.unpublished_at = utcnow()
    db.session.flush()
    audit.record(
        "outcomes.summary_unpublish",
        summary,
        meeting_id=summary.meeting_id,
        changes={"status": [SummaryStatus.PUBLISHED.value, SummaryStatus.UNPUBLISHED.value]},
        by=by,
    )


# --- what the public reads -----------------------------------------------------------------


@dataclass
class PublicEntry:
    summary: OutcomeSummary
    version: OutcomeSummaryVersion  # the latest published
    meeting: Meeting


def _latest_number():
    later = sa.orm.aliased(OutcomeSummaryVersion)
    return (
        sa.select(sa.func.max(later.number))
        .where(later.summary_id == OutcomeSummaryVersion.summary_id)
        .correlate(OutcomeSummaryVersion)
        .scalar_subquery()
    )


def _public_query():
    """Published summaries of meetings that took place, with their latest version."""
    return (
        sa.select(OutcomeSummary, OutcomeSummaryVersion, Meeting)
        .join(OutcomeSummaryVersion, OutcomeSummaryVersion.summary_id == OutcomeSummary.id)
        .join(Meeting, Meeting.id == OutcomeSummary.meeting_id)
        .where(
            OutcomeSummary.status == SummaryStatus.PUBLISHED,
            Meeting.status != MeetingStatus.CANCELLED,
            OutcomeSummaryVersion.number == _latest_number(),
        )
    )


def public_entry(slug: str) -> tuple[PublicEntry | None, bool]:
    """(the entry for `slug`, was it taken down): (entry, False) when public, (None, True)
    when unpublished (410), (None, False) when there is none (404)."""
    row = db.session.execute(
        _public_query().where(OutcomeSummary.slug == slug).options(joinedload(Meeting.series))
    ).first()
    if row is not None:
        return PublicEntry(*row), False
    gone = db.session.scalar(
        sa.select(OutcomeSummary.id).where(
            OutcomeSummary.slug == slug, OutcomeSummary.status == SummaryStatus.UNPUBLISHED
        )
    )
    return None, gone is not None


def series_entries(series_id: int, limit: int | None = None) -> list[PublicEntry]:
    """The series' public summaries, the latest meeting first (one query)."""
    query = (
        _public_query()
        .where(Meeting.series_id == series_id)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return [PublicEntry(*row) for row in db.session.execute(query)]


def series_ever_published(series_id: int) -> bool:
    """Has the series published a summary, now or before (its public list and feed exist
    from then on: a feed's readers get an empty feed rather than a 404 once all are taken
    down)."""
    return db.session.scalar(
        sa.select(
            sa.exists()
            .where(OutcomeSummary.meeting_id == Meeting.id, Meeting.series_id == series_id)
            .where(OutcomeSummary.status != SummaryStatus.DRAFT)
        )
    )


@dataclass
class PublicSeries:
    series: Series | None  # None: meetings outside any series
    entries: list[PublicEntry]  # the latest meeting first


def public_index() -> list[PublicSeries]:
    """Every public summary, grouped by series: the series with the latest meeting first,
    meetings outside a series last (one query)."""
    rows = db.session.execute(
        _public_query()
        .options(joinedload(Meeting.series))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    groups: dict[int | None, PublicSeries] = {}
    for row in rows:
        entry = PublicEntry(*row)
        key = entry.meeting.series_id
        if key not in groups:
            groups[key] = PublicSeries(series=entry.meeting.series, entries=[])
        groups[key].entries.append(entry)
    outside = groups.pop(None, None)
    return list(groups.values()) + ([outside] if outside else [])


def public_photo(slug: str) -> OutcomePhoto | None:
    entry, _gone = public_entry(slug)
    if entry is None or entry.version.photo_id is None:
        return None
    return db.session.get(OutcomePhoto, entry.version.photo_id)


def feed_id(series: Series) -> str:
    """The Atom feed's id: a URN the same for the series for ever."""
    return "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"coordapp:outcomes:series:{series.id}")
    )


def history(summary: OutcomeSummary) -> list[OutcomeSummaryVersion]:
    """Published versions, newest first, with who published them."""
    return list(
        db.session.scalars(
            sa.select(OutcomeSummaryVersion)
            .where(OutcomeSummaryVersion.summary_id == summary.id)
            .options(joinedload(OutcomeSummaryVersion.published_by))
            .order_by(OutcomeSummaryVersion.number.desc())
        )
    )
