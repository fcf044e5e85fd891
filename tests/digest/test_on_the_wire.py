"""Every kind of mail as the real send path writes it to the outbox: size on the wire, line lengths, hidden text.

The messages are the demo's: the bundled sample articles collected, both editions built
and sent to the demo readers in every slot, plus a sign-up's confirmation and welcome
mail, all through the outbox backend (the same MIME as SMTP, with LF line ends).
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from lxml import html as lxml_html

from subscribers.model import Frequency
from subscribers.service import Consent
from syndication.app import App
from syndication.app.editions import build_edition, send_edition
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore

# Gmail clips a message whose HTML is larger than about 102 KB as sent.
GMAIL_CLIP_BYTES = 102_000
# RFC 2045 §6.7 (quoted-printable) and RFC 5322 §2.1.1 (any line).
QP_LINE_LIMIT = 76
LINE_LIMIT = 998
# The preview text inboxes show after the subject, and the spacer after it.
PREHEADER_LIMIT = 140
HIDDEN_TEXT_LIMIT = 200
_HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?![.\d])|max-height\s*:\s*0(?![.\d])"
    r"|mso-hide\s*:\s*all",
    re.IGNORECASE,
)
# MJML sets font-size:0 on layout cells (against gaps between columns); only text set in it is hidden.
_TINY_FONT = re.compile(r"font-size\s*:\s*[01](px)?\s*(;|$)", re.IGNORECASE)
_SPACER = re.compile("[\u034f\u200c\u200b\u00a0\ufeff\\s]+")


@pytest.fixture
def outbox(runtime: Runtime) -> dict[str, list[tuple[bytes, EmailMessage]]]:
    """The outbox after the demo's sends and one sign-up: raw bytes and parsed message, by kind."""
    settings = runtime.settings
    run_collect(settings, ArticleStore(runtime.engine), runtime.clock)
    App(runtime).seed_demo_subscribers()
    for config in settings.digest.editions:
        edition = build_edition(runtime, config.name)
        assert edition is not None
        for slot in config.slots:
            send_edition(runtime, edition.id, slot, echo=lambda _: None)
    service = App(runtime).subscription_service()
    confirm = service.request("nina@example.org", topics=(), frequency=Frequency.DAILY, consent=Consent(form="test"))
    assert confirm is not None and service.deliver(confirm)
    _, welcome = service.confirm(confirm.context["confirm_url"].split("token=")[1], Consent(form="test"))
    assert welcome is not None and service.deliver(welcome)
    kinds: dict[str, list[tuple[bytes, EmailMessage]]] = {"digest": [], "confirm": [], "welcome": []}
    for path in sorted(Path(settings.outbox_dir).glob("*.eml")):
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        subject = str(message["Subject"])
        kind = "digest" if message["List-Id"] else "confirm" if "bestätigen" in subject else "welcome"
        kinds[kind].append((raw, message))
    assert {"digest": True, "confirm": True, "welcome": True} == {kind: bool(found) for kind, found in kinds.items()}
    return kinds


def _html_part(message: EmailMessage) -> EmailMessage:
    parts = [part for part in message.walk() if part.get_content_type() == "text/html"]
    assert 1 == len(parts)
    return parts[0]  # type: ignore[return-value]


def _part_bytes_as_sent(part: EmailMessage) -> int:
    """The part's body as it is in the message: the encoded payload, not the decoded HTML."""
    payload = part.get_payload(decode=False)
    assert isinstance(payload, str)
    return len(payload.encode("ascii"))


def test_largest_demo_digest_stays_below_gmails_clip_as_sent(
    runtime: Runtime, outbox: dict[str, list[tuple[bytes, EmailMessage]]]
) -> None:
    """The HTML part counted as encoded in the .eml fits the budget, which leaves a margin below Gmail's clip."""
    budget = runtime.settings.digest.size_budget_bytes
    sizes = [_part_bytes_as_sent(_html_part(message)) for _, message in outbox["digest"]]
    largest = max(outbox["digest"], key=lambda item: _part_bytes_as_sent(_html_part(item[1])))[1]
    assert [] == [size for size in sizes if size > budget]
    assert budget <= GMAIL_CLIP_BYTES - 2_000
    # The part of a large digest that clipping hides first: the footer with the unsubscribe link.
    assert "/unsubscribe?token=" in str(_html_part(largest).get_content())
    assert max(sizes) > budget * 0.8, "the demo should come near the budget, else this test proves little"


def test_every_mail_keeps_its_lines_within_rfc_limits(outbox: dict[str, list[tuple[bytes, EmailMessage]]]) -> None:
    """No line over 998 characters, no quoted-printable line over 76, no 8bit body (it needs 8BITMIME)."""
    too_long: list[str] = []
    for kind, messages in outbox.items():
        for raw, message in messages:
            lines = [line.rstrip(b"\r") for line in raw.split(b"\n")]
            too_long += [f"{kind}: line of {len(line)}" for line in lines if len(line) > LINE_LIMIT]
            for part in message.walk():
                if part.is_multipart():
                    continue
                encoding = str(part["Content-Transfer-Encoding"]).lower()
                assert encoding in ("7bit", "quoted-printable"), f"{kind} {part.get_content_type()}: {encoding}"
                if encoding == "quoted-printable":
                    payload = part.get_payload(decode=False)
                    too_long += [
                        f"{kind} {part.get_content_type()}: QP line of {len(line)}"
                        for line in payload.splitlines()
                        if len(line) > QP_LINE_LIMIT
                    ]
    assert [] == too_long


def _hidden_elements(document: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """Elements hidden by their inline style, outermost only."""
    hidden = [
        element
        for element in document.body.iter()
        if _HIDING.search(element.get("style") or "")
        or (_TINY_FONT.search(element.get("style") or "") and (element.text or "").strip())
    ]
    return [element for element in hidden if not any(ancestor in hidden for ancestor in element.iterancestors())]


def test_every_mail_hides_only_a_short_standard_preheader(
    outbox: dict[str, list[tuple[bytes, EmailMessage]]],
) -> None:
    """One hidden element per mail: the preheader, short, hidden by display/mso-hide, not by colour or size tricks."""
    found: dict[str, set[tuple[str, bool, bool, bool]]] = {}
    for kind, messages in outbox.items():
        for _, message in messages:
            document = lxml_html.document_fromstring(str(_html_part(message).get_content()))
            hidden = _hidden_elements(document)
            assert 1 == len(hidden), f"{kind}: {[lxml_html.tostring(h)[:200] for h in hidden]}"
            preheader = hidden[0]
            text = preheader.text_content()
            style = (preheader.get("style") or "").replace(" ", "").lower()
            found.setdefault(kind, set()).add(
                (
                    preheader.get("class") or "",
                    0 < len(_SPACER.sub(" ", text).strip()) <= PREHEADER_LIMIT,
                    len(text) <= HIDDEN_TEXT_LIMIT,
                    # Hidden the standard way; no text colour or 1px font (what filters score as invisible text).
                    "display:none" in style
                    and "mso-hide:all" in style
                    and "color" not in style
                    and "font-size" not in style,
                )
            )
    expected = {("preheader", True, True, True)}
    assert {"digest": expected, "confirm": expected, "welcome": expected} == found
