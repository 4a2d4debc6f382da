"""The secretariat's "outgoing mail" pages: what was sent, what waits, what failed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import defer, joinedload, load_only
from wtforms import Form, SelectChoice, SubmitField

from coordapp import audit
from coordapp.access import secretariat_required
from coordapp.extensions import db
from coordapp.inputs import SelectField, bounded_int
from coordapp.links import safe_next_url
from coordapp.mail.delivery import retry_failed
from coordapp.models import Meeting, MessageKind, MessageStatus, OutgoingMessage
from coordapp.models.outbox import MESSAGE_STATUS_LABELS

bp = Blueprint("mail", __name__, url_prefix="/mail")

KIND_LABELS = {
    MessageKind.INVITATION: _l("Invitation"),
    MessageKind.REMINDER: _l("Reminder"),
    MessageKind.CONFIRMATION: _l("Confirmation"),
    MessageKind.UPDATE: _l("Update"),
    MessageKind.CANCELLATION: _l("Cancellation"),
    MessageKind.WAITLIST: _l("Waiting list"),
    MessageKind.OTHER: _l("Other"),
}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class OutboxFilterForm(Form):
    """The filters above the list; read from the query string, so no CSRF token."""

    status = SelectField(
        _l("Status"),
        choices=_choices(
            [("", _l("All statuses"))]
            + [(status.value, label) for status, label in MESSAGE_STATUS_LABELS.items()]
        ),
        default="",  # a plain visit has chosen "all", not an invalid value
    )
    kind = SelectField(
        _l("Kind"),
        choices=_choices(
            [("", _l("All kinds"))] + [(kind.value, label) for kind, label in KIND_LABELS.items()]
        ),
        default="",
    )


class RetryForm(FlaskForm):
    submit = SubmitField(_l("Send again"))


def _filters() -> tuple[OutboxFilterForm, dict]:
    form = OutboxFilterForm(request.args)
    form.validate()  # an unknown value is simply not applied
    args = {
        name: getattr(form, name).data
        for name in ("status", "kind")
        if getattr(form, name).data and not getattr(form, name).errors
    }
    return form, args


@bp.get("")
@secretariat_required
def outbox():
    form, args = _filters()
    query = (
        sa.select(OutgoingMessage)
        .options(
            defer(OutgoingMessage.text_body),
            defer(OutgoingMessage.html_body),
            defer(OutgoingMessage.ics_body),
            joinedload(OutgoingMessage.meeting).options(
                load_only(Meeting.id, Meeting.title, Meeting.timezone)
            ),
        )
        .order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
    )
    if "status" in args:
        query = query.where(OutgoingMessage.status == MessageStatus(args["status"]))
    if "kind" in args:
        query = query.where(OutgoingMessage.kind == MessageKind(args["kind"]))
    page = request.args.get("page", 1, type=bounded_int) or 1
    pagination = db.paginate(
        query, page=page, per_page=current_app.config["PER_PAGE"], error_out=False
    )
    return render_template(
        "mail_admin/outbox.html",
        form=form,
        args=args,
        pagination=pagination,
        kind_labels=KIND_LABELS,
        retry_form=RetryForm(),
    )


@bp.get("/<id:message_id>")
@secretariat_required
def message(message_id: int):
    msg = db.get_or_404(OutgoingMessage, message_id)
    return render_template(
        "mail_admin/message.html",
        msg=msg,
        kind_labels=KIND_LABELS,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        retry_form=RetryForm(),
    )


# The email's HTML as the secretariat's message page frames it: its inline styles apply,
# nothing else does (no script, no image, no request, sandboxed), and only our own page
# may frame it.
MESSAGE_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"
)


@bp.get("/<id:message_id>/html")
@secretariat_required
def message_html(message_id: int):
    msg = db.get_or_404(OutgoingMessage, message_id)
    if not msg.html_body:
        abort(404)
    response = Response(msg.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_HTML_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/<id:message_id>/retry")
@secretariat_required
def retry(message_id: int):
    msg = db.get_or_404(OutgoingMessage, message_id)
    form = RetryForm()
    if not form.validate_on_submit():
        flash(_("Your form expired. Please reload the page and try again."), "error")
    elif msg.status != MessageStatus.FAILED:
        flash(_("Only a message whose delivery failed can be sent again."), "error")
    elif retry_failed(msg):
        audit.record(
            "outbox.retry", msg, meeting_id=msg.meeting_id, note=msg.to_email, by=current_user
        )
        db.session.commit()
        flash(_("The message to %(email)s is queued again.", email=msg.to_email), "success")
        _wake_the_worker()
    else:
        db.session.rollback()
        flash(_("This message changed in the meantime; nothing was done."), "error")
    target = safe_next_url(request.form.get("next"))
    return redirect(target or url_for("mail.message", message_id=message_id))


def _wake_the_worker() -> None:
    if current_app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        from coordapp.mail.tasks import deliver_outbox

        deliver_outbox()
