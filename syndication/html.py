"""HTML hygiene shared by every stage that republishes article text.

Sanitizing (nh3) also repairs broken markup; links and images are made absolute
against the article URL, so attribution links keep working wherever text is republished.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import threading
from copy import deepcopy
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "figcaption", "figure",
        "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q", "s",
        "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": {"title"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL_ATTRIBUTES = {("a", "href"), ("img", "src"), ("blockquote", "cite"), ("q", "cite")}

# Characters XML 1.0 does not allow (C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_xml_invalid(text: str) -> str:
    """``text`` without the characters that XML 1.0 forbids."""
    return _XML_INVALID.sub("", text)


def absolute_url(url: str, base_url: str | None) -> str:
    """``url`` made absolute against ``base_url`` (left alone when it already is, or no base)."""
    url = url.strip()
    # Most URLs are absolute web addresses: known to have a scheme without splitting them.
    if not base_url or url.startswith(("https://", "http://")) or urlsplit(url).scheme:
        return url
    return urljoin(base_url, url)


def web_url(url: str, base: str | None) -> str | None:
    """``url`` made absolute, or None unless it is an http(s) URL (no ``javascript:``, ``data:``)."""
    absolute = absolute_url(strip_xml_invalid(url), base)
    return absolute if absolute.lower().startswith(("http://", "https://")) else None


# The base URL of the sanitize_html call running in this thread, for the attribute filter below:
# one nh3.Cleaner serves every call (building one per call cost nine tenths of a call). nh3 calls
# the filter in the calling thread, during that call, so a thread-local value is the call's own.
_CALL = threading.local()


def _keep_absolute(tag: str, attribute: str, value: str) -> str | None:
    if (tag, attribute) in _URL_ATTRIBUTES:
        return absolute_url(value, _CALL.base_url)
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=None,
    strip_comments=True,
    attribute_filter=_keep_absolute,
)
# No tags at all: what plain_text keeps of markup (its text).
_TEXT_CLEANER = nh3.Cleaner(tags=set(), strip_comments=True)


def sanitize_html(markup: str, base_url: str | None = None) -> str:
    """Safe, well-formed HTML: no scripts, styles or event handlers; links and images absolute."""
    _CALL.base_url = base_url
    try:
        cleaned = _CLEANER.clean(strip_xml_invalid(markup))
    finally:
        _CALL.base_url = None
    return cleaned.strip()


# Bump when sanitize_html gives other output for the same input through a change of its code
# (the lists above and nh3's version are part of the policy already).
_SANITIZER_REVISION = 1


def _policy() -> str:
    attributes = sorted((tag, sorted(names)) for tag, names in ALLOWED_ATTRIBUTES.items())
    described = repr((sorted(ALLOWED_TAGS), attributes, sorted(URL_SCHEMES), nh3.__version__, _SANITIZER_REVISION))
    return hashlib.sha256(described.encode("utf-8")).hexdigest()[:16]


# What sanitize_html does, named: HTML found clean under one policy need not be clean under another.
SANITIZER_POLICY = _policy()


def is_sanitized(markup: str, base_url: str | None = None) -> bool:
    """Whether ``markup`` is what :func:`sanitize_html` gives for it (with ``base_url``) and holds no
    character XML forbids: republishing it as it is then gives the same bytes as sanitizing it again."""
    return _XML_INVALID.search(markup) is None and sanitize_html(markup, base_url) == markup


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|blockquote|tr|figure|figcaption)>|<br\s*/?>", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\r\f\v]+")


def _one_line(text: str) -> str:
    # Every run of space one space, none around: str.split's space is the regular expression \s
    # (the same characters: compared over every code point), at a fraction of a substitution's cost.
    return " ".join(text.split())


def html_to_text(markup: str) -> str:
    """Readable plain text from sanitized HTML: block ends become line breaks (a mail's text part)."""
    text = _BLOCK_END.sub("\n", markup)
    text = html_lib.unescape(_TAG.sub("", text))
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


# Names (categories, regions, authors, labels) come back in every article of a build: remembered.
@lru_cache(maxsize=16384)
def plain_text(value: str) -> str:
    """One line of plain text from any text or HTML (a title, a name, a caption).

    No markup (script and style bodies dropped), entities decoded, no XML-invalid characters,
    every run of space one space. Unlike :func:`html_to_text`, block ends do not survive as line breaks.
    """
    value = strip_xml_invalid(value)
    if "<" in value or "&" in value:
        value = html_to_text(_TEXT_CLEANER.clean(value))
    return _one_line(value)


def escape(text: str) -> str:
    return html_lib.escape(text, quote=True)


# Quotation marks a quote may stand in: German, English and typewriter ones, guillemets.
_QUOTE_MARKS = re.compile("[\"'„“”‚‘’«»‹›]")
_MARKS_AROUND = "„“\"”'‚‘’"


def normalise_quote(text: str) -> str:
    """Text reduced for a loose comparison: no markup, no quotation marks, no closing punctuation,
    single spaces, case-folded."""
    plain = html_to_text(text) if "<" in text else text
    plain = _QUOTE_MARKS.sub("", plain)
    return _one_line(plain).strip(".…!?").strip().casefold()


def _word_for_word(text: str) -> str:
    return _one_line(text).strip(_MARKS_AROUND).strip().casefold()


def quote_repeats(quote: str, outlook_html: str, *, contained: bool = False) -> bool:
    """Whether an author's ``quote`` (plain text) says what the outlook says, so that the text is shown once.

    Word for word (the feeds): the same words once spaces, case and the quotation marks around
    the quote are set aside. ``contained`` (the digest, which has less room): quotation marks
    and closing punctuation are set aside too, and a quote the outlook contains repeats it.
    """
    if contained:
        said, outlook = normalise_quote(quote), normalise_quote(outlook_html)
        return bool(said) and (said == outlook or said in outlook)
    return _word_for_word(_text_of(outlook_html)) == _word_for_word(quote)


def _text_of(markup: str) -> str:
    # html_to_text without its lines: the same text once every run of space is one space, which is
    # all a word-for-word comparison looks at (a fifth of a feed item's time went to the lines).
    return html_lib.unescape(_TAG.sub("", _BLOCK_END.sub("\n", markup)))


# -- lxml trees, read and written as lxml.html does ------------------------------------------
# Plain lxml elements: lxml.html's Python element classes cost a Python call for every element
# reached, and only these few of their helpers were used.

# What lxml.html.document_fromstring and fragment_fromstring parse with, less the element classes.
HTML_PARSER = etree.HTMLParser()
# lxml.html's text_content() is this XPath; plain strings instead of "smart" ones pointing into the tree.
_TEXT_CONTENT = etree.XPath("string()", smart_strings=False)
# lxml.html.tostring drops these from what it writes; so does tostring.
_META_CONTENT_TYPE = re.compile(r'<meta http-equiv="Content-Type"[^>]*>', re.I)
# What lxml.html takes for a whole document rather than a fragment.
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.I)
# Elements whose content libxml2 reads as raw text but writes escaped, whose leading newline it
# drops, or that hold foreign markup (see changes_when_read_back).
_REREAD_TAGS = frozenset({
    "iframe", "xmp", "plaintext", "noembed", "noframes", "noscript", "textarea", "title", "pre", "listing",
    "script", "style", "template", "math", "svg",
})  # fmt: skip


def text_content(element: etree._Element) -> str:
    """The text of ``element`` and all below it (lxml.html's text_content)."""
    return _TEXT_CONTENT(element)


def tostring(element: etree._Element, *, with_tail: bool) -> str:
    """lxml.html.tostring(element, encoding="unicode", with_tail=with_tail)."""
    markup = etree.tostring(element, method="html", encoding="unicode", with_tail=with_tail)
    return _META_CONTENT_TYPE.sub("", markup) if "<m" in markup or "<M" in markup else markup


def outer_html(element: etree._Element) -> str:
    return tostring(element, with_tail=False)


def inner_html(element: etree._Element) -> str:
    children = "".join(tostring(child, with_tail=True) for child in element)
    return html_lib.escape(element.text or "", quote=False) + children


def drop_tree(element: etree._Element) -> None:
    """Remove ``element`` but keep the text that follows it (lxml.html's drop_tree)."""
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def changes_when_read_back(element: etree._Element) -> bool:
    """Whether ``element`` written out and read back differs: libxml2 reads some elements' content as
    raw text but writes it escaped (and drops a newline after ``<pre>``), and writes an empty ``<li>``
    without its end tag, so that reading back puts what follows into it."""
    for node in element.iter():
        tag = node.tag
        if tag in _REREAD_TAGS or (tag == "li" and not node.text and len(node) == 0):
            return True
    return False


def detached(element: etree._Element) -> etree._Element:
    """A copy of ``element`` (without its tail) in an HTML document of its own."""
    copy = deepcopy(element)
    copy.tail = None
    return copy


def read_back(element: etree._Element) -> etree._Element:
    """``element`` as lxml.html.fragment_fromstring reads it back once written out: ``element`` itself
    unless :func:`changes_when_read_back`, else a copy of its own, so read (and so it raises)."""
    if not changes_when_read_back(element):
        return element
    markup = outer_html(element)
    if not _FULL_HTML.match(markup):
        markup = f"<html><body>{markup}</body></html>"
    document = etree.fromstring(markup, HTML_PARSER)
    if document is None:
        raise etree.ParserError("Document is empty")
    bodies = [child for child in document if child.tag == "body"]
    assert len(bodies) == 1, f"too many bodies: {bodies!r}"
    body = bodies[0]
    if body.text and body.text.strip():
        raise etree.ParserError(f"There is leading text: {body.text!r}")
    if len(body) != 1:
        raise etree.ParserError("No elements found" if len(body) == 0 else "Multiple elements found")
    copy = body[0]
    if copy.tail and copy.tail.strip():
        raise etree.ParserError(f"Element followed by text: {copy.tail!r}")
    copy.tail = None
    return copy
