"""The command line in German and in English: what a command prints comes from that language's catalog.

The checker is tests/test_i18n.py's (``unexplained``): every line a command prints, minus that language's
catalog texts and minus the data shown (articles, names, paths, ids, option names), must hold no letter; and
no English catalog text that German translates may be left in the German output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import click
import pytest

from syndication.cli import cli
from syndication.i18n import cli_locale
from tests.cli.site import Site, make_site
from tests.test_i18n import LANGUAGES, english_in_german, unexplained

EDITION_ID = "daily-2026-11-24"  # FixedClock's day in Berlin
COMMANDS = (
    ("collect",),
    ("articles", "list"),
    ("feeds", "build"),
    ("feeds", "list"),
    ("subscribers", "add", "anna@example.org", "--confirmed", "--name", "Anna", "--topics", "Politik"),
    ("subscribers", "add", "ben@example.org"),
    ("subscribers", "list"),
    ("subscribers", "segment", "save", "sport", "--topic", "Sport"),
    ("partners", "add", "Südwest-Presse", "--categories", "Politik,Sport"),
    ("partners", "list"),
    ("digest", "build"),
    ("digest", "build"),
    ("digest", "list"),
    ("digest", "send"),
    ("digest", "send", "--help"),
    ("subscribers", "add", "--help"),
    ("status",),
)
# Errors go through syndication.cli.main, as a shell runs the command.
ERRORS = (("digest", "report", "nope"), ("articles", "list", "--source", "nope"))
# Shown as they are and never part of a catalog text: addresses and API keys (taken out first).
_OPAQUE = re.compile(r"[\w.+-]+@[\w.-]+\w|\bsynd_[\w-]+")
# A help page's option column ("  --edition-id TEXT  "): names and metavars, taken out first, as a catalog
# text ("Edition") could otherwise eat into a name.
_OPTION_TERM = re.compile(r"^ {2}-\S.*?(?= {2,}|$)", re.M)
# What the output shows that is no language: option names, metavars, choices, paths, addresses, keys, dates, times
# (data like the articles: taken away after the catalog's texts, which may hold them, as "(HH:MM)").
_TOKENS = re.compile(
    r"(?<![\w-])--?[a-z][\w-]*|\b[A-Z][A-Z_]+\b|\[\w+(?:\|\w+)+\]|\S*/\S*|[\w.+-]+@[\w.-]+\w|\bsynd_[\w-]+"
    r"|\d{4}-\d\d-\d\d(?:[T ][\d:+.]+)?|\d\d:\d\d|\b[\w.-]+\.(?:toml|db|eml|html|txt|atom|csv)\b|\[\[[\w.]+\]\]"
)


def _json(site: Site, *argv: str) -> Any:
    return json.loads(site.invoke(*argv, "--json").stdout)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[list[str], list[str]]]]:
    """Language → (the lines every command printed, the data they show), one fresh site per language."""
    outputs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNDICATION_SECRET_KEY", "test-secret-key-0123456789abcdef")
        for language in LANGUAGES:
            made = make_site(tmp_path_factory.mktemp(f"language-{language}"), patch)
            site = replace(made, env={**made.env, "SYNDICATION_LANGUAGE": language})
            lines = []
            for argv in COMMANDS:
                result = site.invoke(*argv)
                assert result.exit_code in (0, 1), (argv, result.output)
                # The usage line names the program (CliRunner calls it "cli") and the command.
                output = result.output.replace(" ".join(("cli", *argv[:-1])), " ")
                output = _OPAQUE.sub(" ", output.replace(str(site.root), " "))
                lines += output.splitlines() if "--help" not in argv else [_OPTION_TERM.sub(" ", output)]
            for argv in ERRORS:
                code, out, err = site.on_terminal(*argv)
                assert 2 == code, (argv, out, err)
                lines += _OPAQUE.sub(" ", (out + err).replace(str(site.root), " ")).splitlines()
            outputs[language] = (lines, _data(site) + _TOKENS.findall("\n".join(lines)))
    yield outputs


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


def _data(site: Site) -> list[str]:
    """What the commands show that is no language, from their --json (which is never translated)."""
    # The program's name (CliRunner calls it "cli"), command names, choices, what the commands were given.
    data = [
        str(site.root),
        "Anna",
        "Politik",
        "Sport",
        "sport",
        "Südwest-Presse",
        "daily",
        "weekly",
        "outbox",
        "sqlite",
        "atom",
        "syndication",
        "cli",
        "digest send",
        "subscribers add",
        "feeds list",
        "progress",
        "nope",
    ]
    for article in _json(site, "articles", "list"):
        # The checker joins a word split at its hyphen ("Rad- und" → "Rad-und"), as plain-text mails wrap.
        data += [
            article["title"],
            article["title"].replace("- ", "-"),
            article["source"],
            *article["categories"],
            *article["regions"],
        ]
        data += [article["author"]["name"]] if article.get("author") else []
    for feed in _json(site, "feeds", "list"):
        data += [feed["kind"], feed["name"], feed["title"]]
    for edition in _json(site, "digest", "list"):
        data += [edition["id"], edition["name"], edition["title"]]
    status = _json(site, "status")
    data += [job["id"] for job in status["jobs"]] + [job["schedule"] for job in status["jobs"] if job.get("schedule")]
    data += [str(job["last"]["outcome"]) for job in status["jobs"] if job.get("last")]
    data += [" ".join(path) for path in _command_paths(cli)]
    # The scheduler's own findings keep the library's English (docs/developers/translations.md).
    data += status["problems"]
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_speaks_only_its_language(printed: dict[str, tuple[list[str], list[str]]], language: str) -> None:
    """Messages, tables, summaries, help pages and errors: every word is the language's catalog or data."""
    lines, data = printed[language]
    assert [] == unexplained(lines, language, data)


def test_the_german_output_has_no_english_word_german_translates(
    printed: dict[str, tuple[list[str], list[str]]],
) -> None:
    """The other way round: no English catalog text that German says otherwise is left in the German output."""
    lines, data = printed["de"]
    shown = " ".join(lines)
    for known in sorted(data, key=len, reverse=True):
        shown = shown.replace(known, " ")
    assert [] == english_in_german(shown)


def test_counts_are_written_as_the_language_writes_them(printed: dict[str, tuple[list[str], list[str]]]) -> None:
    """One subscriber or several, in each language's words and plural."""
    counts = {
        language: [line for line in lines if re.fullmatch(r"\d+ \w+", line.strip())]
        for language, (lines, _data) in printed.items()
    }
    assert ("2 Abonnenten" in counts["de"], "2 subscribers" in counts["en"]) == (True, True)


def test_the_language_is_chosen_as_mature_command_lines_choose_it() -> None:
    """SYNDICATION_LANGUAGE, else the [site] language config.toml names, else LANGUAGE, LC_ALL, LC_MESSAGES,
    LANG (C and POSIX are English), else English; a language without a catalog is English."""
    assert [
        cli_locale({"SYNDICATION_LANGUAGE": "de", "LANG": "en_US.UTF-8"}, "en"),
        cli_locale({"LANG": "en_US.UTF-8"}, "de-DE"),
        cli_locale({"LANGUAGE": "fr:de", "LANG": "en_US.UTF-8"}),
        cli_locale({"LC_ALL": "de_AT.UTF-8@euro", "LANG": "en_US"}),
        cli_locale({"LC_MESSAGES": "C.UTF-8", "LANG": "de_DE"}),
        cli_locale({"LANG": "fr_FR.UTF-8"}),
        cli_locale({}),
    ] == ["de", "de", "de", "de", "en", "en", "en"]


def test_a_site_that_names_its_language_speaks_it_unless_the_variable_says_otherwise(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``[site] language = "de"`` in config.toml makes the site's commands German; the built-in default does
    not; SYNDICATION_LANGUAGE wins over both."""
    site = make_site(tmp_path, monkeypatch)
    named = site.root / "named.toml"
    named.write_text(
        site.config.read_text(encoding="utf-8").replace("[site]", '[site]\nlanguage = "de"'), encoding="utf-8"
    )
    outputs = []
    for config, language in ((site.config, ""), (named, ""), (named, "en")):
        env = {
            **site.env,
            "SYNDICATION_LANGUAGE": language,
            "LANGUAGE": "",
            "LC_ALL": "",
            "LC_MESSAGES": "",
            "LANG": "C.UTF-8",
        }
        outputs.append(replace(site, env=env).invoke("--config", str(config), "subscribers", "list").output.strip())
    assert ["0 subscribers", "0 Abonnenten", "0 subscribers"] == outputs
