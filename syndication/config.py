"""Configuration: config.toml + ``SYNDICATION_<SECTION>__<KEY>`` overrides → frozen typed settings.

This module is the only reader of configuration. It is read once, at start-up, and the
typed sections are passed down explicitly. Secrets never come from the file: they are
read from the environment by :class:`Secrets`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from syndication.errors import ConfigError
from syndication.local_key import local_secret_key
from syndication.model import SectionRole

ENV_PREFIX = "SYNDICATION_"
CONFIG_ENV = "SYNDICATION_CONFIG"
DEFAULT_CONFIG_FILE = "config.toml"

# Words that mark a key as a secret: such keys are refused in config.toml.
_SECRET_WORDS = ("password", "api_key", "apikey", "secret", "private_key", "token")


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteConfig(Section):
    name: str = "Pfalz-Rundschau"
    url: str = "http://localhost:8000"
    language: str = "de"
    timezone: str = "Europe/Berlin"
    description: str = "Nachrichten aus Rheinland-Pfalz und Kaiserslautern"
    logo: str | None = None
    icon: str | None = None
    copyright: str = "© Pfalz-Rundschau"
    publisher_address: str = "Pfalz-Rundschau GmbH, Musterstraße 1, 67655 Kaiserslautern"
    imprint_url: str = "http://localhost:8000/impressum"
    public_dir: Path = Path("public")
    outbox_dir: Path = Path("outbox")
    var_dir: Path = Path("var")
    # Templates here replace the bundled ones of the same relative name (e.g. email/partials/footer.mjml.j2).
    templates_dir: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"an IANA time zone such as 'Europe/Berlin', not {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StoreConfig(Section):
    # None means a SQLite file under the site's var_dir.
    url: str | None = None
    auto_migrate: bool = True


class SourceConfig(Section):
    name: str
    type: Literal["folder", "wordpress", "feed"]
    # folder
    path: Path | None = None
    # wordpress / feed
    url: str | None = None
    timeout: float = 10.0
    per_page: int = Field(default=50, ge=1, le=100)
    # Added to every article of the source.
    categories: tuple[str, ...] = ()
    # folder: added to every article; wordpress/feed: tag names that are regions (the rest stay tags).
    regions: tuple[str, ...] = ()
    # wordpress: list every published post id on incremental runs, so unpublished posts are marked retracted.
    detect_unpublished: bool = True


def _default_sources() -> tuple[SourceConfig, ...]:
    return (SourceConfig(name="content", type="folder", path=Path("content")),)


def _default_headings() -> dict[str, tuple[str, ...]]:
    return {
        SectionRole.SUMMARY.value: ("Worum es geht", "What it is about", "Summary"),
        SectionRole.KEY_FACTS.value: ("Wichtigste Fakten", "Key facts"),
        SectionRole.BACKGROUND.value: ("Politischer Hintergrund", "Hintergrund", "Background"),
        SectionRole.REGIONAL_RELEVANCE.value: ("Bedeutung für", "What it means for", "Why it matters for"),
        SectionRole.CHANCES_RISKS.value: ("Chancen & Risiken", "Chancen und Risiken", "Opportunities & risks"),
        SectionRole.OUTLOOK.value: ("Ausblick", "Outlook"),
        SectionRole.SOURCES.value: ("Quellen", "Sources"),
    }


class AnatomyConfig(Section):
    """How article HTML is read: heading text → section role, and the page's labels."""

    # A heading matches a role when it starts with one of these (case-insensitive).
    headings: dict[str, tuple[str, ...]] = Field(default_factory=_default_headings)
    ai_image_labels: tuple[str, ...] = (
        "KI generiertes Foto",
        "KI-generiertes Foto",
        "KI-generiertes Bild",
        "AI-generated image",
    )
    chance_prefixes: tuple[str, ...] = ("Chance:", "Opportunity:")
    risk_prefixes: tuple[str, ...] = ("Risiko:", "Risk:")
    # Regions recognised in a regional_relevance heading („Bedeutung für Rheinland-Pfalz und Kaiserslautern").
    region_separators: tuple[str, ...] = (" und ", " and ", ", ")
    # CSS selectors of the page's furniture (README, "Article anatomy"). The author quote, always:
    author_quote_selectors: tuple[str, ...] = ("blockquote.author-quote",)
    # Quotes that are the author quote when their <cite> names the article's author (WordPress blocks).
    cited_quote_selectors: tuple[str, ...] = ("figure.wp-block-pullquote blockquote", "blockquote.wp-block-quote")
    # The author box: it (and everything after it) leaves the body; a quote inside it is the author quote.
    author_box_selectors: tuple[str, ...] = (".author-box", ".autor-box")
    # Captions in which an AI label among other words marks the image (the caption keeps its text).
    ai_label_selectors: tuple[str, ...] = ("figure.wp-block-image figcaption", "figcaption", "small")

    @field_validator("author_quote_selectors", "cited_quote_selectors", "author_box_selectors", "ai_label_selectors")
    @classmethod
    def _css_selectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from lxml.cssselect import CSSSelector, SelectorError

        for selector in value:
            try:
                CSSSelector(selector)
            except SelectorError as exc:
                raise ValueError(f"CSS selectors such as 'figure.wp-block-image', not {selector!r}: {exc}") from None
        return value

    @field_validator("headings")
    @classmethod
    def _known_roles(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        known = {role.value for role in SectionRole}
        for role in value:
            if role not in known:
                raise ValueError(f"a section role ({', '.join(sorted(known))}), not {role!r}")
        return value


class CollectConfig(Section):
    # An article file (or remote post/entry body) larger than this is refused with an error naming it.
    max_article_bytes: int = Field(default=2_000_000, ge=10_000)


class FeedsConfig(Section):
    title: str | None = None
    kinds: tuple[Literal["category", "region", "author"], ...] = ("category", "region", "author")
    limit: int = Field(default=50, ge=1, le=1000)
    websub_hub: str | None = None
    cache_max_age: int = Field(default=300, ge=0)
    ttl_minutes: int = Field(default=15, ge=1)


class EditionConfig(Section):
    name: str
    title: str
    frequency: Literal["daily", "weekly"]
    # Local send times ("HH:MM") in the site's time zone; the edition is built at the first.
    slots: tuple[str, ...] = ("06:00",)
    # For weekly editions: the day the edition goes out.
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    # Optional cron expression (crontab syntax) overriding slots/weekday for the build time.
    cron: str | None = None
    max_articles: int = Field(default=20, ge=1, le=200)

    @field_validator("slots")
    @classmethod
    def _valid_slots(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one send time such as '06:00'")
        for slot in value:
            hour, _, minute = slot.partition(":")
            if not (hour.isdigit() and minute.isdigit() and 0 <= int(hour) < 24 and 0 <= int(minute) < 60):
                raise ValueError(f"send times as 'HH:MM', not {slot!r}")
        return tuple(sorted(value))


def _default_editions() -> tuple[EditionConfig, ...]:
    return (
        EditionConfig(name="daily", title="Der Morgen", frequency="daily", slots=("06:00", "12:00", "18:00")),
        EditionConfig(
            name="weekly", title="Die Woche", frequency="weekly", slots=("07:00",), weekday="sat", max_articles=30
        ),
    )


class DigestConfig(Section):
    editions: tuple[EditionConfig, ...] = Field(default_factory=_default_editions)
    # Categories listed here lead the digest in this order; the rest follow by time.
    category_priority: tuple[str, ...] = ()
    size_budget_bytes: int = Field(default=100_000, ge=10_000)
    web_fonts: bool = False
    tracking_pixel: bool = False
    max_key_facts: int = Field(default=3, ge=0)


class SmtpConfig(Section):
    host: str = "localhost"
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    timeout: float = 30.0
    # Bounces go to a per-recipient (VERP) address built from this one: bounces+<signed id>@domain.
    bounce_address: str | None = None

    @field_validator("bounce_address")
    @classmethod
    def _plain_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        local, at, domain = value.strip().rpartition("@")
        if not at or not local or not domain or "+" in local or len(local) > 20 or any(c in value for c in " <>"):
            raise ValueError(f"a plain address with a short local part and no '+', such as 'bounces@example.org', "
                             f"not {value!r}")
        return value.strip()


class DkimConfig(Section):
    # Signing is on when a selector is set; the private key is read from SYNDICATION_DKIM_PRIVATE_KEY.
    selector: str | None = None
    # The signing domain (d=); unset: the domain of from_email.
    domain: str | None = None
    headers: tuple[str, ...] = (
        "From", "Reply-To", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
        "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Feedback-ID",
    )

    @field_validator("headers")
    @classmethod
    def _signs_from(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "from" not in {header.lower() for header in value}:
            raise ValueError("a list of header names that includes From (RFC 6376 requires it)")
        return value


class SendgridConfig(Section):
    api_url: str = "https://api.sendgrid.com"
    sandbox_mode: bool = False
    open_tracking: bool = False
    click_tracking: bool = False
    timeout: float = 30.0


class DeliveryConfig(Section):
    backend: Literal["outbox", "smtp", "sendgrid"] = "outbox"
    from_email: str = "newsletter@pfalz-rundschau.example"
    from_name: str = "Pfalz-Rundschau"
    reply_to: str | None = "leserbriefe@pfalz-rundschau.example"
    list_id: str = "Pfalz-Rundschau Newsletter <newsletter.pfalz-rundschau.example>"
    unsubscribe_mailto: str = "unsubscribe@pfalz-rundschau.example"
    batch_size: int = Field(default=1000, ge=1, le=1000)
    max_retries: int = Field(default=5, ge=0)
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    rate_per_second: float | None = None
    # Minutes to wait for SendGrid's events about a batch a crash left in doubt; without any,
    # its messages are sent again (the events prove what SendGrid accepted).
    in_doubt_wait: float = Field(default=30, ge=0)
    # Soft bounces (temporary refusals) suppress an address once this many arrive within soft_bounce_days.
    soft_bounce_limit: int = Field(default=3, ge=1)
    soft_bounce_days: float = Field(default=7, gt=0)
    # The complaint brake: a run pauses itself when its complaint rate (of delivered) passes this
    # fraction, or its hard-bounce rate (of sent) passes bounce_brake, once brake_min_messages were
    # delivered (or sent). 0 turns a brake off.
    complaint_brake: float = Field(default=0.001, ge=0, le=1)
    brake_min_messages: int = Field(default=1000, ge=1)
    bounce_brake: float = Field(default=0.05, ge=0, le=1)
    smtp: SmtpConfig = SmtpConfig()
    sendgrid: SendgridConfig = SendgridConfig()
    dkim: DkimConfig = DkimConfig()


class TrackingConfig(Section):
    # Article links in digests go through a first-party redirect /r/<signed token> that counts clicks.
    clicks: bool = False
    # Keep who clicked (erased with the subscriber); off: clicks are counted per edition, article and variant only.
    per_subscriber: bool = False
    # Count opens (provider events); inflated by Apple Mail Privacy Protection, so reports rank by clicks.
    opens: bool = False
    # How long a click link keeps working.
    link_days: int = Field(default=365, ge=1)


class SubscribersConfig(Section):
    confirm_expiry_hours: int = Field(default=48, ge=1)
    preferences_expiry_days: int = Field(default=365, ge=1)
    subscribe_rate_limit: int = Field(default=5, ge=1)
    subscribe_rate_window_seconds: int = Field(default=3600, ge=1)
    consent_wording_version: str = "2026-11"
    # The SendGrid Event Webhook's public key (base64 DER or PEM). Public, so it may live here.
    sendgrid_webhook_public_key: str | None = None
    webhook_max_age_seconds: int = Field(default=600, ge=1)
    topics: tuple[str, ...] = ()
    # Sites (https://host) whose pages may carry the embeddable sign-up form; empty: any site.
    embed_origins: tuple[str, ...] = ()

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        from urllib.parse import urlsplit

        for value in values:
            parts = urlsplit(value.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                raise ValueError(f"a site's origin such as 'https://www.partner.example', not {value!r}")
        return tuple(value.strip().rstrip("/") for value in values)


class PartnersConfig(Section):
    rights_text: str = "Nutzung nur im Rahmen des Syndizierungsvertrags."
    licence_url: str = "http://localhost:8000/lizenz"
    attribution: str = "Quelle: Pfalz-Rundschau"
    copyright_holder: str = "Pfalz-Rundschau GmbH"
    rate_limit_per_minute: int = Field(default=60, ge=1)
    page_limit: int = Field(default=50, ge=1, le=500)


class InboundConfig(Section):
    # The mailbox bounces and mailto: unsubscribes arrive in: imaps://user@host[:port]/FOLDER
    # (password from SYNDICATION_IMAP_PASSWORD); unset: no polling.
    imap_url: str | None = None
    poll_interval_minutes: float = Field(default=5, gt=0)
    # Recognised mails are moved here after processing; unset: they are flagged as seen.
    processed_folder: str | None = None
    timeout: float = Field(default=30, gt=0)

    @field_validator("imap_url")
    @classmethod
    def _imap_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("imap", "imaps", "imap+starttls") or not parts.hostname:
            raise ValueError(f"an IMAP URL such as 'imaps://bounces@mail.example.org/INBOX', not {value!r}")
        if parts.password:
            raise ValueError("an IMAP URL without a password: set SYNDICATION_IMAP_PASSWORD in the environment")
        return value.strip()


WEBHOOK_EVENTS = (
    "subscriber.confirmed", "subscriber.unsubscribed", "subscriber.bounced", "subscriber.complained",
    "subscriber.erased", "edition.built", "edition.sent", "edition.paused",
)


class WebhookConfig(Section):
    # Names the endpoint; its signing key is read from SYNDICATION_WEBHOOK_<NAME>_SECRET.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    url: str
    # Event types to send (see WEBHOOK_EVENTS); empty: all.
    events: tuple[str, ...] = ()
    timeout: float = Field(default=10, gt=0)
    max_attempts: int = Field(default=10, ge=1)
    backoff_base_seconds: float = Field(default=30, ge=0)
    backoff_max_seconds: float = Field(default=21600, ge=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"an http(s) URL such as 'https://crm.example.org/hooks/newsletter', not {value!r}")
        return value.strip()

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for event in value:
            if event not in WEBHOOK_EVENTS:
                raise ValueError(f"event types among {', '.join(WEBHOOK_EVENTS)}, not {event!r}")
        return value

    @property
    def secret_env(self) -> str:
        return f"SYNDICATION_WEBHOOK_{self.name.upper().replace('-', '_')}_SECRET"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class SchedulerConfig(Section):
    collect_interval_minutes: float = Field(default=10, gt=0)
    misfire_grace_seconds: int = Field(default=7200, ge=1)
    # After this long without a successful collect, /healthz answers 503.
    collect_overdue_factor: float = Field(default=3.0, gt=1)
    # Overrides collect_interval_minutes when set (short intervals for demos and tests).
    collect_interval_seconds: float | None = Field(default=None, gt=0)
    # How often pending outgoing webhooks are posted.
    webhooks_interval_seconds: float = Field(default=30, gt=0)


class ServeConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    # Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed; empty: nobody's.
    trusted_proxies: tuple[str, ...] = ()

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise ValueError(f"an IP address or network such as '10.0.0.0/8', not {value!r}") from None
        return tuple(value.strip() for value in values)


class CacheConfig(Section):
    # Where state shared by server processes lives (rate limits): empty = this process's memory (one
    # `serve`, the SQLite default); redis://… or postgresql://… when several processes serve together.
    url: str = ""
    # Before every key in Redis, so that several sites (or tests) can share one Redis.
    prefix: str = Field(default="syndication:", min_length=1, max_length=50)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        scheme = value.strip().partition("://")[0].lower() if value.strip() else ""
        if scheme not in ("", "redis", "rediss", "unix", "postgresql", "postgresql+psycopg"):
            raise ValueError(f"a redis://… or postgresql://… URL, or empty for this process's memory, not "
                             f"{value.split('@')[-1][:60]!r}")
        return value.strip()


class Settings(Section):
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    sources: tuple[SourceConfig, ...] = Field(default_factory=_default_sources)
    anatomy: AnatomyConfig = AnatomyConfig()
    collect: CollectConfig = CollectConfig()
    feeds: FeedsConfig = FeedsConfig()
    digest: DigestConfig = DigestConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    tracking: TrackingConfig = TrackingConfig()
    subscribers: SubscribersConfig = SubscribersConfig()
    partners: PartnersConfig = PartnersConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    serve: ServeConfig = ServeConfig()
    cache: CacheConfig = CacheConfig()
    inbound: InboundConfig = InboundConfig()
    webhooks: tuple[WebhookConfig, ...] = ()
    # Where the config file was found; relative paths are resolved against its folder.
    base_dir: Path = Path(".")

    @field_validator("webhooks")
    @classmethod
    def _unique_webhooks(cls, value: tuple[WebhookConfig, ...]) -> tuple[WebhookConfig, ...]:
        names = [hook.name for hook in value]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"webhook names used once each; {', '.join(doubled)} more than once")
        return value

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def store_url(self) -> str:
        if self.store.url:
            return self.store.url
        return f"sqlite:///{self.resolve(self.site.var_dir) / 'syndication.db'}"

    @property
    def public_dir(self) -> Path:
        return self.resolve(self.site.public_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.site.outbox_dir)

    def edition(self, name: str) -> EditionConfig:
        for edition in self.digest.editions:
            if edition.name == name:
                return edition
        known = ", ".join(e.name for e in self.digest.editions)
        raise ConfigError(f"digest.editions: no edition named {name!r}; configured: {known}")


class Secrets(BaseModel):
    """Secrets, read only from the environment."""

    model_config = ConfigDict(frozen=True)

    # repr=False: a Runtime printed in a traceback, a test failure or a log line shows no secret.
    secret_key: str | None = Field(default=None, repr=False)
    sendgrid_api_key: str | None = Field(default=None, repr=False)
    smtp_username: str | None = Field(default=None, repr=False)
    smtp_password: str | None = Field(default=None, repr=False)
    imap_username: str | None = Field(default=None, repr=False)
    imap_password: str | None = Field(default=None, repr=False)
    # PEM, or its body without the armour lines (one-line environment values).
    dkim_private_key: str | None = Field(default=None, repr=False)
    # Environment variable → value, for the SYNDICATION_WEBHOOK_<NAME>_SECRET variables.
    webhook_secrets: dict[str, str] = Field(default_factory=dict, repr=False)
    # Where a laptop install keeps its generated key when SYNDICATION_SECRET_KEY is unset (see for_settings).
    local_key_dir: Path | None = Field(default=None, repr=False)

    @classmethod
    def for_settings(cls, settings: Settings, env: Mapping[str, str] | None = None) -> Secrets:
        """Secrets from the environment; a local install (SQLite, no https) may fall back to a key in var_dir."""
        secrets = cls.from_env(env)
        store_url = settings.store_url.lower()
        production = store_url.startswith(("postgres", "postgresql")) or settings.site.url.lower().startswith(
            "https:"
        )
        if secrets.secret_key or production:
            return secrets
        return secrets.model_copy(update={"local_key_dir": settings.resolve(settings.site.var_dir)})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            secret_key=env.get("SYNDICATION_SECRET_KEY"),
            sendgrid_api_key=env.get("SENDGRID_API_KEY"),
            smtp_username=env.get("SYNDICATION_SMTP_USERNAME"),
            smtp_password=env.get("SYNDICATION_SMTP_PASSWORD"),
            imap_username=env.get("SYNDICATION_IMAP_USERNAME"),
            imap_password=env.get("SYNDICATION_IMAP_PASSWORD"),
            dkim_private_key=env.get("SYNDICATION_DKIM_PRIVATE_KEY"),
            webhook_secrets={
                name: value for name, value in env.items()
                if name.startswith("SYNDICATION_WEBHOOK_") and name.endswith("_SECRET") and value
            },
        )

    def require_secret_key(self) -> str:
        if not self.secret_key and self.local_key_dir is not None:
            return local_secret_key(self.local_key_dir)
        if not self.secret_key:
            raise ConfigError(
                "SYNDICATION_SECRET_KEY is not set: signed links need a secret key from the environment "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if len(self.secret_key) < 16:
            raise ConfigError("SYNDICATION_SECRET_KEY is too short: use at least 16 characters")
        return self.secret_key


def _refuse_secrets(data: Any, path: str, file: Path) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else key
            if any(word in key.lower() for word in _SECRET_WORDS):
                raise ConfigError(
                    f"{file}: {where}: secrets are not read from the config file; set them in the environment"
                )
            _refuse_secrets(value, where, file)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _refuse_secrets(value, f"{path}[{index}]", file)


def _env_value(raw: str) -> Any:
    stripped = raw.strip()
    if stripped.startswith(("[", "{")):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Apply ``SYNDICATION_<SECTION>__<KEY>=value`` (nested with more ``__``) onto ``data``."""
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(parts):
            raise ConfigError(f"{name}: malformed override; expected SYNDICATION_<SECTION>__<KEY>")
        target = data
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                raise ConfigError(f"{name}: {'.'.join(parts[:-1])} is not a section")
            target = nested
        target[parts[-1]] = _env_value(raw)
    return data


def _expectation(message: str) -> str:
    """Pydantic's message as what was expected: "Input should be a valid integer" → "a valid integer"."""
    for prefix in ("Value error, ", "Input should be "):
        message = message.removeprefix(prefix)
    return message


def _format_validation_error(error: ValidationError, origin: str) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        given = problem.get("input")
        if problem["type"] == "extra_forbidden":
            lines.append(f"{origin}: {key}: unknown key")
        elif problem["type"] == "missing":
            lines.append(f"{origin}: {key}: required key is missing")
        else:
            lines.append(f"{origin}: {key}: bad value {given!r}: expected {_expectation(problem['msg'])}")
    return "; ".join(lines)


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, override and validate the configuration; raise ConfigError naming what is wrong.

    Without ``path``, ``SYNDICATION_CONFIG`` or ``./config.toml`` is used; when neither
    exists the built-in defaults apply.
    """
    env = os.environ if env is None else env
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    explicit = path is not None
    file = path if path is not None else Path(DEFAULT_CONFIG_FILE)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
        _refuse_secrets(data, "", file)
    elif explicit:
        raise ConfigError(f"{file}: config file not found")
    data = apply_env_overrides(data, env)
    data.setdefault("base_dir", str(file.resolve().parent))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(file))) from None
