"""Every word of mails and pages comes from the catalogs, and the catalogs hold every word (syndication.i18n).

Two kinds of test: the catalogs against what Babel extracts from the code and templates (``babel.cfg``), so
that a string added without a translation fails; and every mail and page rendered in German and in English,
each visible text checked against that language's catalog: what is left after taking away the catalog's
texts and the data shown (articles, the site's own words, names, links, dates) must hold no letter.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import lxml.html
import pytest
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import Engine
from starlette.testclient import TestClient

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.digest.archive import archive_entry, render_edition_page, render_index
from syndication.digest.compose import preheader_for
from syndication.digest.home import render_home
from syndication.digest.personalize import ALL_ARTICLES
from syndication.digest.render import render_transactional
from syndication.i18n import (
    accept_language,
    available_locales,
    catalog_path,
    language_name,
    negotiate,
    normalise,
    page_locale,
    translator,
)
from syndication.mail.base import apply_substitutions
from syndication.model import Article
from syndication.runtime import Runtime
from syndication.testing import make_article
from syndication.tokens import Purpose
from syndication.web import create_app
from tests.digest.conftest import make_edition, subscriber

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("de", "en")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdrgx]")
# Any placeholder a catalog text may hold: ours, and click's (``{name}``, ``{name!r}``: filled by click).
_ANY_PLACEHOLDER = re.compile(_PLACEHOLDER.pattern + r"|\{\w+(?:![rsa])?\}")
_LETTER = re.compile(r"[^\W\d_]")
_URL = re.compile(r"(?:https?|mailto):[^\s<>\"]+")


# -- the catalogs against the code --------------------------------------------------------------------------


def extracted() -> Catalog:
    """What ``pybabel extract -F babel.cfg`` finds in the code and the templates."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog(locale="en")
    for filename, line, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        catalog.add(message, None, [(filename, line)], context=context)
    return catalog


def read_catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


def catalog_problems(language: str, catalog: Catalog, wanted: Catalog) -> list[str]:
    """What is wrong with ``catalog`` for the msgids ``wanted``: missing, untranslated (German), fuzzy, or
    placeholders the msgid does not have. (Entries the code no longer uses are harmless; make catalogs drops them.)"""
    problems = []
    for message in wanted:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        name = f"{language}: {message.id!r}" + (f" (context {message.context!r})" if message.context else "")
        if found is None:
            problems.append(f"{name} is missing")
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if found.fuzzy:
            problems.append(f"{name} is fuzzy")
        if language != "en" and not all(strings):
            problems.append(f"{name} is not translated")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted_names = {name for text in ids for name in _PLACEHOLDER.findall(text)}
        for text in strings:
            if text and set(_PLACEHOLDER.findall(text)) - wanted_names:
                problems.append(f"{name}: {text!r} has a placeholder the msgid does not")
    return problems


@pytest.fixture(scope="module")
def wanted() -> Catalog:
    return extracted()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_every_string_of_code_and_templates(language: str, wanted: Catalog) -> None:
    """Every msgid Babel extracts is in the catalog (German: translated), none fuzzy."""
    assert [] == catalog_problems(language, read_catalog(language), wanted)


def test_a_string_missing_from_a_catalog_is_reported(wanted: Catalog) -> None:
    """A string added to the code but not to a catalog is named, as is one translated with a wrong placeholder."""
    code = copy.deepcopy(wanted)
    code.add("A sentence nobody translated")
    german = read_catalog("de")
    german["Read more"].string = "Weiterlesen %(oops)s"
    assert [
        "de: 'Read more': 'Weiterlesen %(oops)s' has a placeholder the msgid does not",
        "de: 'A sentence nobody translated' is missing",
    ] == catalog_problems("de", german, code)


def test_the_code_marks_strings_babel_can_find(wanted: Catalog) -> None:
    """The extraction sees the templates and the Python code alike (the mapping in babel.cfg works)."""
    places = {Path(path).parts[0] for message in wanted if message.id for path, _ in message.locations}
    assert {"syndication", "subscribers", "templates"} <= places


# -- the module ------------------------------------------------------------------------------------------


def test_a_language_without_catalog_speaks_english() -> None:
    """Regional variants use their language's catalog; a language without one gets the msgids (English)."""
    assert ["de", "de", "en", "en", "en"] == [normalise(x) for x in ("de", "de-AT", "en_GB", "fr", "")]
    assert ("Weiterlesen", "Read more", "Read more") == tuple(
        translator(language).gettext("Read more") for language in ("de-DE", "en", "fr")
    )


def test_plurals_and_numbers_follow_the_language() -> None:
    """One or several, and thousands separators, as the language writes them."""
    german, english = translator("de"), translator("en")
    singular, plural = "%(num)s more article", "%(num)s more articles"
    assert [
        "1 weiterer Artikel",
        "1.234 weitere Artikel",
        "1 more article",
        "1,234 more articles",
    ] == [
        german.ngettext(singular, plural, 1) % {"num": german.format_number(1)},
        german.ngettext(singular, plural, 1234) % {"num": german.format_number(1234)},
        english.ngettext(singular, plural, 1) % {"num": english.format_number(1)},
        english.ngettext(singular, plural, 1234) % {"num": english.format_number(1234)},
    ]


def test_accept_language_is_read_by_quality() -> None:
    """The header's languages by q (ties in order, q=0 and * left out); the first with a catalog wins."""
    assert ["fr_CH", "en", "de"] == accept_language("de;q=0.5, fr-CH, *;q=0.9, en;q=0.8, it;q=0")
    assert ("en", "de", "de", "en") == (
        negotiate("fr-CH, en;q=0.8, de;q=0.5", "de"),
        negotiate("pt-BR", "de"),
        negotiate(None, "de"),
        negotiate("de;q=0, en", "de"),
    )


def test_the_readers_choice_comes_before_accept_language() -> None:
    """``?lang=`` (or the remembered choice) wins when it has a catalog; else the header; else the site's."""
    assert ("en", "de", "de", "en") == (
        page_locale("en", "de", "de"),
        page_locale("xx", "de", "en"),
        page_locale(None, None, "de-AT"),
        page_locale("EN-gb", None, "de"),
    )


def test_every_language_with_a_catalog_is_offered() -> None:
    """German and English have catalogs; the module finds them without a build step (no .mo files)."""
    assert ("de", "en") == available_locales()
    assert [] == sorted(str(path) for path in (ROOT / "syndication" / "locale").rglob("*.mo"))


# -- every mail and page, in both languages ------------------------------------------------------------------


def catalog_texts(language: str) -> list[re.Pattern[str]]:
    """The language's texts as patterns (a placeholder matches anything), longest first; English is the msgids."""
    texts: set[str] = set()
    for message in read_catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts.update(string or source for string, source in zip(strings, ids * len(strings), strict=False))
        if language == "en":
            texts.update(ids)
    patterns = []
    # Longest literal text first (placeholders count nothing): "%(num)s read" must not eat "Read" of "Read more".
    for text in sorted(texts, key=lambda text: len("".join(_ANY_PLACEHOLDER.sub("\0", text).split("\0"))),
                       reverse=True):
        literal = _ANY_PLACEHOLDER.sub("\0", text).split("\0")
        if len(_LETTER.findall("".join(literal))) < 2:
            continue  # a bare placeholder explains nothing, one letter (click's "d" for days) anything
        pieces = [re.escape(" ".join(piece.replace("%%", "%").split())) for piece in literal]
        # Case aside: a form capitalises a label's first letter („täglich“ → „Täglich“).
        patterns.append(re.compile("".join(pieces[:1]) + "".join(r".*?" + piece for piece in pieces[1:]), re.I))
    return patterns


def visible_texts(markup: str, language: str) -> Iterator[str]:
    """The text a reader sees (and the alt and label texts read aloud); a part marked in another language
    (the language switch names each language in itself) is not this page's text."""
    root = lxml.html.document_fromstring(markup)
    for element in root.iter():
        if not isinstance(element.tag, str):
            if element.tail:
                yield element.tail
            continue
        own_lang = element.get("lang")
        foreign = own_lang is not None and element.tag != "html" and own_lang != language
        if element.tag not in ("script", "style") and not foreign:
            if element.text:
                yield element.text
            for attribute in ("alt", "title", "aria-label", "placeholder"):
                if element.get(attribute):
                    yield element.get(attribute, "")
        if element.tail:
            yield element.tail


def html_pieces(markup: str) -> list[str]:
    return [text for text in lxml.html.fragment_fromstring(markup, create_parent="div").itertext() if text.strip()]


def article_data(article: Article) -> list[str]:
    texts = [article.title, article.teaser, *article.categories, *article.regions]
    if article.author:
        texts += [article.author.name, article.author.portrait.alt if article.author.portrait else ""]
    if article.author_quote:
        texts.append(article.author_quote)
    if article.image:
        texts += [article.image.alt, article.image.caption, article.image.credit]
    for section in article.sections:
        texts += [section.heading, *html_pieces(section.html or "<p></p>")]
        texts += [item.text for item in section.items]
    return texts


def unexplained(texts: Iterable[str], language: str, data: Iterable[str]) -> list[str]:
    """The texts that hold letters neither the language's catalog nor the data explain."""
    patterns = catalog_texts(language)
    known = sorted({" ".join(text.split()) for text in data if text and _LETTER.search(text)}, key=len, reverse=True)
    left = []
    for text in texts:
        # Plain-text parts wrap long words at their hyphens ("Ukraine-\nKonflikt"): joined again.
        plain = re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(_URL.sub(" ", text).split()))
        # Either order may be the one that explains a text: catalog first keeps a data word inside a catalog
        # text („Region“) from splitting it; data first keeps a placeholder's pattern from running on into
        # the article text next to it.
        rest = min((_remove(plain, patterns, known), _remove(plain, patterns, known, data_first=True)),
                   key=lambda left: len(_LETTER.findall(left)))
        if _LETTER.search(rest):
            left.append(f"{plain!r} leaves {' '.join(rest.split())!r}")
    return left


def _remove(text: str, patterns: list[re.Pattern[str]], known: list[str], data_first: bool = False) -> str:
    if data_first:
        for value in known:
            text = text.replace(value, " ")
    for pattern in patterns:
        text = pattern.sub(" ", text)
    for value in known:
        text = text.replace(value, " ")
    return text


def site_data(settings: Settings) -> list[str]:
    site = settings.site
    editions = [edition.title for edition in settings.digest.editions]
    return [site.name, site.description, site.publisher_address, site.copyright, *editions, "Anna", "MARKER"]


def dates(language: str) -> list[str]:
    day = date(2026, 11, 24)
    return [format_date(day, format="full", locale=language), format_date(day, format="long", locale=language)]


def in_language(settings: Settings, language: str) -> Settings:
    return settings.model_copy(update={"site": settings.site.model_copy(update={"language": language})})


def articles() -> list[Article]:
    return [
        make_article(1),
        make_article(2, categories=("Wirtschaft",), author_quote="Dialog ist besser als Stillstand."),
        make_article(3, categories=()),
        make_article(4, categories=("Sport",), regions=("Mainz",)),
    ]


@pytest.fixture
def runtime_in(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[dict[str, Runtime]]:
    runtimes = {}
    for language in LANGUAGES:
        runtime = Runtime(settings=in_language(settings, language), secrets=Secrets.from_env(), clock=clock)
        runtime.__dict__["engine"] = engine
        runtimes[language] = runtime
    yield runtimes


def mails(runtime: Runtime) -> dict[str, str]:
    """Every mail the site sends, HTML and text: digests (named reader, no name, one article more than fits
    is not needed: the budget is large), confirmation, welcome and repeated sign-up."""
    settings = runtime.settings
    shown = articles()
    mailer = App(runtime).edition_mailer(make_edition(shown), shown)
    body = mailer.body(ALL_ARTICLES)
    result: dict[str, str] = {}
    for reader in (subscriber(1, name="Anna", slot="18:00"), subscriber(2, name=None, slot="12:00")):
        substitutions = mailer.recipient(reader).substitutions
        result[f"digest {reader.id} html"] = apply_substitutions(body.html, substitutions)
        result[f"digest {reader.id} text"] = apply_substitutions(f"{body.subject}\n{body.text}", substitutions)
    common = {"preferences_url": "https://x.example/p", "unsubscribe_url": "https://x.example/u"}
    variants = {
        "confirm": {"name": "Anna", "confirm_url": "https://x.example/c", "expiry_hours": 48},
        "confirm 1": {"name": None, "confirm_url": "https://x.example/c", "expiry_hours": 1},
        "welcome": {**common, "name": "Anna", "again": False, "frequency_label": "daily", "topics": ["Sport"],
                    "slot": "06:00"},
        "welcome weekly": {**common, "name": None, "again": False, "frequency_label": "once a week", "topics": [],
                           "slot": None},
        "again": {**common, "name": None, "again": True, "frequency_label": "daily", "topics": [], "slot": None},
    }
    for name, context in variants.items():
        template = name.split()[0] if name != "again" else "welcome"
        mail = render_transactional(template, context, settings)
        result[f"{name} html"] = mail.html
        result[f"{name} text"] = f"{mail.subject}\n{mail.text}"
    return result


def web_pages(runtime: Runtime, language: str) -> dict[str, str]:
    """Every page: the archive's edition page and index, the front page and the subscriber pages."""
    settings = runtime.settings
    shown = articles()
    edition = make_edition(shown)
    pages = {
        "edition page": render_edition_page(edition, shown, settings),
        "archive index": render_index([archive_entry(edition, shown, settings)], settings),
        "empty archive": render_index([], settings),
        "home": render_home(settings),
    }
    reader = App(runtime).subscriber_store().add(
        f"reader-{language}@example.org", now=datetime(2026, 11, 24, tzinfo=UTC), status=SubscriberStatus.ACTIVE,
        name="Anna",
    )
    signer = App(runtime).signer()
    preferences = signer.make(Purpose.PREFERENCES, reader.id, reader.email)
    unsubscribe = signer.make(Purpose.UNSUBSCRIBE, reader.id, reader.email)
    with TestClient(create_app(runtime), base_url=settings.site.url) as client:
        # Accept-Language says the other language: the reader's explicit choice must win.
        other = {"accept-language": "en" if language == "de" else "de"}
        for path in ("/subscribe", f"/preferences?token={preferences}", f"/unsubscribe?token={unsubscribe}",
                     "/confirm?token=nonsense", "/"):
            joiner = "&" if "?" in path else "?"
            response = client.get(f"{path}{joiner}lang={language}", headers=other)
            assert 200 <= response.status_code < 500, path
            pages[path.split("?")[0]] = response.text
        client.cookies.set("lang", language)
        refused = client.post("/subscribe", data={"email": "x"}, headers=other)
        pages["form expired"] = refused.text
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_speaks_only_its_language(runtime_in: dict[str, Runtime], language: str) -> None:
    """Digest, confirmation and welcome mails: every visible word is the language's catalog or data."""
    runtime = runtime_in[language]
    data = [*site_data(runtime.settings), *dates(language), "Politik"]
    for article in articles():
        data += article_data(article)
    # The preheader cuts the other articles' titles short (data, but no longer whole).
    data.append(preheader_for(articles(), locale=language).partition(translator(language).gettext("Also:"))[2])
    problems = {}
    for name, mail in mails(runtime).items():
        texts = re.split(r"\n\s*\n", mail) if name.endswith("text") else list(visible_texts(mail, language))
        left = unexplained(texts, language, data)
        if left:
            problems[name] = left
    assert {} == problems


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_speaks_only_its_language(runtime_in: dict[str, Runtime], language: str) -> None:
    """Archive, front page and subscriber pages (chosen with ?lang= against Accept-Language): every visible
    word is the language's catalog or data; ``<html lang>`` says the language."""
    runtime = runtime_in[language]
    data = [*site_data(runtime.settings), *dates(language), "Politik", "Region", "Sport"]
    for article in articles():
        data += article_data(article)
    data.append(preheader_for(articles(), locale=language).partition(translator(language).gettext("Also:"))[2])
    data += [feed.title for feed in _feed_titles(runtime.settings)]
    # The language switch names each language in itself (data, like the site's name).
    data += [language_name(code) for code in available_locales()]
    problems = {}
    langs = {}
    for name, page in web_pages(runtime, language).items():
        langs[name] = lxml.html.document_fromstring(page).get("lang")
        left = unexplained(visible_texts(page, language), language, data)
        if left:
            problems[name] = left
    assert {} == problems
    assert {language} == set(langs.values())


def _feed_titles(settings: Settings) -> list[object]:
    from syndication.feedwriter.links import main_feed_links

    return list(main_feed_links(settings))


def english_in_german(shown: str) -> list[str]:
    """The English catalog texts (ones German says otherwise; no placeholder, over 3 letters) in ``shown``."""
    english_only = {
        message.id for message in read_catalog("de")
        if isinstance(message.id, str) and message.string and message.string != message.id
        and not _PLACEHOLDER.search(message.id) and len(message.id) > 3
    }
    return sorted(text for text in english_only if re.search(rf"\b{re.escape(text)}\b", shown))


def test_the_german_digest_names_no_english_word(runtime_in: dict[str, Runtime]) -> None:
    """The other way round: no English catalog text (that German says otherwise) is in a German mail."""
    german = mails(runtime_in["de"])
    shown = " ".join(
        _URL.sub(" ", text)
        for name, mail in german.items()
        for text in ([mail] if name.endswith("text") else visible_texts(mail, "de"))
    )
    assert [] == english_in_german(shown)


def test_a_newsletter_language_renders_the_same_edition_in_english(runtime_in: dict[str, Runtime]) -> None:
    """The mailer's locale (a newsletter's language) decides, not only the site's: a German site can send
    an English edition, compiled once per language."""
    runtime = runtime_in["de"]
    shown = articles()
    mailer = App(runtime).edition_mailer(make_edition(shown), shown)
    mailer.locale = "en"
    body = mailer.body(ALL_ARTICLES)
    recipient = mailer.recipient(replace(subscriber(1), name="Anna", slot="06:00"))
    text = apply_substitutions(body.text, recipient.substitutions)
    assert ("Good morning, Anna" in text, "Read more:" in text, "Weiterlesen" in text) == (True, True, False)


# -- the command line ----------------------------------------------------------------------------------------


def test_the_command_line_speaks_english_unless_syndication_language_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init` tells what it wrote and what comes next in English, in German with SYNDICATION_LANGUAGE=de;
    the built-in [site] language (German, but not named in a config.toml) does not change it
    (tests/cli/test_language.py has the rest of the choice)."""
    from click.testing import CliRunner

    from syndication.cli import CliContext, cli

    monkeypatch.delenv("SYNDICATION_LANGUAGE", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./config.toml naming a language
    outputs = {}
    for language in ("", "de"):
        result = CliRunner().invoke(
            cli, ["init", str(tmp_path / (language or "en"))],
            env={"SYNDICATION_LANGUAGE": language, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C"},
            obj=CliContext(clock=FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))), catch_exceptions=False,
        )
        outputs[language or "en"] = [line.split("#")[-1].strip() for line in result.output.splitlines()[2:]]
    assert {
        "en": ["", "Next:", "collect, build feeds and archive, send each edition to outbox/",
               "then open http://127.0.0.1:8000/subscribe and /feeds/all.atom",
               "the scheduler: collects, builds and sends on the configured times"],
        "de": ["", "Weiter:", "sammeln, Feeds und Archiv bauen, jede Ausgabe nach outbox/ senden",
               "dann http://127.0.0.1:8000/subscribe und /feeds/all.atom öffnen",
               "der Zeitplaner: sammelt, baut und sendet zu den eingestellten Zeiten"],
    } == outputs
