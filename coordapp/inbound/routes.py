"""The Inbox: people's replies by email and the messages held for the secretariat, with
the answer recorded in one click; chairs read those about their meetings."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coordapp.access import login_required, secretariat_required
from coordapp.extensions import db
from coordapp.inbound import inbox
from coordapp.inbound.forms import AnswerFromMessageForm
from coordapp.inputs import ConfirmForm, bounded_int
from coordapp.models import Contact, InboundMessage, InvitationStatus

bp = Blueprint("inbound", __name__, url_prefix="/inbox")


@bp.get("")
@login_required
def index():
    if not current_user.is_secretariat and not inbox.is_chair_of_any(current_user):
        abort(403)
    tab = request.args.get("tab", "open")
    if tab not in inbox.TABS or (tab == "unmatched" and not current_user.is_secretariat):
        tab = "open"
    page = request.args.get("page", 1, type=bounded_int) or 1
    pagination = db.paginate(
        inbox.inbox_query(current_user, tab),
        page=page,
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "inbound/inbox.html",
        tab=tab,
        tabs=inbox.TABS,
        pagination=pagination,
        can_act=current_user.is_secretariat,
        answer_form=AnswerFromMessageForm(),
        done_form=ConfirmForm(),
    )


def _message_or_404(message_id: int) -> InboundMessage:
    message = db.session.get(InboundMessage, message_id)
    if message is None:
        abort(404)
    return message


@bp.post("/<id:message_id>/answer")
@secretariat_required
def record_answer(message_id: int):
    message = _message_or_404(message_id)
    form = AnswerFromMessageForm()
    if not form.validate_on_submit():
        abort(400)
    recorded = inbox.record_answer_from(
        message, InvitationStatus(form.status.data), by=current_user
    )
    db.session.commit()
    flash(_("Answer recorded: %(status)s.", status=recorded.label), "success")
    return redirect(url_for("inbound.index", tab=request.args.get("tab", "open")), code=303)


@bp.post("/<id:message_id>/done")
@secretariat_required
def mark_done(message_id: int):
    message = _message_or_404(message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    inbox.mark_done(message, by=current_user)
    db.session.commit()
    flash(_("Marked as dealt with."), "success")
    return redirect(url_for("inbound.index", tab=request.args.get("tab", "open")), code=303)


@bp.post("/contacts/<id:contact_id>/deliverable")
@secretariat_required
def clear_undeliverable(contact_id: int):
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    inbox.clear_undeliverable(contact, by=current_user)
    db.session.commit()
    flash(_("The address is no longer marked undeliverable."), "success")
    return redirect(url_for("directory.edit_contact", contact_id=contact.id), code=303)
