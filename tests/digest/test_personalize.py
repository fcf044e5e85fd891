"""Compile once per variant, personalise per subscriber by placeholder substitution."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from syndication.app import App
from syndication.digest import personalize
from syndication.digest.personalize import ALL_ARTICLES, EditionMailer, greeting_for
from syndication.mail.base import Sender, personalise
from syndication.mail.verp import UNSUBSCRIBE_SALT, VerpCodec
from syndication.runtime import Runtime
from syndication.testing import make_article
from syndication.tokens import Purpose, TokenInvalid, TokenSigner
from tests.digest.conftest import make_edition, sample_articles, subscriber

SECRET = "test-secret-key-0123456789abcdef"


def _mailer(runtime: Runtime, count: int = 6) -> EditionMailer:
    articles = sample_articles(count)
    return App(runtime).edition_mailer(make_edition(articles), articles)


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_topic_filter_selects_the_variant(runtime: Runtime) -> None:
    """No topics: everything; Sport: only Sport articles; an unknown topic: no message at all."""
    mailer = _mailer(runtime, 6)
    assert ALL_ARTICLES == mailer.variant_key(subscriber(topics=()))
    sport_key = mailer.variant_key(subscriber(topics=("Sport",)))
    assert sport_key is not None
    sport = mailer.variant_articles(sport_key)
    assert [3, 6] == [int(a.external_id.split("-")[1]) for a in sport]
    assert None is mailer.variant_key(subscriber(topics=("Kultur",)))
    html = mailer.body(sport_key).html
    assert "(3)</a>" in html and "(6)</a>" in html
    assert "(1)</a>" not in html


def test_regions_count_as_topics(runtime: Runtime) -> None:
    """A subscriber who chose the region Mainz gets the articles about Mainz."""
    mailer = _mailer(runtime, 6)
    assert mailer.variant_key(subscriber(topics=("Mainz",))) == mailer.variant_key(subscriber(topics=("Sport",)))


def test_body_is_compiled_once_per_variant(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand subscribers of two variants cost two MJML compilations."""
    calls = []
    original = personalize.render_within_budget

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(personalize, "render_within_budget", counting)
    mailer = _mailer(runtime, 6)
    for number in range(1000):
        reader = subscriber(number, topics=("Sport",) if number % 2 else ())
        mailer.body(mailer.variant_key(reader))  # type: ignore[arg-type]
    assert 2 == len(calls)


def test_recipient_gets_signed_links_and_one_click_headers(runtime: Runtime) -> None:
    """Unsubscribe and preferences links carry tokens for this subscriber; headers follow RFC 8058."""
    mailer = _mailer(runtime)
    reader = subscriber(42, email="anna@example.org", name="Anna")
    recipient = mailer.recipient(reader)
    message = personalise(mailer.body(ALL_ARTICLES), recipient)
    links = re.findall(r'href="(http://localhost:8000/(?:unsubscribe|preferences)\?token=[^"]+)"', message.html)
    assert {"unsubscribe", "preferences"} == {urlsplit(link).path.strip("/") for link in links}
    signer = TokenSigner(SECRET)
    for link in links:
        purpose = Purpose(urlsplit(link).path.strip("/"))
        assert 42 == signer.read(purpose, _token(link)).subscriber_id
    unsubscribe = next(link for link in links if "/unsubscribe" in link)
    mailto = "unsubscribe@pfalz-rundschau.example"
    tag = VerpCodec(SECRET, mailto, salt=UNSUBSCRIBE_SALT).tag(42, "daily-2026-11-24")
    assert (
        f"<{unsubscribe}>, <mailto:{mailto}?subject=unsubscribe%20{tag}>"
        == recipient.headers["List-Unsubscribe"]
    )
    assert "List-Unsubscribe=One-Click" == recipient.headers["List-Unsubscribe-Post"]
    assert {"edition_id": "daily-2026-11-24", "subscriber_id": "42"} == dict(recipient.custom_args)
    assert f"Abbestellen: {unsubscribe}" in message.text


def test_tampered_link_is_refused(runtime: Runtime) -> None:
    """Changing one character of a signed unsubscribe token makes it invalid."""
    token = _token(_mailer(runtime).unsubscribe_url(subscriber(7)))
    signer = TokenSigner(SECRET)
    assert 7 == signer.read(Purpose.UNSUBSCRIBE, token).subscriber_id
    payload, _, rest = token.partition(".")
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest
    with pytest.raises(TokenInvalid):
        signer.read(Purpose.UNSUBSCRIBE, tampered)
    with pytest.raises(TokenInvalid):
        signer.read(Purpose.PREFERENCES, token)


def test_greeting_by_name_or_neutral(runtime: Runtime) -> None:
    """„Guten Morgen, Anna“ with a name, „Guten Morgen“ without; the name is escaped in HTML only."""
    mailer = _mailer(runtime, 2)
    body = mailer.body(ALL_ARTICLES)
    named = personalise(body, mailer.recipient(subscriber(1, name="Anna <Ben>")))
    anonymous = personalise(body, mailer.recipient(subscriber(2)))
    assert "Guten Morgen, Anna &lt;Ben&gt;" in named.html
    assert "Guten Morgen, Anna <Ben>" in named.text
    assert re.search(r">\s*Guten Morgen\s*<", anonymous.html)
    assert "Guten Abend" == greeting_for(18, None)


def test_a_newsletter_in_english_speaks_english_on_a_german_site(runtime: Runtime) -> None:
    """A newsletter's `language` decides the words of its mail (greeting, date, headings), not the site's."""
    daily = runtime.settings.edition("daily").model_copy(update={"language": "en"})
    english = runtime.settings.model_copy(update={"digest": runtime.settings.digest.model_copy(
        update={"editions": (daily,)})})
    articles = sample_articles(2)
    mailer = App(Runtime(settings=english, secrets=runtime.secrets, clock=runtime.clock)).edition_mailer(
        make_edition(articles), articles)
    message = personalise(mailer.body(ALL_ARTICLES), mailer.recipient(subscriber(1, name="Anna")))
    assert ("en", "Good morning, Anna") == (mailer.locale, greeting_for(6, "Anna", "en"))
    assert "Good morning, Anna" in message.text and "Guten Morgen" not in message.text
    assert message.subject.startswith("Der Morgen, Tuesday, November 24, 2026: ")


def test_article_text_cannot_produce_a_placeholder(runtime: Runtime) -> None:
    """Template syntax and look-alike placeholders in an article stay literal text."""
    mailer = _mailer(runtime, 1)
    fake = f"%%{mailer.marker}:unsubscribe_url%% {{{{ unsubscribe_url }}}}"
    articles = [make_article(1, teaser=fake)]
    other = App(runtime).edition_mailer(make_edition(articles), articles)
    assert other.marker != mailer.marker
    message = personalise(other.body(ALL_ARTICLES), other.recipient(subscriber(1)))
    assert fake in message.text
    assert "{{ unsubscribe_url }}" in message.html


def test_message_id_is_stable_per_edition_and_subscriber(runtime: Runtime) -> None:
    """The same (edition, subscriber) always gets the same Message-ID on the From domain."""
    first, second = _mailer(runtime), _mailer(runtime)
    assert first.recipient(subscriber(5)).message_id == second.recipient(subscriber(5)).message_id
    assert "<daily-2026-11-24.5@pfalz-rundschau.example>" == first.recipient(subscriber(5)).message_id
    assert first.recipient(subscriber(5)).message_id != first.recipient(subscriber(6)).message_id


def test_shared_headers_and_sender(runtime: Runtime) -> None:
    """List-Id and Feedback-ID (campaign:edition:list:sender) for every message; the configured sender."""
    mailer = _mailer(runtime, 1)
    list_id = "Pfalz-Rundschau Newsletter <newsletter.pfalz-rundschau.example>"
    feedback_id = (f"{mailer.edition.id}:{mailer.edition.name}:newsletter.pfalz-rundschau.example:"
                   "pfalz-rundschau.example")
    assert {"List-Id": list_id, "Feedback-ID": feedback_id} == dict(mailer.shared_headers())
    assert (
        Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau", "leserbriefe@pfalz-rundschau.example")
        == mailer.sender()
    )


def test_every_placeholder_is_replaced(runtime: Runtime) -> None:
    """After personalisation no marker is left in subject, HTML or text."""
    mailer = _mailer(runtime, 3)
    message = personalise(mailer.body(ALL_ARTICLES), mailer.recipient(subscriber(1, name="Anna")))
    assert mailer.marker in mailer.body(ALL_ARTICLES).html
    assert mailer.marker not in message.html + message.text + message.subject


def test_tracking_pixel_only_when_configured(runtime: Runtime) -> None:
    """No pixel by default; with [digest] tracking_pixel a per-edition pixel (no subscriber id) is added."""
    assert "/archive/open/" not in _mailer(runtime, 1).body(ALL_ARTICLES).html
    digest = runtime.settings.digest.model_copy(update={"tracking_pixel": True})
    runtime.settings = runtime.settings.model_copy(update={"digest": digest})
    html = _mailer(runtime, 1).body(ALL_ARTICLES).html
    assert 'src="http://localhost:8000/archive/open/daily-2026-11-24.gif"' in html


def test_variant_key_keeps_its_meaning_after_a_retraction(runtime: Runtime) -> None:
    """A key planned before an article was retracted still selects the same remaining articles."""
    articles = sample_articles(6)
    before = App(runtime).edition_mailer(make_edition(articles), articles)
    key = before.variant_key(subscriber(topics=("Sport",)))
    assert key is not None
    without_first = [a for a in articles if a.external_id != "artikel-3"]
    after = App(runtime).edition_mailer(make_edition(articles), without_first)
    assert ["artikel-6"] == [a.external_id for a in after.variant_articles(key)]
