"""Every user-facing string is marked for translation, and the English catalogue exists."""

import re
from pathlib import Path

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
