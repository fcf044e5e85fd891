"""Compile once, personalise cheaply.

An :class:`EditionMailer` compiles the edition's MJML once per *variant* (the set of the
edition's articles a subscriber's topics select) into a body whose personal parts are
placeholders, and gives each subscriber only a map placeholder → value. The
placeholders carry a per-edition marker derived from the secret key, so no article
text can produce one, and substitution is a single literal pass: article content is
never evaluated as a template a second time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
from collections.abc import Collection, Mapping, Sequence

from syndication.clock import Clock
from syndication.config import Settings
from syndication.digest.compose import archive_url, render_within_budget
from syndication.digest.editions import Edition
from syndication.i18n import translator
from syndication.mail.base import MessageBody, Recipient, Sender
from syndication.mail.clicks import ClickTokens, link_maker
from syndication.mail.verp import mailto_unsubscriber
from syndication.model import Article
from syndication.subscriber import Subscriber
from syndication.tokens import Purpose, signer_for

ALL_ARTICLES = "all"
PERSONAL_PARTS = ("greeting_html", "greeting_text", "unsubscribe_url", "preferences_url", "view_in_browser_url")

# Greetings kept per mailer ((slot, name) → text and HTML): first names repeat across readers.
_KEPT_GREETINGS = 4096
# The longest a personal part may become: the size budget is checked with these.
_WORST_URL = "https://" + "x" * 80 + "/unsubscribe?token=" + "x" * 220
_WORST_NAME = "x" * 120


def greeting_for(hour: int, name: str | None, locale: str = "de") -> str:
    """„Guten Morgen, Anna“ — or the neutral „Guten Morgen“ without a name (in ``locale``)."""
    name = (name or "").strip()
    with_name, without_name = _greeting_words(locale)[_day_part(hour)]
    return with_name % {"name": name} if name else without_name


def _day_part(hour: int) -> int:
    return 0 if hour < 11 else 1 if hour < 17 else 2


@functools.lru_cache(maxsize=32)
def _greeting_words(locale: str) -> tuple[tuple[str, str], ...]:
    """(with a name, without) for the morning, the day and the evening: looked up once per language."""
    words = translator(locale)
    return (
        (words.gettext("Good morning, %(name)s"), words.gettext("Good morning")),
        (words.gettext("Good day, %(name)s"), words.gettext("Good day")),
        (words.gettext("Good evening, %(name)s"), words.gettext("Good evening")),
    )


def edition_marker(secret_key: str, edition_id: str, avoid: Sequence[str] = ()) -> str:
    """A per-edition random-looking marker no article text contains.

    Derived with HMAC from the secret key so that a resumed send compiles the same
    placeholders, yet nobody without the key can predict (and plant) it.
    """
    counter = 0
    while True:
        digest = hmac.new(secret_key.encode(), f"{edition_id}:{counter}".encode(), hashlib.sha256).hexdigest()
        marker = f"zq{digest[:14]}"
        if not any(marker in text for text in avoid):
            return marker
        counter += 1


def _article_texts(article: Article) -> list[str]:
    texts = [article.title, article.teaser, article.url, article.author_quote or "", article.body_html]
    texts.extend(section.html for section in article.sections)
    if article.author:
        texts.append(article.author.name)
    if article.image:
        texts.extend((article.image.alt, article.image.caption, article.image.credit, article.image.url))
    return texts


class EditionMailer:
    """Bodies per variant and recipients per subscriber for one edition."""

    def __init__(
        self, edition: Edition, articles: Sequence[Article], settings: Settings, secret_key: str, clock: Clock, *,
        slot: str | None = None, received: Mapping[int, Collection[str]] | None = None,
    ) -> None:
        order = {article_id: index for index, article_id in enumerate(edition.article_ids)}
        self.edition = edition
        self.articles: tuple[Article, ...] = tuple(
            sorted((a for a in articles if a.id in order and a.is_published), key=lambda a: order[a.id])
        )
        self.settings = settings
        # The subscribers' own signer: same expiry settings, and the same clock.
        self._signer = signer_for(settings.subscribers, secret_key, clock)
        texts = [text for article in self.articles for text in _article_texts(article)]
        self._secret_key = secret_key
        self.marker = edition_marker(self._secret_key, edition.id, texts)
        self.placeholders = {part: f"%%{self.marker}:{part}%%" for part in PERSONAL_PARTS}
        self._position = order
        self._all_mask = sum(1 << order[article.id] for article in self.articles)
        # Articles a reader already got today from another edition (subscriber id → article ids): left out.
        self._received = received or {}
        self._bodies: dict[str, MessageBody] = {}
        self._site_url = self.settings.site.url.rstrip("/")
        self._archive_url = archive_url(self.settings, edition.id)
        self._from_domain = self.settings.delivery.from_email.rpartition("@")[2]
        self._newsletter = self.settings.edition(edition.newsletter_name)
        self._first_slot = self._newsletter.slots[0]
        # The language of the edition's words (greeting, headings, dates, links): the newsletter's, else the site's.
        self.locale = self._newsletter.language or settings.site.language
        # [tracking] clicks: article links go through the click redirect; with per_subscriber the
        # link is personal (a placeholder per article), else shared by every reader of the variant.
        self._click_link = None
        if self.settings.tracking.clicks:
            tokens = ClickTokens(self._secret_key, clock, self.settings.tracking.link_days)
            self._click_link = link_maker(tokens, self._site_url, edition.id, slot)
        self._personal_clicks = self._click_link is not None and self.settings.tracking.per_subscriber
        # Per reader, only what differs is made: the rest of each link and header is looked up once here.
        self._keys = tuple(self.placeholders[part] for part in PERSONAL_PARTS)
        self._sign_links = self._signer.maker((Purpose.UNSUBSCRIBE, Purpose.PREFERENCES))
        self._unsubscribe_prefix = f"{self._site_url}/unsubscribe?token="
        self._unsubscribe_suffix = f"&newsletter={self._newsletter.name}"
        self._preferences_prefix = f"{self._site_url}/preferences?token="
        # Made once per edition: the mailto: link of each reader is then one signature.
        self._mailto = mailto_unsubscriber(self._secret_key, self.settings.delivery.unsubscribe_mailto, edition.id)
        self._greetings: dict[tuple[str | None, str | None], tuple[str, str]] = {}

    # -- variants --------------------------------------------------------------

    def variant_key(self, subscriber: Subscriber) -> str | None:
        """Which compiled body the subscriber gets; None when none of the edition is for them.

        The key is ``"all"`` or a bitmask (hex) over the positions in ``edition.article_ids``,
        so equal selections share one compiled body, and a key stored by a send that is
        resumed later still means the same articles (even if one was retracted meanwhile).
        """
        mask = 0
        received = self._received.get(subscriber.id, ())
        for article in self.articles:
            if article.id in received:
                continue
            if subscriber.wants(article.categories, article.regions):
                mask |= 1 << self._position[article.id]
        if mask == 0:
            return None
        if mask == self._all_mask:
            return ALL_ARTICLES
        return f"m{mask:x}"

    def variant_articles(self, variant_key: str) -> list[Article]:
        """The articles a variant key stands for, in edition order."""
        if variant_key == ALL_ARTICLES:
            chosen = list(self.articles)
        elif variant_key.startswith("m"):
            try:
                mask = int(variant_key[1:], 16)
            except ValueError:
                raise KeyError(f"unknown digest variant {variant_key!r}") from None
            chosen = [article for article in self.articles if mask >> self._position[article.id] & 1]
        else:
            raise KeyError(f"unknown digest variant {variant_key!r}")
        if not chosen:
            raise KeyError(f"digest variant {variant_key!r} selects no published article of {self.edition.id}")
        return chosen

    def body(self, variant_key: str) -> MessageBody:
        """The compiled body of a variant, with placeholders for the personal parts (cached)."""
        cached = self._bodies.get(variant_key)
        if cached is None:
            p = self.placeholders
            cached = render_within_budget(
                self.edition,
                self.variant_articles(variant_key),
                self.settings,
                html_values={
                    "greeting": p["greeting_html"],
                    "unsubscribe_url": p["unsubscribe_url"],
                    "preferences_url": p["preferences_url"],
                    "view_in_browser_url": p["view_in_browser_url"],
                    "tracking_pixel_url": self._tracking_pixel_url(),
                },
                text_values={"greeting": p["greeting_text"]},
                worst_case={**self._worst_case(), **self._worst_click_links(variant_key)},
                links=self._links(variant_key),
                locale=self.locale,
            )
            self._bodies[variant_key] = cached
        return cached

    def _worst_case(self) -> dict[str, str]:
        p = self.placeholders
        return {
            p["greeting_html"]: html.escape(self._longest_greeting()),
            p["greeting_text"]: self._longest_greeting(),
            p["unsubscribe_url"]: _WORST_URL,
            p["preferences_url"]: _WORST_URL,
            p["view_in_browser_url"]: archive_url(self.settings, self.edition.id),
        }

    def _longest_greeting(self) -> str:
        return max((greeting_for(hour, _WORST_NAME, self.locale) for hour in (6, 12, 18)), key=len)

    def _click_placeholder(self, article_id: str) -> str:
        return f"%%{self.marker}:click{self._position[article_id]}%%"

    def _links(self, variant_key: str) -> dict[str, str] | None:
        if self._click_link is None:
            return None
        chosen = self.variant_articles(variant_key)
        if self._personal_clicks:
            return {article.id: self._click_placeholder(article.id) for article in chosen}
        return {article.id: self._click_link(article.id, variant_key, None) for article in chosen}

    def _worst_click_links(self, variant_key: str) -> dict[str, str]:
        if self._click_link is None or not self._personal_clicks:
            return {}
        return {self._click_placeholder(article.id): self._click_link(article.id, variant_key, 10**15)
                for article in self.variant_articles(variant_key)}

    def _personal_click_links(self, subscriber: Subscriber) -> dict[str, str]:
        variant_key = self.variant_key(subscriber) if self._personal_clicks else None
        if self._click_link is None or variant_key is None:
            return {}
        return {self._click_placeholder(article.id): self._click_link(article.id, variant_key, subscriber.id)
                for article in self.variant_articles(variant_key)}

    def _tracking_pixel_url(self) -> str | None:
        if not self.settings.digest.tracking_pixel:
            return None
        return f"{self._site_url}/archive/open/{self.edition.id}.gif"

    # -- per subscriber ---------------------------------------------------------

    def personal_urls(self, subscriber: Subscriber) -> tuple[str, str]:
        """The subscriber's signed (unsubscribe, preferences) links, signed together (one address digest)."""
        unsubscribe, preferences = self._sign_links(subscriber.id, subscriber.email)
        # The newsletter rides along unsigned: the token alone may end every newsletter anyway, and with it
        # the one-click POST of List-Unsubscribe ends only this one.
        return (f"{self._unsubscribe_prefix}{unsubscribe}{self._unsubscribe_suffix}",
                f"{self._preferences_prefix}{preferences}")

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return self.personal_urls(subscriber)[0]

    def message_id(self, subscriber: Subscriber) -> str:
        return f"<{self.edition.id}.{subscriber.id}@{self._from_domain}>"

    def _greeting(self, slot: str | None, name: str | None) -> tuple[str, str]:
        """(text, HTML) greeting for a reader of ``slot`` called ``name``: readers share names, so it is kept."""
        key = (slot, name)
        found = self._greetings.get(key)
        if found is None:
            hour = int((slot or self._first_slot).split(":")[0])
            greeting = greeting_for(hour, name, self.locale)
            found = (greeting, html.escape(greeting))
            if len(self._greetings) < _KEPT_GREETINGS:
                self._greetings[key] = found
        return found

    def recipient(self, subscriber: Subscriber) -> Recipient:
        """The subscriber's substitutions, headers and ids for this edition."""
        greeting, greeting_html = self._greeting(subscriber.slot, subscriber.name)
        unsubscribe, preferences = self.personal_urls(subscriber)
        keys = self._keys
        substitutions = {
            keys[0]: greeting_html, keys[1]: greeting, keys[2]: unsubscribe, keys[3]: preferences,
            keys[4]: self._archive_url,
        }
        if self._click_link is not None:
            substitutions.update(self._personal_click_links(subscriber))
        subscriber_id = subscriber.id
        edition_id = self.edition.id
        mailto = self._mailto(subscriber_id)
        return Recipient(
            email=subscriber.email,
            message_id=f"<{edition_id}.{subscriber_id}@{self._from_domain}>",
            name=subscriber.name,
            substitutions=substitutions,
            headers={
                # RFC 8058: the HTTPS URI accepts a POST of exactly this body for one-click unsubscribe.
                # The mailto subject carries the subscriber's signed id: `syndication inbound` acts on it.
                "List-Unsubscribe": f"<{unsubscribe}>, <{mailto}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            custom_args={"edition_id": edition_id, "subscriber_id": str(subscriber_id)},
        )

    def shared_headers(self) -> Mapping[str, str]:
        return {"List-Id": self.settings.delivery.list_id, "Feedback-ID": self.feedback_id()}

    def feedback_id(self) -> str:
        """Gmail's Feedback-ID, ``campaign:edition:list:sender``: complaint rates per edition, per list.

        Campaign is the edition id, edition its name, list the List-Id's identifier and sender
        the From domain (the stable part Gmail requires last). Colons inside a part would
        shift the fields, so they are dropped.
        """
        list_id = self.settings.delivery.list_id
        list_key = list_id[list_id.rfind("<") + 1 :].rstrip(">").strip() if "<" in list_id else list_id
        parts = (self.edition.id, self.edition.name, list_key, self._from_domain)
        return ":".join(part.replace(":", "") for part in parts)

    def sender(self) -> Sender:
        """The newsletter's sender (``sender_name``/``sender_email``), else ``[delivery]``'s."""
        delivery = self.settings.delivery
        return Sender(
            email=self._newsletter.sender_email or delivery.from_email,
            name=self._newsletter.sender_name or delivery.from_name,
            reply_to=delivery.reply_to,
        )
