"""Declarative base, naming convention and shared column types."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic's batch mode alter tables on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime stored in UTC; comes back aware (UTC) on every backend.

    SQLite keeps no zone, PostgreSQL's timestamptz does; this makes both behave alike
    and refuses naive datetimes so a local time can never be stored by mistake.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """A portable enum column: a VARCHAR holding the enum's value, no native type."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def check_in(column: str, enum_cls: type[enum.Enum], name: str) -> sa.CheckConstraint:
    """A CHECK constraint that keeps `column` inside the enum's values."""
    values = ", ".join(f"'{m.value}'" for m in enum_cls)
    return sa.CheckConstraint(f"{column} IN ({values})", name=name)
