"""What a request may carry, checked once, before any view: a clear 400, never a 500.

- One rule for the characters any stored text may hold: XML 1.0's Char production
  (what an Atom feed, a calendar file, a PDF and an email can all carry), minus DEL. So no
  control characters (a NUL byte, an escape…; PostgreSQL refuses NUL in text, and none
  belongs in a name, a note or a filter) and no non-characters (U+FFFE, U+FFFF, lone
  surrogates, which break every reader of a feed), in any query parameter, form field or
  URL part. Tab, line feed and carriage return stay allowed. Uploaded files' names lose
  theirs; uploaded text (a CSV) is checked with `text_refusal`.
- Numbers and dates within what the database and the calendar arithmetic can hold:
  `<id:…>` for every id in a URL (an id no row can have is a 404, not a database error),
  `bounded_int` for query parameters and select fields (`type=`/`coerce=`), and the
  fields below in place of WTForms' own (same names, same behaviour within the bounds).
"""

from __future__ import annotations

import re

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter
from wtforms import fields
from wtforms import widgets as wtforms_widgets
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import ValidationError
from wtforms.widgets.core import clean_key as _clean_key

from coordapp.errors import DomainError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NON_CHARACTERS = re.compile("[\ud800-\udfff\ufffe\uffff]")
NOT_STORABLE = re.compile(f"{CONTROL_CHARACTERS.pattern}|{NON_CHARACTERS.pattern}")
CONTROL_MESSAGE = _l(
    "What you sent contains an invisible control character (such as a NUL byte). "
    "Please remove it and try again."
)
NON_CHARACTER_MESSAGE = _l(
    "What you sent contains a character that is not text (such as U+FFFF), which feeds "
    "and calendars cannot carry. Please remove it and try again."
)
# PostgreSQL's INTEGER; every id, count and number the app stores fits in it.
INT_MAX = 2**31 - 1
# Dates a meeting, deadline or due date can have (local times near year 1 or 9999 do
# not survive the conversion to UTC).
MIN_YEAR, MAX_YEAR = 1900, 2999


class InvalidInput(DomainError):
    status = 400


def bounded_int(value) -> int:
    """int(value), refused (ValueError) outside PostgreSQL's INTEGER range."""
    number = int(value)
    if not -INT_MAX <= number <= INT_MAX:
        raise ValueError("number out of range")
    return number


class IdConverter(IntegerConverter):
    """`<id:…>` in a route: a row's id, 1 to INT_MAX; any other number matches no route
    (404) instead of reaching the database, which cannot compare its INTEGER with it."""

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, min=1, max=INT_MAX)


def register_url_converters(app: Flask) -> None:
    """Before any blueprint: a rule looks its converters up when it is added."""
    app.url_map.converters["id"] = IdConverter


def text_refusal(value) -> str | None:
    """Why `value` cannot be stored as text (a lazy message), or None if it can."""
    if not isinstance(value, str):
        return None
    if CONTROL_CHARACTERS.search(value):
        return CONTROL_MESSAGE
    if NON_CHARACTERS.search(value):
        return NON_CHARACTER_MESSAGE
    return None


def refuse_characters_text_cannot_hold() -> None:
    """Before every request: 400 if any value sent has a character stored text may not
    hold (a control character or a non-character)."""
    sent = [*request.args.items(multi=True), *request.form.items(multi=True)]
    values = [part for pair in sent for part in pair]
    for storage in request.files.values():
        # A file's name is the sender's system's, not typed: clean it rather than refuse.
        if storage.filename:
            storage.filename = NOT_STORABLE.sub("", storage.filename)
    values += list((request.view_args or {}).values())
    for value in values:
        refusal = text_refusal(value)
        if refusal is not None:
            raise InvalidInput(refusal)


class _Bounded:
    """A value that parses but lies outside the bounds becomes no value, and the field
    says why (after the other validators, so "This field is required" does not hide
    it)."""

    out_of_bounds_message = _l("The value is out of range.")

    def in_bounds(self, value) -> bool:
        raise NotImplementedError

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.out_of_bounds = self.data is not None and not self.in_bounds(self.data)
        if self.out_of_bounds:
            self.data = None

    def post_validate(self, form, validation_stopped):
        super().post_validate(form, validation_stopped)
        if getattr(self, "out_of_bounds", False):
            self.errors[:] = []
            raise ValidationError(self.out_of_bounds_message)


class IntegerField(_Bounded, fields.IntegerField):
    """WTForms' IntegerField, refusing numbers too large to store."""

    out_of_bounds_message = _l("The number is too large.")

    def in_bounds(self, value) -> bool:
        return -INT_MAX <= value <= INT_MAX


class _Years(_Bounded):
    out_of_bounds_message = _l(
        "Enter a date between %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR
    )

    def in_bounds(self, value) -> bool:
        return MIN_YEAR <= value.year <= MAX_YEAR


class DateField(_Years, fields.DateField):
    """WTForms' DateField, for years MIN_YEAR to MAX_YEAR."""


class DateTimeLocalField(_Years, fields.DateTimeLocalField):
    """WTForms' DateTimeLocalField, for years MIN_YEAR to MAX_YEAR."""


class _SelectWithPlaceholder(wtforms_widgets.Select):
    """WTForms' Select; a required one starts with an empty option (HTML wants it: a
    required select's first option is the "nothing chosen" one), selected until a value
    is, so that nobody sends the first real choice without having chosen it."""

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        required = kwargs.get("required", getattr(field.flags, "required", False))
        if not required or self.multiple:
            return html
        first = html.find("<option")
        if first != -1 and html.startswith('<option value=""', first):
            return html
        opening = html.index(">") + 1
        return html[:opening] + Markup('<option value="">—</option>') + html[opening:]


class SelectField(fields.SelectField):
    """WTForms' SelectField; when required, an empty first option (_SelectWithPlaceholder)."""

    widget = _SelectWithPlaceholder()


class ConfirmForm(FlaskForm):
    """A button that changes something and needs only its CSRF token (delete, publish,
    prepare the PDF, send reminders…)."""


class ChecklistField(fields.SelectMultipleField):
    """Several choices as a list of checkboxes: what is chosen stays in view (a multi-select
    hides it); posts the same values as a multi-select. Rendered with the macros of
    templates/_checklist.html."""

    widget = wtforms_widgets.ListWidget(prefix_label=False)
    option_widget = wtforms_widgets.CheckboxInput()


# --- rendering fields ----------------------------------------------------------------------


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params`, same output, without a `Markup.format` per attribute (which
    made rendering the fields a third of the RSVP page's rendering time)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(_clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


def _render_fields_faster() -> None:
    for name in dir(wtforms_widgets.core):
        widget = getattr(wtforms_widgets.core, name)
        if isinstance(widget, type) and "html_params" in vars(widget):
            widget.html_params = staticmethod(html_params)
    # What TextArea, Select and ListWidget call, and Label (through wtforms.widgets).
    wtforms_widgets.core.html_params = html_params
    wtforms_widgets.html_params = html_params


class _HiddenInputWithoutId(wtforms_widgets.HiddenInput):
    """The CSRF token's hidden input, without the id "csrf_token": a page with several
    forms would repeat it (an id must be unique; nothing points at this one)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(field, **kwargs)


def _csrf_token_without_id() -> None:
    CSRFTokenField.widget = _HiddenInputWithoutId()


def register(app: Flask) -> None:
    app.before_request(refuse_characters_text_cannot_hold)
    _render_fields_faster()
    _csrf_token_without_id()


# A cell starting with one of these would run as a formula in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A value for a CSV cell that a spreadsheet will not run as a formula: a leading
    quote before a formula's first character (None is an empty cell)."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_START) else value
