"""`syndication collect` and `syndication articles list`: output, JSON shape, exit codes, config errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from syndication.cli import main
from syndication.clock import FixedClock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG = '[site]\nvar_dir = "var"\npublic_dir = "public"\noutbox_dir = "outbox"\n\n[[sources]]\nname = "content"\ntype = "folder"\npath = "content"\n'  # noqa: E501
ARTICLE_FIELDS = {
    "id", "url", "title", "teaser", "published", "updated", "status", "author", "image",
    "categories", "regions", "sections", "sources", "author_quote",
}  # fmt: skip


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file in tmp_path whose folder source is a copy of the sample articles."""
    for name in list(os.environ):
        if name.startswith("SYNDICATION_") and name != "SYNDICATION_SECRET_KEY" and "_TEST_" not in name:
            monkeypatch.delenv(name)
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the console entry point; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv), clock=FixedClock())
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def _samples(config: Path) -> int:
    return sum(1 for p in (config.parent / "content").rglob("*") if p.suffix in (".md", ".html"))


def test_collect_succeeds_with_exit_code_0(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A clean collect exits 0 and summarises what it stored."""
    code, out, err = run(capsys, "--config", str(config), "collect")
    assert (0, f"collected: {_samples(config)} new, 0 updated, 0 retracted, 0 unchanged, 0 errors\n", "") == (
        code,
        out,
        err,
    )


def test_collect_with_a_bad_file_exits_1_and_names_it(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One bad file: exit 1, one error line naming file and field, the rest collected."""
    bad = config.parent / "content" / "kaputt.md"
    bad.write_text("---\ntitle: Kaputt\npublished: irgendwann\n---\nText", encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "collect")
    assert (1, f"error: {bad}: published: 'irgendwann' is not an ISO 8601 date", True) == (
        code,
        err.splitlines()[0].split(" (e.g.")[0],
        out.startswith(f"collected: {_samples(config) - 1} new,"),
    )


def test_articles_list_prints_a_table(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table has a header, one row per published article (newest first) and a count."""
    run(capsys, "--config", str(config), "collect")
    code, out, _ = run(capsys, "--config", str(config), "articles", "list")
    lines = out.splitlines()
    assert (
        0,
        ["published", "status", "categories", "author", "title"],
        "2026-11-23 06:30  published",
        f"{_samples(config) - 1} articles",
    ) == (code, lines[0].split(), lines[1][:27], lines[-1])


def test_articles_list_json_has_the_model_field_names(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints full article objects with the model's field names, nested ones included."""
    run(capsys, "--config", str(config), "collect")
    code, out, _ = run(capsys, "--config", str(config), "articles", "list", "--json")
    articles = json.loads(out)
    with_image = next(a for a in articles if a["image"])
    assert (0, set(), True, {"role", "heading", "html", "items"}, {"name", "portrait", "url"}) == (
        code,
        ARTICLE_FIELDS - set(articles[0]),
        "ai_generated" in with_image["image"],
        {"role", "heading", "html", "items"} & set(articles[0]["sections"][0]),
        set(articles[0]["author"]),
    )


def test_articles_list_json_keeps_german_text_readable(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON output is UTF-8 text, not \\u escapes: „Die Räuber“ stays readable."""
    run(capsys, "--config", str(config), "collect")
    _, out, _ = run(capsys, "--config", str(config), "articles", "list", "--json")
    assert (True, False) == ("„Die Räuber“" in out, "\\u201e" in out)


def test_articles_list_all_includes_retracted(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--all lists the retracted sample too."""
    run(capsys, "--config", str(config), "collect")
    _, out, _ = run(capsys, "--config", str(config), "articles", "list", "--all", "--json")
    assert ["retracted"] == [a["status"] for a in json.loads(out) if a["status"] != "published"]


def test_two_collects_list_the_same_json(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Collecting twice leaves `articles list --json` byte for byte the same."""
    run(capsys, "--config", str(config), "collect")
    _, first, _ = run(capsys, "--config", str(config), "articles", "list", "--all", "--json")
    code, summary, _ = run(capsys, "--config", str(config), "collect")
    _, second, _ = run(capsys, "--config", str(config), "articles", "list", "--all", "--json")
    assert (0, f"collected: 0 new, 0 updated, 0 retracted, {_samples(config)} unchanged, 0 errors\n", first) == (
        code,
        summary,
        second,
    )


def test_bad_config_value_exits_2_naming_key_value_and_expectation(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNDICATION_DELIVERY__BACKEND=sendmail: exit 2, one line with key, value and what was expected."""
    monkeypatch.setenv("SYNDICATION_DELIVERY__BACKEND", "sendmail")
    code, out, err = run(capsys, "--config", str(config), "collect")
    assert (2, "", True, 1) == (
        code,
        out,
        all(part in err for part in ("delivery.backend", "'sendmail'", "expected", "'outbox'")),
        len(err.splitlines()),
    )


def test_secret_in_config_file_is_refused(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An API key written into config.toml is refused with exit 2; nothing runs."""
    config.write_text(CONFIG + '\n[delivery.sendgrid]\napi_key = "SG.geheim"\n', encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "collect")
    assert (2, "", True, False, False) == (
        code,
        out,
        "delivery.sendgrid.api_key" in err,
        "SG.geheim" in err,
        (config.parent / "var").exists(),
    )


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--config naming a file that does not exist is a usage error."""
    code, _, err = run(capsys, "--config", str(tmp_path / "fehlt.toml"), "collect")
    assert (2, f"syndication: {tmp_path / 'fehlt.toml'}: config file not found\n") == (code, err)


def test_misconfigured_source_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wordpress source without a URL stops collect with exit 2, naming sources[1].url."""
    config.write_text(CONFIG + '\n[[sources]]\nname = "web"\ntype = "wordpress"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "collect")
    assert (2, True) == (code, err.startswith("syndication: sources[1].url: "))


def test_config_from_environment_variable(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNDICATION_CONFIG picks the config file when --config is not given."""
    monkeypatch.setenv("SYNDICATION_CONFIG", str(config))
    code, out, _ = run(capsys, "collect")
    assert (0, True) == (code, out.startswith(f"collected: {_samples(config)} new"))


def test_collect_into_postgresql(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """With [store] url pointing at PostgreSQL, collect and list work the same (twice, idempotent)."""
    monkeypatch.setenv("SYNDICATION_STORE__URL", postgres_url)
    first = run(capsys, "--config", str(config), "collect")
    second = run(capsys, "--config", str(config), "collect")
    _, out, _ = run(capsys, "--config", str(config), "articles", "list", "--json")
    assert (0, 0, f"{_samples(config)} unchanged", _samples(config) - 1) == (
        first[0],
        second[0],
        second[1].split(", ")[3],
        len(json.loads(out)),
    )
