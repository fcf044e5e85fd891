"""Sections about mail and subscribers: SMTP, DKIM, SendGrid, delivery, tracking, subscribers, inbound, webhooks."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from syndication.config.base import Section
from syndication.errors import BadValue


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
            raise BadValue(
                "a plain address with a short local part and no '+', such as 'bounces@example.org', not %(value)r",
                value=value,
            )
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
            raise BadValue("a list of header names that includes From (RFC 6376 requires it)")
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

        for value in values:
            parts = urlsplit(value.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                raise BadValue("a site's origin such as 'https://www.partner.example', not %(value)r", value=value)
        return tuple(value.strip().rstrip("/") for value in values)


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

        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("imap", "imaps", "imap+starttls") or not parts.hostname:
            raise BadValue("an IMAP URL such as 'imaps://bounces@mail.example.org/INBOX', not %(value)r", value=value)
        if parts.password:
            raise BadValue("an IMAP URL without a password: set SYNDICATION_IMAP_PASSWORD in the environment")
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

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadValue(
                "an http(s) URL such as 'https://crm.example.org/hooks/newsletter', not %(value)r", value=value
            )
        return value.strip()

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for event in value:
            if event not in WEBHOOK_EVENTS:
                raise BadValue(
                    "event types among %(events)s, not %(event)r", events=", ".join(WEBHOOK_EVENTS), event=event
                )
        return value

    @property
    def secret_env(self) -> str:
        return f"SYNDICATION_WEBHOOK_{self.name.upper().replace('-', '_')}_SECRET"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events
