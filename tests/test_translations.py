"""Every user-facing string is marked for translation, and the English catalogue exists."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


def _bare_text(template: str) -> list[str]:
    text = JINJA.sub(" ", template)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = TAG.sub("\n", text)
    text = ENTITY.sub(" ", text)
    return [line.strip() for line in text.splitlines() if re.search(r"[A-Za-z]{2,}", line)]


def test_templates_have_no_untranslated_text():
    offenders = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        bare = _bare_text(path.read_text(encoding="utf-8"))
        if bare:
            offenders[str(path.relative_to(ROOT))] = bare
    assert offenders == {}


def test_english_catalogue_holds_the_app_strings():
    with open(ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    ids = {message.id for message in catalogue if message.id}
    for text in ("Log in", "Meetings", "National government", "Please log in to see this page."):
        assert text in ids


# --- the ru and be catalogues are complete and consistent --------------------------------

TRANSLATED = ["ru", "be"]
# %(name)s, %d, {n}, {0}: what gettext or str.format fills in.
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|%[sd]|\{\w*\}")


def _catalogue(path: Path):
    with open(path, "rb") as po:
        return read_po(po)


def _placeholders(text: str) -> list[str]:
    return sorted(p for p in PLACEHOLDER.findall(text or "") if p != "%%")


def catalogue_problems(language: str, root: Path = ROOT) -> list[str]:
    """What is wrong with LANGUAGE's catalogue against messages.pot (empty: nothing)."""
    from babel.messages.catalog import TranslationError
    from babel.messages.checkers import num_plurals, python_format

    template = _catalogue(root / "translations" / "messages.pot")
    catalogue = _catalogue(root / "translations" / language / "LC_MESSAGES" / "messages.po")
    problems = []
    for wanted in template:
        if not wanted.id:
            continue
        key = f"{wanted.context + ' | ' if wanted.context else ''}{wanted.id!r}"
        message = catalogue.get(wanted.id, context=wanted.context)
        if message is None:
            problems.append(f"{key}: missing")
            continue
        if message.fuzzy:
            problems.append(f"{key}: fuzzy")
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            problems.append(f"{key}: not translated")
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        for string in strings:
            # Singular and plural msgids may differ (%(num)d only in the plural); a form
            # may leave out a placeholder only where the msgid singular does.
            if not set(_placeholders(string)) <= set(_placeholders(ids[-1])) | set(
                _placeholders(ids[0])
            ):
                problems.append(f"{key}: placeholders {_placeholders(string)} not in msgid")
        if len(ids) == 1 and _placeholders(strings[0]) != _placeholders(ids[0]):
            problems.append(
                f"{key}: placeholders {_placeholders(strings[0])} != {_placeholders(ids[0])}"
            )
        for check in (num_plurals, python_format):
            try:
                check(catalogue, message)
            except TranslationError as error:
                problems.append(f"{key}: {error}")
    return problems


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_translates_every_message_with_the_same_placeholders(language):
    assert catalogue_problems(language) == []


def msgfmt_check(po: Path) -> str:
    """GNU msgfmt's --check (format strings of every plural form, header…): its complaints."""
    if not shutil.which("msgfmt"):
        pytest.skip("no msgfmt (apt-get install gettext)")
    run = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    return "" if run.returncode == 0 else run.stderr


@pytest.mark.parametrize("language", TRANSLATED)
def test_msgfmt_check_passes(language):
    """Every plural form keeps its number (ru and be use form 0 for 21, 31…, so the
    singular "one" is a message of its own in the code)."""
    assert msgfmt_check(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po") == ""


def test_msgfmt_check_catches_a_plural_form_without_its_number(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && '
        'n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
        "#, python-format\n"
        'msgid "The chair can come."\nmsgid_plural "All %(num)s chairs can come."\n'
        'msgstr[0] "Председатель может прийти."\n'
        'msgstr[1] "Все %(num)s председателя могут прийти."\n'
        'msgstr[2] "Все %(num)s председателей могут прийти."\n',
        encoding="utf-8",
    )
    assert "msgstr[0]" in msgfmt_check(po)


def test_catalogue_check_catches_a_missing_fuzzy_or_wrong_placeholder_message(tmp_path):
    """The check itself fails on the three faults it is there for."""
    from babel.messages.pofile import write_po

    catalogue = _catalogue(ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po")
    catalogue.delete("Log in")
    catalogue.get("Meetings").flags.add("fuzzy")
    catalogue.get("Dear %(name)s,").string = "Уважаемый(ая) %(title)s,"
    broken = tmp_path / "translations" / "xx" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    with open(broken / "messages.po", "wb") as po:
        write_po(po, catalogue)
    (tmp_path / "translations" / "messages.pot").write_bytes(
        (ROOT / "translations" / "messages.pot").read_bytes()
    )
    problems = "\n".join(catalogue_problems("xx", root=tmp_path))
    assert "'Log in': missing" in problems
    assert "'Meetings': fuzzy" in problems
    assert "'Dear %(name)s,': placeholders" in problems


def test_the_template_holds_every_message_of_the_sources():
    """`make extract-messages` was run: messages.pot knows every string in the code and
    templates (mail subjects and text bodies too)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_pgettext": ((1, "c"), 2)}
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    template = _catalogue(ROOT / "translations" / "messages.pot")
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
    assert found - known == set(), "run `make extract-messages`"
    assert ("person", "Name") in found and ("series list", "Series") in found
    assert (None, "Dear %(name)s,") in found  # from templates/mail/*.txt


# Wording decided by a professional read (issue 21); translations/GLOSSARY.md records why.
WORDING = [
    ("be", "Someone saved this summary after you opened it.", "як Вы яго адкрылі"),
    ("be", "Someone saved this summary after you opened it.", "скапіюйце"),
    ("ru", "You changed the draft since the last publication", "пока Вы не"),
    ("be", "You changed the draft since the last publication", "пакуль Вы не"),
    ("ru", "The draft is pre-filled from version", "пока Вы не"),
    ("be", "The draft is pre-filled from version", "пакуль Вы не"),
    ("ru", "%(num)s person asked", "В опрос добавлен %(num)s человек"),
    ("be", "%(num)s person asked", "Да апытання дададзены %(num)s чалавек"),
    ("ru", "The Global Compact for Migration has objectives 1 to", "Неверный номер цели ГДМ"),
    ("be", "The Global Compact for Migration has objectives 1 to", "Няправільны нумар мэты ГДМ"),
    ("ru", "This meeting is %(status)s", "заседанию в статусе проекта"),
    ("be", "This meeting is %(status)s", "пасяджэнню ў статусе праекта"),
    ("be", "Presentation", "Даклад"),
    ("be", "Superseded by version %(number)s", "рэдакцыяй"),
    ("be", "superseded by a later version", "рэдакцыяй"),
    ("ru", "Requested a PDF of the periodic report", "Запросил(а)"),
    ("be", "Requested a PDF of the periodic report", "Запытаў(ла)"),
    ("be", "Chose the date from the poll", "Выбраў(ла)"),
    ("be", "e.g. Co-chair, UN Resident Coordinator", "напрыклад, сустаршыня"),
    ("ru", "A chosen presenter no longer exists.", "больше нет в справочнике"),
    ("ru", "retrying after:", "после ошибки:"),
    ("ru", "Something went wrong on our side.", "Произошла ошибка на сервере."),
    ("be", "Something went wrong on our side.", "На серверы адбылася памылка."),
    ("be", "Q%(quarter)s %(year)s", "%(quarter)s кв. %(year)s г."),
    ("ru", "The meeting gets this date", "направить заменяющего представителя"),
    ("ru", "The meeting gets this date", "контактное лицо"),
    ("be", "The meeting gets this date", "гэтая дата"),
    ("be", "Choose this date and send the invitations", "гэтую"),
    ("be", "Please read them and either approve", "з пратаколам і або"),
    ("be", "Minimize the adverse drivers", "Звядзенне да мінімуму"),
    ("be", "Establish mechanisms for the portability", "дапамог"),
    ("ru", "Dear %(name)s,", "!"),
    ("be", "Dear %(name)s,", "!"),
]


@pytest.mark.parametrize(("language", "start", "wording"), WORDING)
def test_the_decided_wording_is_in_the_catalogue(language, start, wording):
    catalogue = _catalogue(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po")
    found = [
        m
        for m in catalogue
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]).startswith(start)
    ]
    assert found, start
    text = " ".join(m.string if isinstance(m.string, str) else " ".join(m.string) for m in found)
    assert wording in text


def test_russian_sdg_and_gcm_titles_follow_the_un_spelling_without_yo():
    from coordapp.gcm import GCM_OBJECTIVES
    from coordapp.models.commitment import SDG_NAMES

    # The English titles, as marked for translation (lazy strings keep their msgid).
    titles = {
        getattr(title, "_args", (title,))[0]
        for title in (*GCM_OBJECTIVES.values(), *SDG_NAMES.values())
    }
    catalogue = _catalogue(ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po")
    russian = {m.id: m.string for m in catalogue if m.id in titles}
    assert len(russian) == len(titles)
    assert [text for text in russian.values() if "ё" in text] == []
