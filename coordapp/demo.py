"""Demo data modelled on a UN country network on migration (fictional people).

`seed_demo_data()` is idempotent: it does nothing when the demo series exists.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coordapp.extensions import db
from coordapp.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemPresenter,
    Attendance,
    Category,
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
    CommitmentUpdate,
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    MinutesItem,
    MinutesStatus,
    MinutesVersion,
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
    secretariat = user(
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
        # A migration network: its commitments count for GCM objectives besides the SDGs.
        uses_gcm=True,
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
    # Held, minutes written but not yet submitted: try the approval and signing here.
    third = _meeting(
        series,
        3,
        "Third extended meeting",
        MeetingKind.EXTENDED,
        today - timedelta(days=14),
        3,
        MeetingStatus.HELD,
        chairs,
    )
    fourth = _meeting(
        series,
        4,
        "Fourth extended meeting: migration and the SDGs",
        MeetingKind.EXTENDED,
        today + timedelta(days=21),
        3.5,
        MeetingStatus.SCHEDULED,
        chairs,
    )
    # A draft whose date is still being found: a scheduling poll, half answered.
    fifth = _meeting(
        series,
        5,
        "Fifth meeting (date to be found)",
        MeetingKind.REGULAR,
        today + timedelta(days=75),
        2,
        MeetingStatus.DRAFT,
        chairs,
    )
    db.session.flush()
    _third_meeting_content(third, contacts, orgs)
    _fourth_meeting_content(fourth, contacts)
    _fifth_meeting_poll(fifth, series, orgs, today, secretariat)
    db.session.commit()
    _ensure_signing_ca()
    return True


def _items(meeting: Meeting, rows) -> list[AgendaItem]:
    items = []
    for position, (title, kind, minutes, presenters, description) in enumerate(rows):
        item = AgendaItem(
            meeting=meeting,
            position=position,
            title=title,
            kind=kind,
            duration_minutes=minutes,
            description=description,
        )
        for order, contact in enumerate(presenters):
            item.presenters.append(AgendaItemPresenter(contact=contact, position=order))
        db.session.add(item)
        items.append(item)
    return items


def _third_meeting_content(meeting: Meeting, contacts: dict, orgs: dict) -> None:
    c = contacts
    items = _items(
        meeting,
        [
            (
                "Opening remarks",
                AgendaItemKind.OPENING,
                15,
                [c["rc@demo.coordapp.org"], c["iom.com@demo.coordapp.org"]],
                None,
            ),
            (
                "Labour migration and skills partnerships",
                AgendaItemKind.PRESENTATION,
                30,
                [c["k.okafor@demo.coordapp.org"]],
                None,
            ),
            (
                "Migration in local development plans",
                AgendaItemKind.DISCUSSION,
                45,
                [c["s.baranau@demo.coordapp.org"]],
                None,
            ),
            ("Closing", AgendaItemKind.CLOSING, 10, [], None),
        ],
    )
    for n, contact in enumerate(c.values()):
        present = n < 14
        db.session.add(
            Invitation(
                meeting=meeting,
                contact=contact,
                status=InvitationStatus.ACCEPTED if present or n % 2 else InvitationStatus.DECLINED,
                attendance=Attendance.PRESENT if present else Attendance.EXCUSED,
            )
        )
    version = MinutesVersion(
        meeting=meeting,
        number=1,
        status=MinutesStatus.DRAFT,
        opening_summary="The co-chairs welcomed the partners, including local authorities "
        "attending for the first time.",
        closing_summary="The co-chairs thanked the partners and proposed to meet again "
        "in about six months.",
    )
    texts = [
        (
            "The Resident Coordinator recalled that well managed migration contributes to "
            "positive development outcomes for migrants and their communities.",
            [],
        ),
        (
            "ILO presented **skills partnerships** with countries of destination.\n\n"
            "- recognition of qualifications\n- pre-departure orientation",
            ["The network will map existing skills partnerships."],
        ),
        (
            "Local authorities described how migration could be reflected in *local "
            "development plans*.",
            ["Partners will support two pilot regions in mainstreaming migration."],
        ),
        ("", []),
    ]
    for item, (text, decisions) in zip(items, texts, strict=True):
        version.items.append(MinutesItem(agenda_item=item, text=text, decisions=decisions))
    db.session.add(version)

    year = date.today().year + 1
    for description, organisations, responsible, due, quarter, goals, objectives, status in (
        (
            "Partners commit to mainstream migration in the local development plans of two "
            "pilot regions.",
            ["Minsk CEC", "Grodno REC", "IOM"],
            c["s.baranau@demo.coordapp.org"],
            date(year, 12, 31),
            None,
            [10, 17],
            [16, 23],
            CommitmentStatus.IN_PROGRESS,
        ),
        (
            "The statistics office will publish a migration data dashboard.",
            ["Belstat"],
            c["a.shostak@demo.coordapp.org"],
            date(year, 6, 30),
            2,
            [10, 17],
            [1],
            CommitmentStatus.OPEN,
        ),
    ):
        commitment = Commitment(
            meeting=meeting,
            agenda_item=items[2],
            description=description,
            responsible=responsible,
            due_date=due,
            due_quarter=quarter,
            status=status,
            organisations=[orgs[acronym] for acronym in organisations],
        )
        commitment.sdgs = [CommitmentSDG(goal=goal) for goal in goals]
        commitment.gcm = [CommitmentGCM(objective=n) for n in objectives]
        commitment.updates.append(
            CommitmentUpdate(
                status=CommitmentStatus.OPEN, meeting=meeting, note="Committed at the meeting."
            )
        )
        if status is not CommitmentStatus.OPEN:
            commitment.updates.append(
                CommitmentUpdate(status=status, note="Pilot regions selected: Minsk and Grodno.")
            )
        db.session.add(commitment)


def _fourth_meeting_content(meeting: Meeting, contacts: dict) -> None:
    c = contacts
    _items(
        meeting,
        [
            (
                "Opening remarks",
                AgendaItemKind.OPENING,
                15,
                [c["rc@demo.coordapp.org"], c["iom.com@demo.coordapp.org"]],
                "Migration as an opportunity to achieve the Sustainable Development Goals.",
            ),
            (
                "Presentation of the Concept of Migration Policy 2024-2028",
                AgendaItemKind.PRESENTATION,
                30,
                [c["v.hrynevich@demo.coordapp.org"]],
                "The new national policy and its implementation plan.",
            ),
            (
                "Migration data management: practices in the region",
                AgendaItemKind.DISCUSSION,
                60,
                [c["a.shostak@demo.coordapp.org"], c["s.almeida@demo.coordapp.org"]],
                "How migration data is collected and analysed, and how to strengthen capacity.",
            ),
            ("Follow-up of commitments", AgendaItemKind.FOLLOW_UP, 30, [], None),
            ("Any other business", AgendaItemKind.AOB, 15, [], None),
            ("Closing", AgendaItemKind.CLOSING, 10, [], None),
        ],
    )
    answers = [
        InvitationStatus.ACCEPTED,
        InvitationStatus.ACCEPTED,
        InvitationStatus.PENDING,
        InvitationStatus.TENTATIVE,
        InvitationStatus.ACCEPTED,
        InvitationStatus.DECLINED,
    ]
    for n, contact in enumerate(c.values()):
        if contact.email == "o.sidarenka@demo.coordapp.org":
            continue
        db.session.add(
            Invitation(
                meeting=meeting,
                contact=contact,
                status=answers[n % len(answers)],
                needs="Vegetarian meal" if n == 4 else None,
            )
        )


def _fifth_meeting_poll(
    meeting: Meeting, series: Series, orgs: dict, today: datetime, by: User
) -> None:
    """A scheduling poll of three candidate dates; the series' list and the chairs asked,
    the ministry a key organisation, some answers in. No email is queued."""
    from coordapp.polls import service as polls

    poll = polls.create_poll(
        meeting,
        message="Which of these dates suit you for the fifth meeting?",
        deadline=datetime.now(UTC) + timedelta(days=10),
        reminder_days_before=2,
        by=by,
    )
    first_day = (today + timedelta(days=60)).date()
    slots = [
        polls.add_slot(poll, day=first_day + timedelta(days=n), start=time(10), end=time(12), by=by)
        for n in (0, 2, 7)
    ]
    polls.set_key_organisations(poll, [orgs["MIA"].id], by=by)
    asked = polls.ask_chairs(poll, by=by)
    asked += polls.ask_people(poll, series.default_contacts, by=by).asked
    for respondent in asked:  # as if their poll emails had gone out
        respondent.emailed_at = respondent.asked_at
    patterns = [("yes", "if_need_be", "no"), ("no", "yes", "yes"), ("yes", "yes", "if_need_be")]
    for n, respondent in enumerate(asked[: len(asked) // 2 + 1]):
        choices = patterns[n % len(patterns)]
        polls.answer(respondent, dict(zip([s.id for s in slots], choices, strict=True)), None)


def _ensure_signing_ca() -> None:
    """The demo signs minutes: create the deployment's signing CA once."""
    from coordapp.signing import SigningConfigError
    from coordapp.signing.ca import current_ca, init_ca

    try:
        current_ca()
    except SigningConfigError:
        init_ca()
        db.session.commit()
