"""The stakeholder directory: organisations and the people who work there."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.models.base import Base, UTCDateTime, check_in, enum_column, utcnow


class Category(enum.Enum):
    UN_AGENCY = "un_agency"
    NATIONAL_GOVERNMENT = "national_government"
    LOCAL_GOVERNMENT = "local_government"
    CIVIL_SOCIETY = "civil_society"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    DEVELOPMENT_PARTNER = "development_partner"
    ACADEMIA = "academia"
    PRIVATE_SECTOR = "private_sector"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])


CATEGORY_LABELS = {
    Category.UN_AGENCY: _l("UN agency"),
    Category.NATIONAL_GOVERNMENT: _l("National government"),
    Category.LOCAL_GOVERNMENT: _l("Local government"),
    Category.CIVIL_SOCIETY: _l("Civil society"),
    Category.INTERNATIONAL_ORGANISATION: _l("International organisation"),
    Category.DEVELOPMENT_PARTNER: _l("Development partner"),
    Category.ACADEMIA: _l("Academia"),
    Category.PRIVATE_SECTOR: _l("Private sector"),
    Category.OTHER: _l("Other"),
}


def search_text(*parts: str | None) -> str:
    """What the directory's search matches: the parts case-folded in Python, one per line
    (a search never matches across two). Stored, so a search is a plain LIKE on both
    databases and is case-insensitive for every alphabet: SQLite's lower() and LIKE only
    know ASCII ("петрова" would not find "Петрова")."""
    return "\n".join(part.casefold() for part in parts if part)


def _search_text_default(*columns: str):
    """Every INSERT the app makes (the ORM's, a bulk or Core one) fills the column from its
    values; a row written by hand in SQL gets the server default, '' (found by no search
    until the app next saves it)."""

    def default(context) -> str:
        values = context.get_current_parameters()
        return search_text(*(values.get(column) for column in columns))

    return default


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (check_in("category", Category, "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    acronym: Mapped[str | None] = mapped_column(sa.String(50))
    category: Mapped[Category] = mapped_column(enum_column(Category, 40), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Where nomination requests go when no contact is marked as focal point.
    general_email: Mapped[str | None] = mapped_column(sa.String(254))
    # The addressee of official letters ("Minister", "Chairperson"…): optional.
    head_name: Mapped[str | None] = mapped_column(sa.String(200))
    head_title: Mapped[str | None] = mapped_column(sa.String(200))
    # The language its letters and nomination emails are written in.
    language: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Name and acronym for the search (search_text); kept in step on every write.
    search_text: Mapped[str] = mapped_column(
        sa.Text, default=_search_text_default("name", "acronym"), server_default=""
    )

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])
    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation")

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(200))
    # Stored lower-cased: unique regardless of how it was typed.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    # The organisation's focal point: answers nomination requests on its behalf.
    focal_point: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A permanent bounce came back for this address (coordapp/inbound/): since when and
    # the mail server's reason. Cleared by the secretariat once the address is corrected.
    undeliverable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Name and email for the search (search_text); kept in step on every write.
    search_text: Mapped[str] = mapped_column(
        sa.Text, default=_search_text_default("name", "email"), server_default=""
    )

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def __repr__(self) -> str:
        return f"<Contact {self.email}>"


@sa.event.listens_for(Organisation, "before_update")
def _organisation_search_text(mapper, connection, organisation: Organisation) -> None:
    organisation.search_text = search_text(organisation.name, organisation.acronym)


@sa.event.listens_for(Contact, "before_update")
def _contact_search_text(mapper, connection, contact: Contact) -> None:
    contact.search_text = search_text(contact.name, contact.email)
