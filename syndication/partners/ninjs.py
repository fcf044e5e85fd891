"""Article → IPTC ninjs 3.1 item (pure: no I/O, no clock).

Field names and shapes follow ``ninjs-schema_3.1.json``: headlines, descriptions and
bodies are arrays of objects; an associated picture is itself a ninjs object with
renditions and, when it is AI-generated, the IPTC digital source type.

Every text field declares its content type. The plain-text ones (headlines, descriptions,
``by``, subject names, captions, credits, source names) go through the feeds' own
:func:`~syndication.html.plain_text`: no tag, no script body, no XML-invalid
character reaches them, whatever the article holds.
"""

from __future__ import annotations

import mimetypes
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from syndication.html import absolute_url, escape, html_to_text, plain_text, quote_repeats, sanitize_html, web_url
from syndication.model import Article, Image, Status
from syndication.partners.model import Terms
from syndication.partners.versions import CANCELED, USABLE, WITHHELD, ItemVersion

NINJS_VERSION = "3.1"
NINJS_SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
DIGITAL_SOURCE_TYPE_VOCABULARY = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_GENERATED = {
    "uri": DIGITAL_SOURCE_TYPE_VOCABULARY + "trainedAlgorithmicMedia",
    "name": "Trained algorithmic media",
}
LEAD_IMAGE_NAME = "featureimage"
# The disclosure label that travels with an AI-generated image, in the item's language.
AI_DISCLOSURE = {"de": "KI-generiertes Bild", "en": "AI-generated image"}
# Characters left as they are when a URL is made a strict (ASCII) URI.
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


def item_uri(article_id: str) -> str:
    """The item's ``uri``: built from the article id alone, so it never changes."""
    try:
        return f"urn:uuid:{uuid.UUID(article_id)}"
    except ValueError:
        # Ids from model.article_id are UUIDs; anything else still gets a stable URN.
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_OID, article_id)}"


def image_uri(image: Image) -> str:
    """A stable identifier for a picture: the same image URL always gives the same uri."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, image.url)}"


def as_uri(url: str) -> str:
    """``url`` as a strict URI: non-ASCII characters and spaces percent-encoded, IDN host punycoded."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, _, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        netloc = (f"{userinfo}@" if userinfo else "") + host.encode("idna").decode("ascii") + colon + port
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_URI_SAFE),
            quote(parts.query, safe=_URI_SAFE),
            quote(parts.fragment, safe=_URI_SAFE),
        )
    )


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as ninjs' ``date-time`` fields want."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_html(article: Article) -> str:
    """The article's full body as sanitized HTML with absolute links, the author's quote at the end.

    The quote is left out when it repeats the outlook word for word (as it often does on
    this site), so that the text appears once: as the feeds decide (:func:`syndication.html.quote_repeats`).
    """
    markup = article.body_html or "".join(
        f"<h2>{escape(plain_text(section.heading))}</h2>{section.html}" for section in article.sections
    )
    quote = plain_text(article.author_quote or "")
    outlook = article.outlook
    if quote and not (outlook is not None and quote_repeats(quote, outlook.html)):
        author = plain_text(article.author.name) if article.author else ""
        cite = f"<p>— <cite>{escape(author)}</cite></p>" if author else ""
        markup += f"<blockquote><p>{escape(quote)}</p>{cite}</blockquote>"
    return sanitize_html(markup, base_url=article.url)


def summary_html(article: Article) -> str:
    """What a summary-only partner gets as body: the teaser and a link to the full article."""
    link = f'<a href="{escape(as_uri(article.url))}">{escape(plain_text(article.title))}</a>'
    return sanitize_html(f"<p>{escape(plain_text(article.teaser))}</p><p>{link}</p>", base_url=article.url)


def _body(value: str, role: str) -> dict[str, Any]:
    text = html_to_text(value)
    return {
        "role": role,
        "contentType": "text/html",
        "value": value,
        "charCount": len(text),
        "wordCount": len(text.split()),
    }


def _text(value: str, role: str) -> dict[str, str]:
    return {"role": role, "contentType": "text/plain", "value": value}


def _subjects(article: Article) -> list[dict[str, Any]]:
    subjects: list[dict[str, Any]] = []
    for rel, names in (("category", article.categories), ("region", article.regions)):
        for name in dict.fromkeys(plain_text(raw) for raw in names):
            if name:
                subjects.append({"name": name, "rel": rel, "literal": f"{rel}:{name}"})
    return subjects


def _image_type(image: Image) -> str | None:
    if image.mime_type:
        return image.mime_type
    guessed, _ = mimetypes.guess_type(urlsplit(image.url).path)
    return guessed if guessed and guessed.startswith("image/") else None


def picture(image: Image, terms: Terms, language: str, base_url: str | None = None) -> dict[str, Any]:
    """The lead image as an associated ninjs picture with its rendition(s).

    Each rendition says what it is (MIME type, width, height, size in bytes where known) and, for an
    AI-generated image, the disclosure in its title, so that a rendition taken on its own still carries it;
    the picture has the partner's rights (``usageTerms``, ``rightsInfo``) and the digital source type.
    """
    rendition: dict[str, Any] = {"name": "original", "href": as_uri(absolute_url(image.url, base_url))}
    content_type = _image_type(image)
    if content_type:
        rendition["contentType"] = content_type
    if image.width:
        rendition["width"] = image.width
    if image.height:
        rendition["height"] = image.height
    if image.length:
        rendition["sizeInBytes"] = image.length
    alt = plain_text(image.alt)
    caption = plain_text(image.caption)
    credit = plain_text(image.credit)
    disclosure = AI_DISCLOSURE.get(language.split("-")[0].lower(), AI_DISCLOSURE["en"]) if image.ai_generated else ""
    title = " – ".join(part for part in (alt, disclosure) if part)
    if title:
        rendition["title"] = title
    item: dict[str, Any] = {
        "name": LEAD_IMAGE_NAME,
        "rel": LEAD_IMAGE_NAME,
        "uri": image_uri(image),
        "type": "picture",
        "language": language,
    }
    if caption:
        item["headlines"] = [_text(caption, "caption")]
    descriptions = []
    if alt:
        descriptions.append(_text(alt, "alt"))
    if disclosure:
        descriptions.append(_text(disclosure, "disclosure"))
        item["digitalSourceType"] = dict(AI_GENERATED)
    if descriptions:
        item["descriptions"] = descriptions
    if credit:
        # ninjs has no credit line of its own: "by" names the creator of the picture.
        item["by"] = credit
    item["usageTerms"] = plain_text(terms.usage_terms)
    if terms.licence_url:
        item["rightsInfo"] = {"linkedRights": as_uri(terms.licence_url)}
    item["renditions"] = [rendition]
    return item


def to_ninjs(article: Article, terms: Terms, version: ItemVersion | None = None) -> dict[str, Any]:
    """The ninjs 3.1 item of ``article`` as ``terms`` allow it to be republished.

    ``version``: the version of the partners' log this item is (its number, ``pubStatus``, editorial
    note, time); without one, the article's own. A ``canceled`` item (withdrawn) still names the story
    but carries no text or picture to republish; a ``withheld`` one (publication still ahead) neither,
    only when it may be used (``embargoedUntil``): its content comes as the next version.
    """
    if version is None:
        status = CANCELED if article.status == Status.RETRACTED else USABLE
        number, created, note, embargoed_until = article.version, article.updated, None, None
    else:
        status, number, created = version.pub_status, version.version, version.version_created
        note, embargoed_until = version.note, version.embargoed_until
    retracted = status in (CANCELED, WITHHELD)
    # Only http(s) pictures and sources are passed on: partners put these URIs into src/href attributes.
    image = article.image if article.image and web_url(article.image.url, article.url) else None
    item: dict[str, Any] = {
        "uri": item_uri(article.id),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA_URI},
        "type": "text",
        "representationType": "partial" if terms.summary_only or retracted else "full",
        "profile": "text-photo" if image and not retracted else "text-only",
        "version": str(number),
        "firstCreated": timestamp(article.published),
        "versionCreated": timestamp(created),
        "pubStatus": status,
        "language": article.language,
        "headlines": [_text(plain_text(article.title) or article.id, "main")],
    }
    if note:
        item["edNote"] = plain_text(note)
    embargo_ends = [moment for moment in (embargoed_until,) if moment is not None]
    if terms.embargo_minutes > 0:
        embargo_ends.append(article.published + timedelta(minutes=terms.embargo_minutes))
    if embargo_ends:
        item["embargoedUntil"] = timestamp(max(embargo_ends))
    if terms.reuse_days and status == USABLE:
        # The contract limits reuse: the partner takes the item down after this.
        item["expires"] = timestamp(article.published + timedelta(days=terms.reuse_days))
    if not retracted:
        teaser = plain_text(article.teaser)
        if teaser:
            item["descriptions"] = [_text(teaser, "summary")]
        if terms.summary_only:
            item["bodies"] = [_body(summary_html(article), "summary")]
        else:
            item["bodies"] = [_body(body_html(article), "main")]
        if image:
            item["associations"] = [picture(image, terms, article.language, article.url)]
    byline = plain_text(article.author.name) if article.author else ""
    if byline:
        item["by"] = byline
    subjects = _subjects(article)
    if subjects:
        item["subjects"] = subjects
    item["copyrightHolder"] = plain_text(terms.copyright_holder)
    item["copyrightNotice"] = plain_text(terms.copyright_notice)
    item["usageTerms"] = plain_text(terms.usage_terms)
    if terms.licence_url:
        item["rightsInfo"] = {"linkedRights": as_uri(terms.licence_url)}
    item["infoSources"] = [
        {"name": plain_text(terms.publisher), "role": "publisher", "uri": as_uri(terms.publisher_url)},
        *(
            {"name": plain_text(s.title) or url, "role": "source", "uri": as_uri(url)}
            for s in article.sources
            if (url := web_url(s.url, article.url))
        ),
    ]
    item["altIds"] = [
        {"role": "url", "value": article.url},
        {"role": "sourceId", "value": f"{article.source}:{article.external_id}"},
    ]
    item["renditions"] = [{"name": "web", "href": as_uri(article.url), "contentType": "text/html"}]
    return item
