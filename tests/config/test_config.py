"""Configuration: defaults, environment overrides, validation messages, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndication.config import Secrets, apply_env_overrides, load_settings
from syndication.errors import ConfigError

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def test_project_config_is_valid_with_german_defaults() -> None:
    """The shipped config.toml loads and speaks German in Berlin time."""
    settings = load_settings(PROJECT_CONFIG, env={})
    assert ("de", "Europe/Berlin") == (settings.site.language, settings.site.timezone)


def test_environment_overrides_a_nested_key() -> None:
    """SYNDICATION_<SECTION>__<KEY> overrides the file, nested sections too."""
    env = {
        "SYNDICATION_DELIVERY__BACKEND": "sendgrid",
        "SYNDICATION_DELIVERY__SENDGRID__API_URL": "https://api.eu.sendgrid.com",
        "SYNDICATION_FEEDS__LIMIT": "20",
    }
    settings = load_settings(PROJECT_CONFIG, env=env)
    assert ("sendgrid", "https://api.eu.sendgrid.com", 20) == (
        settings.delivery.backend,
        settings.delivery.sendgrid.api_url,
        settings.feeds.limit,
    )


def test_bad_value_names_key_value_and_expectation() -> None:
    """A bad value is refused with the key, the value and what was expected."""
    with pytest.raises(ConfigError) as raised:
        load_settings(PROJECT_CONFIG, env={"SYNDICATION_DELIVERY__BACKEND": "sendmail"})
    message = str(raised.value)
    assert "delivery.backend" in message and "'sendmail'" in message and "'outbox'" in message


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    """A misspelt key is an error rather than silently ignored."""
    config = tmp_path / "config.toml"
    config.write_text("[feeds]\nlimt = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\.limt: unknown key"):
        load_settings(config, env={})


def test_bad_time_zone_is_refused(tmp_path: Path) -> None:
    """The time zone must be an IANA name."""
    config = tmp_path / "config.toml"
    config.write_text('[site]\ntimezone = "Mitteleuropa"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"site\.timezone.*IANA"):
        load_settings(config, env={})


def test_secret_in_config_file_is_refused(tmp_path: Path) -> None:
    """Secrets are only read from the environment; a config file carrying one is refused."""
    config = tmp_path / "config.toml"
    config.write_text('[delivery.sendgrid]\napi_key = "SG.xxx"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="secrets are not read from the config file"):
        load_settings(config, env={})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    """--config naming a missing file fails instead of running on defaults."""
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_config_file_from_environment(tmp_path: Path) -> None:
    """SYNDICATION_CONFIG picks another file."""
    config = tmp_path / "other.toml"
    config.write_text('[site]\nname = "Westpfalz-Bote"\n', encoding="utf-8")
    settings = load_settings(env={"SYNDICATION_CONFIG": str(config)})
    assert ("Westpfalz-Bote", tmp_path) == (settings.site.name, settings.base_dir)


def test_list_override_from_json() -> None:
    """A list value can be given in the environment as JSON."""
    data = apply_env_overrides({}, {"SYNDICATION_FEEDS__KINDS": '["category"]'})
    assert {"feeds": {"kinds": ["category"]}} == data


def test_secrets_come_from_environment() -> None:
    """Secrets are read from their environment variables, and a short key is refused."""
    secrets = Secrets.from_env({"SENDGRID_API_KEY": "SG.abc", "SYNDICATION_SECRET_KEY": "short"})
    assert "SG.abc" == secrets.sendgrid_api_key
    with pytest.raises(ConfigError, match="too short"):
        secrets.require_secret_key()


def test_secrets_are_not_shown_in_repr() -> None:
    """Printing Secrets (or a Runtime holding them, e.g. in a traceback) shows no secret value."""
    secrets = Secrets.from_env(
        {
            "SYNDICATION_SECRET_KEY": "geheimer-schluessel-123456",
            "SENDGRID_API_KEY": "SG.geheim",
            "SYNDICATION_SMTP_USERNAME": "smtp-nutzer",
            "SYNDICATION_SMTP_PASSWORD": "smtp-passwort",
        }
    )
    shown = repr(secrets) + str(secrets)
    leaked = [value for value in ("geheimer-schluessel", "SG.geheim", "smtp-nutzer", "smtp-passwort") if value in shown]
    assert [] == leaked
    assert "geheimer-schluessel-123456" == secrets.secret_key


def test_newsletters_are_read_with_their_selection_and_schedule(tmp_path: Path) -> None:
    """[[newsletters]] become the editions: selection, schedule, sender, budget; nothing else is added."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[[newsletters]]\nname = "fck"\ntitle = "FCK"\nschedule = "weekly"\nweekday = "fri"\nslots = ["17:00"]\n'
        'sender_name = "Betze-Redaktion"\nsize_budget_bytes = 60000\n'
        '[newsletters.include]\ncategories = ["Sport"]\n'
        '[newsletters.exclude]\nauthors = ["Gast"]\n'
        '[[newsletters]]\nname = "eilmeldung"\ntitle = "Eilmeldung"\nschedule = "none"\nrepeat_articles = true\n',
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    fck = settings.newsletter("fck")
    assert (["fck", "eilmeldung"], "weekly", "Betze-Redaktion", 60000, True, False, False) == (
        [n.name for n in settings.digest.editions], fck.frequency, fck.sender_name, fck.size_budget_bytes,
        fck.selects(("Sport",), (), "Marc Fuchs"), fck.selects(("Sport",), (), "Gast"),
        settings.newsletter("eilmeldung").scheduled,
    )


def test_digest_editions_are_read_as_newsletters_with_a_deprecation_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A [[digest.editions]] entry still works: a newsletter of every article whose readers are found by
    frequency, and the log says to move it to [[newsletters]]."""
    config = tmp_path / "config.toml"
    config.write_text('[[digest.editions]]\nname = "morgen"\ntitle = "Der Morgen"\nfrequency = "daily"\n',
                      encoding="utf-8")
    settings = load_settings(config, env={})
    morgen = settings.newsletter("morgen")
    assert (("morgen", "daily"), True) == (morgen.audience, morgen.selects(("Politik",), (), None))
    assert "deprecated" in caplog.text


def test_unknown_newsletter_names_the_configured_ones(tmp_path: Path) -> None:
    """Asking for a newsletter that is not configured is a ConfigError naming the key and the names."""
    settings = load_settings(PROJECT_CONFIG, env={})
    with pytest.raises(ConfigError, match=r"newsletters: no newsletter named 'fck'; configured: daily, weekly"):
        settings.newsletter("fck")


def test_doubled_newsletter_name_and_cron_without_expression_are_refused(tmp_path: Path) -> None:
    """Newsletter names are unique; schedule = "cron" needs its cron key."""
    config = tmp_path / "config.toml"
    config.write_text('[[newsletters]]\nname = "a"\ntitle = "A"\n[[newsletters]]\nname = "a"\ntitle = "B"\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="a more than once"):
        load_settings(config, env={})
    config.write_text('[[newsletters]]\nname = "a"\ntitle = "A"\nschedule = "cron"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="cron"):
        load_settings(config, env={})


def test_quiet_days_and_hours_of_the_calendar(tmp_path: Path) -> None:
    """Christmas, every Sunday and the night are quiet; a weekday morning is not."""
    from datetime import datetime

    config = tmp_path / "config.toml"
    config.write_text('[calendar]\nquiet_days = ["12-24", "12-25", "12-26"]\nquiet_weekdays = ["sun"]\n'
                      'quiet_hours = ["22:00-06:00"]\n', encoding="utf-8")
    calendar = load_settings(config, env={}).calendar
    moments = [datetime(2026, 12, 24, 7), datetime(2026, 11, 29, 7), datetime(2026, 11, 24, 23),
               datetime(2026, 11, 24, 5, 59), datetime(2026, 11, 24, 6, 0)]
    assert [True, True, True, True, False] == [calendar.is_quiet(moment) for moment in moments]
