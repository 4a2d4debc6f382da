"""Demo data modelled on a UN country network on migration (fictional people).

`seed_demo_data()` is idempotent: it does nothing when the demo series exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from coordapp.extensions import db
from coordapp.models import (
    Category,
    Contact,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    Organisation,
    Role,
    Series,
    SeriesChair,
    User,
)

SERIES_NAME = "UN Country Network on Migration"
DEMO_PASSWORD = "demo-password-2026"
DEMO_LOGINS = [
    ("admin@demo.coordapp.org", DEMO_PASSWORD, "admin"),
    ("secretariat@demo.coordapp.org", DEMO_PASSWORD, "secretariat"),
    ("rc@demo.coordapp.org", DEMO_PASSWORD, "chair"),
    ("iom.com@demo.coordapp.org", DEMO_PASSWORD, "chair"),
]

ORGANISATIONS = [
    # name, acronym, category
    ("United Nations Resident Coordinator Office", "RCO", Category.UN_AGENCY),
    ("International Organization for Migration", "IOM", Category.UN_AGENCY),
    ("United Nations High Commissioner for Refugees", "UNHCR", Category.UN_AGENCY),
    ("United Nations Children's Fund", "UNICEF", Category.UN_AGENCY),
    ("United Nations Development Programme", "UNDP", Category.UN_AGENCY),
    ("United Nations Population Fund", "UNFPA", Category.UN_AGENCY),
    ("International Labour Organization", "ILO", Category.UN_AGENCY),
    ("Ministry of Internal Affairs", "MIA", Category.NATIONAL_GOVERNMENT),
    ("Ministry of Labour and Social Protection", "MLSP", Category.NATIONAL_GOVERNMENT),
    ("Ministry of Foreign Affairs", "MFA", Category.NATIONAL_GOVERNMENT),
    ("National Statistical Committee", "Belstat", Category.NATIONAL_GOVERNMENT),
    ("Minsk City Executive Committee", "Minsk CEC", Category.LOCAL_GOVERNMENT),
    ("Grodno Regional Executive Committee", "Grodno REC", Category.LOCAL_GOVERNMENT),
    ("Brest Regional Executive Committee", "Brest REC", Category.LOCAL_GOVERNMENT),
    ("National Red Cross Society", "Red Cross", Category.CIVIL_SOCIETY),
    ("Migrant Support Centre", "MSC", Category.CIVIL_SOCIETY),
    ("Delegation of the European Union", "EU Delegation", Category.DEVELOPMENT_PARTNER),
    ("State University, Faculty of Sociology", "BSU", Category.ACADEMIA),
]

CONTACTS = [
    # name, position, email, acronym of organisation, language
    ("Andrei Kavalenka", "Resident Coordinator", "rc@demo.coordapp.org", "RCO", "en"),
    ("Marta Lindqvist", "Chief of Mission", "iom.com@demo.coordapp.org", "IOM", "en"),
    ("Olga Sidarenka", "Coordination Officer", "o.sidarenka@demo.coordapp.org", "RCO", "ru"),
    ("Tomas Reyes", "Programme Officer", "t.reyes@demo.coordapp.org", "IOM", "en"),
    ("Hanna Makarevich", "Protection Associate", "h.makarevich@demo.coordapp.org", "UNHCR", "ru"),
    ("Priya Raman", "Child Protection Specialist", "p.raman@demo.coordapp.org", "UNICEF", "en"),
    ("Dzmitry Lapko", "Programme Analyst", "d.lapko@demo.coordapp.org", "UNDP", "be"),
    ("Sofia Almeida", "Population Data Officer", "s.almeida@demo.coordapp.org", "UNFPA", "en"),
    ("Kiran Okafor", "Labour Migration Specialist", "k.okafor@demo.coordapp.org", "ILO", "en"),
    (
        "Viktar Hrynevich",
        "Head, Department for Citizenship and Migration",
        "v.hrynevich@demo.coordapp.org",
        "MIA",
        "ru",
    ),
    (
        "Iryna Zhuk",
        "Deputy Head, Labour Migration Division",
        "i.zhuk@demo.coordapp.org",
        "MLSP",
        "ru",
    ),
    (
        "Pavel Navumau",
        "Counsellor, Consular Department",
        "p.navumau@demo.coordapp.org",
        "MFA",
        "ru",
    ),
    (
        "Alena Shostak",
        "Head, Population Statistics",
        "a.shostak@demo.coordapp.org",
        "Belstat",
        "ru",
    ),
    ("Siarhei Baranau", "Deputy Chair", "s.baranau@demo.coordapp.org", "Minsk CEC", "be"),
    (
        "Natallia Kuzmich",
        "Head of Economy Department",
        "n.kuzmich@demo.coordapp.org",
        "Grodno REC",
        "ru",
    ),
    (
        "Ihar Yakubouski",
        "Local Development Adviser",
        "i.yakubouski@demo.coordapp.org",
        "Brest REC",
        "ru",
    ),
    ("Elena Petrova", "Programme Manager", "e.petrova@demo.coordapp.org", "Red Cross", "ru"),
    ("Yusuf Demir", "Director", "y.demir@demo.coordapp.org", "MSC", "en"),
    (
        "Claire Dubois",
        "Attaché, Cooperation Section",
        "c.dubois@demo.coordapp.org",
        "EU Delegation",
        "fr",
    ),
    ("Maksim Hurski", "Associate Professor", "m.hurski@demo.coordapp.org", "BSU", "be"),
]


def _user(email: str, name: str, role: Role, contact: Contact | None = None) -> User:
    user = User(email=email, name=name, role=role, contact=contact)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user


def _meeting(
    series: Series,
    number: int,
    title: str,
    kind: MeetingKind,
    local_start: datetime,
    hours: float,
    status: MeetingStatus,
    chairs: list[tuple[User, str]],
) -> Meeting:
    tz = ZoneInfo("Europe/Minsk")
    start = local_start.replace(tzinfo=tz).astimezone(UTC)
    meeting = Meeting(
        title=title,
        series=series,
        number=number,
        kind=kind,
        description=(
            "Regular coordination of the UN Country Network on Migration with government "
            "partners and stakeholders, including local authorities."
        ),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        timezone="Europe/Minsk",
        venue="UN House, 17 Kirova Street, Minsk",
        online_url="https://meet.example.org/uncnm",
        rsvp_deadline=start - timedelta(days=5),
        capacity=60,
        language="en",
        status=status,
    )
    for position, (user, label) in enumerate(chairs):
        meeting.chairs.append(MeetingChair(user=user, role_label=label, position=position))
    db.session.add(meeting)
    return meeting


def seed_demo_data() -> bool:
    """Create the demo network. Returns False (and changes nothing) if it exists."""
    if db.session.scalar(db.select(Series).filter_by(name=SERIES_NAME)):
        return False

    orgs = {}
    for name, acronym, category in ORGANISATIONS:
        existing = db.session.scalar(db.select(Organisation).filter_by(name=name))
        orgs[acronym] = existing or Organisation(name=name, acronym=acronym, category=category)
        db.session.add(orgs[acronym])
    contacts = {}
    for name, position, email, acronym, language in CONTACTS:
        existing = db.session.scalar(db.select(Contact).filter_by(email=email))
        contacts[email] = existing or Contact(
            name=name,
            position=position,
            email=email,
            organisation=orgs[acronym],
            language=language,
        )
        db.session.add(contacts[email])

    def user(email, name, role, contact=None):
        return db.session.scalar(db.select(User).filter_by(email=email)) or _user(
            email, name, role, contact
        )

    user("admin@demo.coordapp.org", "Demo Administrator", Role.ADMIN)
    user(
        "secretariat@demo.coordapp.org",
        "Olga Sidarenka",
        Role.SECRETARIAT,
        contacts["o.sidarenka@demo.coordapp.org"],
    )
    rc = user(
        "rc@demo.coordapp.org", "Andrei Kavalenka", Role.MEMBER, contacts["rc@demo.coordapp.org"]
    )
    com = user(
        "iom.com@demo.coordapp.org",
        "Marta Lindqvist",
        Role.MEMBER,
        contacts["iom.com@demo.coordapp.org"],
    )

    chairs = [(rc, "Co-chair, UN Resident Coordinator"), (com, "Co-chair, IOM Chief of Mission")]
    series = Series(
        name=SERIES_NAME,
        description=(
            "Established in 2020 to support the implementation, follow-up and review of the "
            "Global Compact for Migration; a platform for coordinating migration-related issues."
        ),
    )
    for position, (chair, label) in enumerate(chairs):
        series.default_chairs.append(SeriesChair(user=chair, role_label=label, position=position))
    series.default_contacts = [
        c for c in contacts.values() if c.email != "o.sidarenka@demo.coordapp.org"
    ]
    db.session.add(series)

    today = (
        datetime.now(UTC)
        .astimezone(ZoneInfo("Europe/Minsk"))
        .replace(hour=10, minute=0, second=0, microsecond=0, tzinfo=None)
    )
    _meeting(
        series,
        1,
        "First meeting",
        MeetingKind.REGULAR,
        today - timedelta(days=540),
        2,
        MeetingStatus.CLOSED,
        chairs,
    )
    _meeting(
        series,
        2,
        "Second meeting",
        MeetingKind.REGULAR,
        today - timedelta(days=360),
        2,
        MeetingStatus.CLOSED,
        chairs,
    )
    _meeting(
        series,
        3,
        "Third extended meeting",
        MeetingKind.EXTENDED,
        today - timedelta(days=180),
        3,
        MeetingStatus.CLOSED,
        chairs,
    )
    _meeting(
        series,
        4,
        "Fourth extended meeting: migration and the SDGs",
        MeetingKind.EXTENDED,
        today + timedelta(days=21),
        3.5,
        MeetingStatus.SCHEDULED,
        chairs,
    )
    db.session.commit()
    return True
