"""`syndication admin`: accounts of the newsroom console (``/admin/``)."""

from __future__ import annotations

import click

from syndication.cli.words import _
from syndication.console.accounts import LANGUAGES, Account, AccountStore, Role
from syndication.console.audit import AuditLog
from syndication.console.passwords import MIN_LENGTH, hash_password, new_totp_secret, provisioning_uri
from syndication.console.signin import sign_in_url
from syndication.errors import UsageError
from syndication.runtime import Runtime


@click.group("admin")
def admin() -> None:
    """Accounts of the newsroom console."""


@admin.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.EDITOR.value, show_default=True,
              help="admin: accounts, partner keys, erasure and the audit log too.")
@click.option("--language", type=click.Choice(LANGUAGES), default=None, help="The console's language "
              "(default: [site] language).")
@click.pass_obj
def add(runtime: Runtime, email: str, role: str, language: str | None) -> int:
    """Create a console account and print its one-time sign-in link (valid 15 minutes); nothing else on stdout."""
    chosen = language or (runtime.settings.site.language if runtime.settings.site.language in LANGUAGES else "en")
    store = AccountStore(runtime.engine, runtime.clock, runtime.secrets.require_secret_key)
    account = store.add(email, Role(role), chosen)
    AuditLog(runtime.engine, runtime.clock).record("cli", "account.add", account.email, f"role {account.role}")
    click.echo(sign_in_url(runtime.settings.site.url, store.issue_link(account)))
    return 0


@admin.command("link")
@click.argument("email")
@click.pass_obj
def link(runtime: Runtime, email: str) -> int:
    """Print a new one-time sign-in link (valid 15 minutes) for an existing console account."""
    store = _account_store(runtime)
    click.echo(sign_in_url(runtime.settings.site.url, store.issue_link(_existing(store, email))))
    return 0


@admin.command("password")
@click.argument("email")
@click.option("--remove", is_flag=True, help="Remove the password (sign-in by link only).")
@click.pass_obj
def password(runtime: Runtime, email: str, remove: bool) -> int:
    """Set (asked twice, hidden) or remove the optional console password of EMAIL (stored as an argon2 hash)."""
    store = _account_store(runtime)
    account = _existing(store, email)
    if remove:
        store.set_secret(account.id, password_hash="")
        detail = "removed"
    else:
        typed = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True, err=True)
        try:
            store.set_secret(account.id, password_hash=hash_password(typed))
        except ValueError:
            raise UsageError(
                _("a console password has at least %(most)s characters", most=MIN_LENGTH)
            ) from None
        detail = "set"
    AuditLog(runtime.engine, runtime.clock).record("cli", "account.password", account.email, detail)
    return 0


@admin.command("totp")
@click.argument("email")
@click.option("--remove", is_flag=True, help="Remove the second factor.")
@click.pass_obj
def totp(runtime: Runtime, email: str, remove: bool) -> int:
    """Give EMAIL a TOTP second factor for password sign-in; prints the otpauth:// URI for the authenticator app."""
    store = _account_store(runtime)
    account = _existing(store, email)
    if remove:
        store.set_secret(account.id, totp_secret="")
        AuditLog(runtime.engine, runtime.clock).record("cli", "account.totp", account.email, "removed")
        return 0
    secret = new_totp_secret()
    store.set_secret(account.id, totp_secret=secret)
    AuditLog(runtime.engine, runtime.clock).record("cli", "account.totp", account.email, "set")
    click.echo(provisioning_uri(secret, account.email, f"{runtime.settings.site.name} console"))
    return 0


def _account_store(runtime: Runtime) -> AccountStore:
    return AccountStore(runtime.engine, runtime.clock, runtime.secrets.require_secret_key)


def _existing(store: AccountStore, email: str) -> Account:
    account = store.by_email(email)
    if account is None:
        raise UsageError(_("%(email)s: no console account (add one with `syndication admin add`)", email=email))
    return account


def register(cli: click.Group) -> None:
    cli.add_command(admin)
