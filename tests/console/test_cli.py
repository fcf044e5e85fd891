"""`syndication admin add`: an account and its one-time sign-in link, alone on stdout."""

from __future__ import annotations

import re

from click.testing import CliRunner

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.console.accounts import AccountStore, Role
from syndication.console.audit import AuditLog
from syndication.store.db import open_engine


def _run(settings: Settings, clock: FixedClock, *args: str, config: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", config, *args], obj=CliContext(clock=clock))
    return result.exit_code, result.stdout


def test_admin_add_prints_only_the_link(tmp_path, settings: Settings, clock: FixedClock, monkeypatch) -> None:
    """stdout is exactly one sign-in link; the account exists with its role and the audit log says who added it."""
    config = tmp_path / "config.toml"
    config.write_text('[site]\nurl = "https://news.example"\nlanguage = "de"\n'
                      f'var_dir = "{tmp_path / "var"}"\noutbox_dir = "{tmp_path / "outbox"}"\n'
                      f'public_dir = "{tmp_path / "public"}"\n')
    code, out = _run(settings, clock, "admin", "add", "Chefin@Example.org", "--role", "admin", config=str(config))
    assert 0 == code
    assert re.fullmatch(r"https://news\.example/admin/sign-in/[A-Za-z0-9_-]{43}\n", out)
    engine = open_engine(f"sqlite:///{tmp_path / 'var' / 'syndication.db'}")
    try:
        account = AccountStore(engine, clock).by_email("chefin@example.org")
        assert account is not None
        assert (Role.ADMIN, "de") == (account.role, account.language)
        assert account == AccountStore(engine, clock).link_account(out.strip().rsplit("/", 1)[1])
        assert [("cli", "account.add", "chefin@example.org")] == [
            (e.actor, e.action, e.target) for e in AuditLog(engine, clock).recent()]
    finally:
        engine.dispose()


def test_admin_add_twice_is_refused(tmp_path, settings: Settings, clock: FixedClock) -> None:
    """An address that has an account already is a usage error, with nothing on stdout."""
    config = tmp_path / "config.toml"
    config.write_text(f'[site]\nvar_dir = "{tmp_path / "var"}"\n')
    assert 0 == _run(settings, clock, "admin", "add", "a@example.org", config=str(config))[0]
    code, out = _run(settings, clock, "admin", "add", "a@example.org", config=str(config))
    assert 0 != code
    assert "" == out


def test_admin_totp_prints_the_authenticator_uri(tmp_path, settings: Settings, clock: FixedClock) -> None:
    """`admin totp` gives the account a second factor and prints only its otpauth:// URI."""
    config = tmp_path / "config.toml"
    config.write_text(f'[site]\nvar_dir = "{tmp_path / "var"}"\n')
    assert 0 == _run(settings, clock, "admin", "add", "a@example.org", "--role", "admin", config=str(config))[0]
    code, out = _run(settings, clock, "admin", "totp", "a@example.org", config=str(config))
    assert 0 == code
    assert re.fullmatch(r"otpauth://totp/[^\n]+secret=[A-Z2-7]+[^\n]*\n", out)
