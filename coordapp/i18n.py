"""Which language a page, an email or a document speaks.

- A page with a personal link (RSVP, commitment status): the language chosen on that page
  for that link (remembered in the browser's session), else the contact's language.
- A user: the language in their account settings, else the browser's Accept-Language,
  else DEFAULT_LANGUAGE. A visitor without an account may pick one from the header menu
  (kept in their session).
- Emails: the recipient's language; documents (agenda, minutes, signature stamps): the
  meeting's language. Both go through `supported` and flask_babel.force_locale.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from babel import Locale
from babel.dates import get_timezone_location
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations, refresh
from flask_babel.speaklater import LazyString
from flask_login import current_user

# English keeps the app's own style, "Thu 4 Mar 2027, 10:00 (Europe/Minsk)"; the other
# languages use their CLDR patterns: «чт, 4 мар. 2027 г., 10:00 (Минск)».
ENGLISH_PATTERN = "EEE d MMM y, HH:mm"
# Languages whose abbreviated months read oddly in official text («6 сту 2027»): they
# always write the month in full («6 студзеня 2027 г.»).
FULL_MONTHS = {"be"}

# The session keeps the language chosen on at most this many personal links (the cookie
# stays small; a link beyond them falls back to its contact's language).
LINK_LANGUAGES_KEPT = 20


def languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def default_language() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def supported(code: str | None) -> str:
    """`code` if the app speaks it, else the deployment's default language."""
    return code if code in languages() else default_language()


@functools.lru_cache(maxsize=64)
def native_name(code: str) -> str:
    """A language's name in itself: "Русский", "Беларуская", "English"."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


def language_menu() -> list[tuple[str, str]]:
    """(code, native name) for each language the app speaks, for the language menus."""
    return [(code, native_name(code)) for code in languages()]


def current_locale() -> Locale:
    """The locale being spoken: the page's, or the one forced for an email or document."""
    return get_locale() or Locale.parse(default_language() if has_app_context() else "en")


def _month(locale: Locale, full: bool) -> str:
    return "MMMM" if full or locale.language in FULL_MONTHS else "MMM"


def date_pattern(locale: Locale, *, full_month: bool = False) -> str:
    """A day: "6 Jan 2027", «6 янв. 2027 г.», «6 студзеня 2027 г.»; `full_month` where
    the date stands alone in a sentence or a heading ("6 January 2027")."""
    month = _month(locale, full_month)
    if locale.language == "en":
        return f"d {month} y"
    return locale.datetime_skeletons[f"y{month}d"].pattern


def datetime_pattern(locale: Locale, *, weekday: bool = True) -> str:
    """Day, month, year and 24-hour time, as `locale` writes them."""
    if locale.language == "en":
        return ENGLISH_PATTERN if weekday else ENGLISH_PATTERN[4:]
    month = _month(locale, False)
    day = locale.datetime_skeletons[f"y{month}Ed" if weekday else f"y{month}d"].pattern
    time = locale.datetime_skeletons["Hm"].pattern
    return locale.datetime_formats["medium"].replace("{1}", day).replace("{0}", time)


def zone_name(tz_name: str, locale: Locale | None = None) -> str:
    """The zone as the reader knows it: the IANA name in English ("Europe/Minsk"), the
    city in the reader's language elsewhere where Babel knows it («Минск»)."""
    locale = locale or current_locale()
    if locale.language == "en" or "/" not in tz_name:
        return tz_name
    try:
        return get_timezone_location(tz_name, locale=locale, return_city=True) or tz_name
    except (LookupError, ValueError):
        return tz_name


def stale_catalogues(translations_dir: Path, codes: list[str]) -> list[str]:
    """What is wrong with the compiled catalogues of the languages `codes`: a `.po` without
    its `.mo`, or a `.mo` older than its `.po`. Without them, Babel silently speaks
    English (around dates in the reader's language)."""
    problems = []
    for code in codes:
        folder = translations_dir / code / "LC_MESSAGES"
        po, mo = folder / "messages.po", folder / "messages.mo"
        if not po.exists():
            problems.append(f"{code}: no catalogue {po}")
        elif not mo.exists():
            problems.append(f"{code}: {mo.name} was never compiled")
        elif mo.stat().st_mtime < po.stat().st_mtime:
            problems.append(f"{code}: {mo.name} is older than {po.name}")
    return problems


def check_catalogues(app: Flask, translations_dir: Path) -> None:
    """Refuse to start in production (warn loudly elsewhere) when a language the app
    offers would be served from a missing or outdated compiled catalogue."""
    problems = stale_catalogues(translations_dir, list(app.config["LANGUAGES"]))
    if not problems:
        return
    message = (
        f"The translations are not compiled ({'; '.join(problems)}): run "
        "`pybabel compile -d translations` (`make install` does it)"
    )
    if app.config.get("ENV_NAME") == "production":
        raise RuntimeError(message)
    app.logger.warning("%s. Until then pages and emails are in English.", message)


def select_locale() -> str | None:
    """Flask-Babel's locale selector (see the module docstring for the order). Outside a
    request (the command line) the deployment's default language."""
    if not has_request_context():
        return default_language()
    page_language = g.get("page_language")
    if page_language:
        return page_language
    current_user._get_current_object()  # loads the user once, noting their language
    user_language = g.get("user_language")
    if user_language:
        return supported(user_language)
    chosen = session.get("language")
    if chosen in languages():
        return chosen
    return request.accept_languages.best_match(languages()) or default_language()


def note_user_language(language: str | None) -> None:
    """Called when the logged-in user is loaded (or changes their setting): kept aside so
    that choosing the locale never reloads a user that a commit has expired."""
    g.user_language = language


def use_language(code: str | None) -> None:
    """Speak `code` (or the default) for the rest of this request."""
    g.page_language = supported(code)
    refresh()


def _link_key(token: str) -> str:
    # The session cookie is readable by its holder: keep a digest, not the token.
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def use_link_language(token: str, preferred: str | None) -> None:
    """For a personal-link page: `?lang=xx` picks a language for this link (remembered
    in the session); else the one picked before on this link; else `preferred` (the
    contact's language)."""
    key = _link_key(token)
    chosen: dict = dict(session.get("link_languages") or {})
    asked = request.args.get("lang")
    if asked in languages():
        while len(chosen) >= LINK_LANGUAGES_KEPT and key not in chosen:
            chosen.pop(next(iter(chosen)))
        chosen[key] = asked
        session["link_languages"] = chosen
    use_language(chosen.get(key) or preferred)
    g.link_language_switch = True


def _translations():
    """flask_babel.get_translations(), remembered in `g` with the locale it was for:
    Flask-Babel rebuilds its cache key on every call, some fifty times per page. A new
    locale (refresh, force_locale) is a new Locale object: looked up afresh."""
    locale = get_locale()
    remembered = g.get("coordapp_translations")
    if remembered is None or remembered[0] is not locale:
        remembered = (locale, get_translations())
        g.coordapp_translations = remembered
    return remembered[1]


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext, through _translations."""
    translations = _translations() if has_app_context() else get_translations()
    text = translations.ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """flask_babel.lazy_gettext, through _translations: for the labels and messages of
    forms on the busiest pages (the RSVP page translates some twenty each time)."""
    return LazyString(gettext, string, **variables)


def register(app: Flask) -> None:
    app.jinja_env.filters["language_name"] = native_name
    # Flask-Babel's own callables (flask_babel.Babel.init_app), with _translations.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.before_request
    def _choose_afresh() -> None:
        # Each request chooses its own language, also where requests share an app
        # context (and so `g`), as in tests.
        for name in ("page_language", "user_language", "link_language_switch"):
            g.pop(name, None)
        refresh()

    @app.context_processor
    def _language_context() -> dict:
        locale = get_locale()
        return {
            "current_language": str(locale.language) if locale else default_language(),
            "language_menu": language_menu,
            # Personal-link pages switch with ?lang= (remembered for that link).
            "link_language_switch": bool(g.get("link_language_switch")),
        }
