"""Errors on the command line in German and in English (issue #16): the library's errors (a config value, a
bad article, a bad CSV row), pydantic's expectations and click's own usage errors come from the catalogs.

German: every line is explained by the German catalog and the data it names (tests/test_i18n.py's checker),
and no English catalog text that German translates is left. English: the texts as they always were.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from syndication.cli.click_messages import CLICK_MESSAGES, click_msgids
from syndication.i18n import catalog_path
from tests.cli.site import Site, make_site
from tests.cli.test_language import _TOKENS
from tests.test_i18n import LANGUAGES, english_in_german, unexplained

BAD_CONFIG = '\n[collect]\nmax_article_bytes = "viele"\n\n[delivery]\nbackend = "sendmail"\n'
BAD_ARTICLE = "---\ntitle: Ohne Datum\nstatus: published\n---\nText.\n"
CSV = (
    "email,frequency,slot\nanna@example.org,daily,06:00\nben@example.org,stündlich,06:00\n"
    "carl@example.org,daily,25:00\n"
)
# What a shell runs, each with what it should answer (exit code).
RUNS = (
    ("bad config", ("articles", "list"), 2),
    ("unknown option", ("articles", "list", "--sourcs", "x"), 2),
    ("unknown command", ("articles", "lis"), 2),
    ("extra arguments", ("articles", "list", "x", "y"), 2),
    ("bad choice", ("articles", "list", "--status", "happy"), 2),
    ("bad number", ("subscribers", "purge-pending", "--days", "many"), 2),
    ("out of range", ("subscribers", "purge-pending", "--days", "0"), 2),
    ("missing argument", ("subscribers", "add"), 2),
    ("bad CSV rows", ("subscribers", "import", "people.csv"), 1),
    ("broken article", ("collect",), 1),
    ("missing file", ("subscribers", "import", "nobody.csv"), 1),
)
# Shown as they are, in either language: what the runs were given and what the site holds.
DATA = (
    "'viele'",
    "'sendmail'",
    "'outbox'",
    "'smtp'",
    "'sendgrid'",
    "--sourcs",
    "--source",
    "'lis'",
    "'list'",
    "x y",
    "'happy'",
    "'many'",
    "'published'",
    "'retracted'",
    "'--status'",
    "'--days'",
    "x>=1",
    "daily",
    "weekly",
    "published",
    "collect.max_article_bytes",
    "EMAIL",
    "'stündlich'",
    "'25:00'",
    "broken.md",
    "people.csv",
    "nobody.csv",
    "pending",
    "active",
    "unsubscribed",
    "bounced",
    "complained",
    "config.toml",
    "syndication",
)
COMMANDS = (
    "syndication articles list",
    "syndication articles",
    "syndication subscribers purge-pending",
    "syndication subscribers add",
    "[ARGS]...",
)
_PATHS = re.compile(r"\S*/\S*")
_BAR = re.compile(r"\[\d\d:\d\d")


def _site(root: Path, monkeypatch: pytest.MonkeyPatch, language: str, extra: str = "") -> Site:
    site = make_site(root, monkeypatch, extra=extra)
    return Site(site.root, {**site.env, "SYNDICATION_LANGUAGE": language})


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, tuple[int, list[str]]]]]:
    """Language → run → (exit code, the lines it printed to stderr), paths taken out."""
    outputs: dict[str, dict[str, tuple[int, list[str]]]] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNDICATION_SECRET_KEY", "test-secret-key-0123456789abcdef")
        for language in LANGUAGES:
            outputs[language] = {}
            for name, argv, _code in RUNS:
                root = tmp_path_factory.mktemp(f"errors-{language}")
                site = _site(root, patch, language, BAD_CONFIG if name == "bad config" else "")
                (root / "content" / "broken.md").write_text(BAD_ARTICLE, encoding="utf-8")
                (root / "people.csv").write_text(CSV, encoding="utf-8")
                patch.chdir(root)
                code, _out, err = site.on_terminal(*argv)
                lines = [_PATHS.sub(lambda found: found.group().rsplit("/", 1)[-1], line) for line in err.splitlines()]
                # A progress bar (stderr is a terminal) is no message.
                outputs[language][name] = (code, [line for line in lines if line.strip() and not _BAR.search(line)])
    yield outputs


@pytest.mark.parametrize(("name", "code"), [(name, code) for name, _argv, code in RUNS])
def test_each_error_exits_as_before_in_either_language(
    shown: dict[str, dict[str, tuple[int, list[str]]]], name: str, code: int
) -> None:
    """The language changes the words, not the exit code."""
    assert (code, code) == (shown["en"][name][0], shown["de"][name][0])


def test_every_error_speaks_german_under_syndication_language_de(
    shown: dict[str, dict[str, tuple[int, list[str]]]],
) -> None:
    """Each German line is the German catalog's text around the data it names; no English text is left."""
    lines = [line for _code, printed in shown["de"].values() for line in printed]
    # The usage lines name the program and the commands, option names and metavars.
    data = [*DATA, *COMMANDS, *_TOKENS.findall("\n".join(lines))]
    shown = "\n".join(lines)
    for known in sorted(data, key=len, reverse=True):
        shown = shown.replace(known, " ")
    assert ([], []) == (unexplained(lines, "de", data), english_in_german(shown))


def test_the_english_errors_are_the_texts_they_always_were(
    shown: dict[str, dict[str, tuple[int, list[str]]]],
) -> None:
    """Under English the messages are the library's and click's own English (the last line of each run)."""
    assert {
        "bad config": "syndication: config.toml: collect.max_article_bytes: bad value 'viele': expected a valid "
        "integer, unable to parse string as an integer; config.toml: delivery.backend: bad value 'sendmail': "
        "expected 'outbox', 'smtp' or 'sendgrid'",
        "unknown option": "Error: No such option '--sourcs'. (Did you mean one of: '--source', '--status'?)",
        "unknown command": "Error: No such command 'lis'. Did you mean 'list'?",
        "extra arguments": "Error: Got unexpected extra arguments (x y)",
        "bad choice": "Error: Invalid value for '--status': 'happy' is not one of 'published', 'retracted'.",
        "bad number": "Error: Invalid value for '--days': 'many' is not a valid integer range.",
        "out of range": "Error: Invalid value for '--days': 0 is not in the range x>=1.",
        "missing argument": "Error: Missing argument 'EMAIL'.",
        "bad CSV rows": "people.csv:4: slot '25:00' is not a time like 06:00",
        "broken article": "error: broken.md: published: missing: when was the article published (ISO 8601)?",
        "missing file": "syndication: nobody.csv: file not found",
    } == {name: printed[-1] for name, (_code, printed) in shown["en"].items()}


def test_german_names_the_same_values(shown: dict[str, dict[str, tuple[int, list[str]]]]) -> None:
    """A few German lines as a reader sees them: the words translated, keys, values and file names as written."""
    german = {name: printed[-1] for name, (_code, printed) in shown["de"].items()}
    assert [
        "syndication: config.toml: collect.max_article_bytes: ungültiger Wert 'viele': erwartet: eine gültige ganze "
        "Zahl; die Zeichenkette ist keine ganze Zahl; config.toml: delivery.backend: ungültiger Wert 'sendmail': "
        "erwartet: 'outbox', 'smtp' oder 'sendgrid'",
        "Fehler: Keine Option namens '--sourcs'. (Meinten Sie eines von: '--source', '--status'?)",
        "Fehler: Ungültiger Wert für '--days': 0 liegt nicht im Bereich x>=1.",
        "people.csv:4: die Versandzeit '25:00' ist keine Uhrzeit wie 06:00",
        "Fehler: broken.md: published: fehlt: wann wurde der Artikel veröffentlicht (ISO 8601)?",
    ] == [german[name] for name in ("bad config", "unknown option", "out of range", "bad CSV rows", "broken article")]


def test_the_catalogs_hold_every_message_of_the_installed_click() -> None:
    """click's msgids are listed for Babel (syndication/cli/click_messages.py): a click upgrade with a new
    message fails here until the list (and so the catalogs) has it."""
    assert sorted(set(click_msgids()), key=str) == sorted(set(CLICK_MESSAGES), key=str)


def test_a_catalog_keeps_clicks_placeholders() -> None:
    """click fills ``{name}`` placeholders after the lookup: a German text may use only those of its msgid."""
    brace = re.compile(r"\{(\w+)(?:![rsa])?\}")
    wrong = []
    for message in read_po(catalog_path("de").open("rb"), locale="de"):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {name for text in ids for name in brace.findall(text)}
        wrong += [text for text in strings if set(brace.findall(text)) - wanted]
    assert [] == wrong
