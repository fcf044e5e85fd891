"""Article anatomy: read the publisher's article body HTML into roles.

Headings are the only section markers, so the heading text → role mapping comes from
:class:`~syndication.config.AnatomyConfig`. The body is read with lxml; every piece of
HTML handed out is sanitized (nh3) with links made absolute against the article URL.

Conventions (documented in the README, "Article anatomy"):

- The *teaser* is the plain text of the paragraphs before the first heading (when the
  body has no heading at all: its first paragraph).
- A heading whose text starts with a configured heading (case-insensitive) opens a
  section of that role; any other heading opens an ``other`` section that keeps its
  heading, unless it is a sub-heading (deeper level) of a recognised section, which
  keeps it as part of its content.
- The *author quote* is what ``[anatomy] author_quote_selectors`` find (default
  ``blockquote.author-quote``); or a quote found by ``cited_quote_selectors`` (WordPress's
  pullquote and quote blocks) whose ``<cite>`` names the article's author; or, inside the
  author box (``author_box_selectors``: ``.author-box``, ``.autor-box``), its blockquote or
  quoted paragraph. The author box, the comment form and everything after them are not
  part of the body.
- An element whose whole text is an AI-image label („KI generiertes Foto“) marks the
  lead image as AI-generated and is removed from the body; in a caption found by
  ``ai_label_selectors`` (``figcaption``, ``small``) the label among other words marks it too.
- The first ``<figure>`` with an image is the body's image (``ParsedBody.image``): its
  caption, alt text, and whether its own caption carries the AI label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from lxml.cssselect import LxmlHTMLTranslator

from syndication.config import AnatomyConfig
from syndication.html import (
    HTML_PARSER,
    absolute_url,
    detached,
    drop_tree,
    inner_html,
    outer_html,
    read_back,
    sanitize_html,
    text_content,
)
from syndication.model import Image, ItemKind, ListItem, Section, SectionRole, SourceLink

# WordPress's comment area and form; they and everything after them are not content.
COMMENT_IDS = frozenset({"respond", "comments"})
COMMENT_CLASSES = frozenset({"comment-respond", "comments-area", "comment-form", "comments"})
COMMENT_HEADINGS = ("schreibe einen kommentar", "leave a reply", "leave a comment")
# Leading articles dropped from region names („Bedeutung für die Westpfalz“ → „Westpfalz“).
REGION_ARTICLES = ("die ", "den ", "das ", "der ", "the ")
# Opening → closing quote marks stripped around an author quote.
QUOTE_PAIRS = {"„": "“‟”", "“": "”“", '"': '"', "»": "«", "«": "»", "‚": "‘’", "'": "'", "”": "”"}

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements whose content is code or inert markup, never text a reader sees.
_NOT_TEXT_TAGS = ("script", "style", "template")
_CONTAINER_TAGS = frozenset({"div", "section", "article", "main", "header", "footer", "span"})
_LIST_ROLES = frozenset({SectionRole.KEY_FACTS, SectionRole.CHANCES_RISKS})


@dataclass(frozen=True)
class ParsedBody:
    # Plain text of the lead paragraph(s) before the first heading ("" if none).
    teaser: str
    sections: tuple[Section, ...]
    sources: tuple[SourceLink, ...]
    author_quote: str | None
    regions: tuple[str, ...]
    ai_image_label: bool
    # Sanitized body without the author box, AI label and anything after them.
    body_html: str
    # The first figure's image (e.g. a WordPress image block), for sources without a lead image of their own.
    image: Image | None = None


EMPTY = ParsedBody(
    teaser="", sections=(), sources=(), author_quote=None, regions=(), ai_image_label=False, body_html=""
)


@lru_cache(maxsize=256)
def _selector(selectors: tuple[str, ...]) -> etree.XPath:
    # One XPath union of what CSSSelector(css, translator="html") evaluates for each: a union is a
    # node-set, so its matches come in document order and each once.
    translator = LxmlHTMLTranslator()
    return etree.XPath(" | ".join(translator.css_to_xpath(css) for css in selectors))


def _select(root: etree._Element, selectors: tuple[str, ...]) -> list[etree._Element]:
    """Elements matching any of ``selectors``, in document order, each once."""
    return _selector(selectors)(root) if selectors else []


def normalize_space(text: str) -> str:
    # str.split() splits at exactly the characters a regex's \s matches (str.isspace).
    return " ".join(text.split())


def strip_quote_marks(text: str) -> str:
    """``text`` without one pair of surrounding quote marks („…“, "…", »…«, ‚…‘)."""
    text = text.strip()
    if len(text) >= 2 and text[0] in QUOTE_PAIRS and text[-1] in QUOTE_PAIRS[text[0]]:
        return text[1:-1].strip()
    return text


def _text(element: etree._Element) -> str:
    return " ".join(text_content(element).split())


def _contains(element: etree._Element, *tags: str) -> bool:
    return next(element.iter(*tags), None) is not None


def _is_element(node: object) -> bool:
    # Comments and processing instructions are nodes too, but have no tag name.
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def _cut_from(element: etree._Element, root: etree._Element) -> None:
    """Remove ``element`` and everything that follows it in document order below ``root``."""
    node = element
    while node is not None and node is not root:
        parent = node.getparent()
        for following in list(node.itersiblings()):
            parent.remove(following)
        node.tail = None
        node = parent
    element.getparent().remove(element)


# -- headings ---------------------------------------------------------------------------


_Role = tuple[SectionRole, str] | None
# Per configuration (kept alive here, so its id stays its own): the headings, normalised once, and
# the role of each heading text met so far (a newsroom uses the same few headings in every article).
_HEADINGS: dict[int, tuple[AnatomyConfig, tuple[tuple[SectionRole, str], ...], dict[str, _Role]]] = {}
_ROLES_KEPT = 4096


def _normalised_headings(anatomy: AnatomyConfig) -> tuple[tuple[tuple[SectionRole, str], ...], dict[str, _Role]]:
    found = _HEADINGS.get(id(anatomy))
    if found is None or found[0] is not anatomy:
        pairs = tuple(
            (SectionRole(role), normalize_space(prefix).casefold())
            for role, prefixes in anatomy.headings.items()
            for prefix in prefixes
        )
        if len(_HEADINGS) > 64:
            _HEADINGS.clear()
        found = _HEADINGS[id(anatomy)] = (anatomy, pairs, {})
    return found[1], found[2]


def heading_role(heading: str, anatomy: AnatomyConfig) -> tuple[SectionRole, str] | None:
    """The role a heading names and the configured text it starts with (longest match wins)."""
    pairs, known = _normalised_headings(anatomy)
    if heading in known:
        return known[heading]
    folded = normalize_space(heading).casefold()
    best: tuple[SectionRole, str] | None = None
    for role, wanted in pairs:
        if wanted and folded.startswith(wanted) and (best is None or len(wanted) > len(best[1])):
            best = (role, wanted)
    if len(known) >= _ROLES_KEPT:
        known.clear()
    known[heading] = best
    return best


def regions_from_heading(heading: str, matched_prefix: str, anatomy: AnatomyConfig) -> tuple[str, ...]:
    """The regions a regional_relevance heading names after its configured prefix."""
    rest = normalize_space(heading)[len(matched_prefix) :].strip(" :–-—.")
    if not rest or not anatomy.region_separators:
        return ()
    pattern = "|".join(re.escape(separator) for separator in anatomy.region_separators)
    regions = []
    for part in re.split(pattern, rest):
        name = part.strip(" :–-—.,")
        for article in REGION_ARTICLES:
            if name.casefold().startswith(article):
                name = name[len(article) :].strip()
        if name and name not in regions:
            regions.append(name)
    return tuple(regions)


# -- the body's furniture: author box, comment form, AI label ----------------------------


def _is_comment_area(element: etree._Element) -> bool:
    if element.tag == "form" or (element.get("id") or "").lower() in COMMENT_IDS:
        return True
    classes = element.get("class")
    if classes and not COMMENT_CLASSES.isdisjoint(classes.lower().split()):
        return True
    return element.tag in _HEADING_TAGS and _text(element).casefold().startswith(COMMENT_HEADINGS)


def _quote_in(box: etree._Element) -> str | None:
    for blockquote in box.iter("blockquote"):
        text = _text(blockquote)
        if text:
            return strip_quote_marks(text)
    for paragraph in box.iter("p", "div", "span"):
        text = _text(paragraph)
        if len(text) >= 2 and text[0] in QUOTE_PAIRS and text[-1] in QUOTE_PAIRS[text[0]]:
            return strip_quote_marks(text)
    return None


def _cite_of(quote: etree._Element) -> str:
    cite = next(quote.iter("cite"), None)
    return _text(cite).lstrip("—–-~ ").strip() if cite is not None else ""


def _without_cite(quote: etree._Element) -> str:
    copy = read_back(quote)
    # A quote that is a <cite> keeps its own text.
    if any(cite is not copy for cite in copy.iter("cite")):
        if copy is quote:
            copy = detached(quote)
        for cite in [cite for cite in copy.iter("cite") if cite is not copy]:
            drop_tree(cite)
    return strip_quote_marks(_text(copy))


def _remove_quote(quote: etree._Element) -> None:
    parent = quote.getparent()
    drop_tree(quote)
    # A WordPress pullquote's <figure> has nothing left once its quote is gone.
    if parent is not None and parent.tag == "figure" and not _text(parent) and parent.getparent() is not None:
        drop_tree(parent)


def _take_author_quote(root: etree._Element, anatomy: AnatomyConfig, author: str | None) -> str | None:
    """Find the author quote, then remove the author box (and what follows) and quote elements."""
    quote: str | None = None
    for element in _select(root, anatomy.author_quote_selectors):
        if quote is None and _without_cite(element):
            quote = _without_cite(element)
        _remove_quote(element)
    wanted = normalize_space(author or "").casefold()
    for element in _select(root, anatomy.cited_quote_selectors):
        if wanted and normalize_space(_cite_of(element)).casefold() == wanted:
            if quote is None and _without_cite(element):
                quote = _without_cite(element)
            _remove_quote(element)
    box = next(iter(_select(root, anatomy.author_box_selectors)), None)
    if box is not None:
        if quote is None:
            quote = _quote_in(box)
        _cut_from(box, root)
    return quote or None


def _cut_comment_area(root: etree._Element) -> None:
    # The first comment area below the root in document order (walked in Python: an XPath took longer).
    elements = root.iter(etree.Element)
    next(elements)  # the root itself
    found = next((element for element in elements if _is_comment_area(element)), None)
    if found is not None:
        _cut_from(found, root)


def _take_ai_label(root: etree._Element, anatomy: AnatomyConfig) -> bool:
    labels = [normalize_space(label).casefold() for label in anatomy.ai_image_labels if label.strip()]
    if not labels:
        return False
    # Every element's text is part of the whole text: no label there, none in any element.
    whole = _text(root).casefold()
    if not any(label in whole for label in labels):
        return False
    # Keyed by id() and holding the elements: lxml keeps one proxy per node only while it is referenced.
    captions = {id(e): e for e in _select(root, anatomy.ai_label_selectors)}
    found = False
    for element in list(root.iter()):
        if not _is_element(element) or element is root or element.getparent() is None:
            continue
        text = _text(element).casefold().strip(" ()[]:–-")
        # The innermost element carrying the label goes, never a figure with its image.
        if text in labels and not _contains(element, "img", "picture", "video", "iframe"):
            found = True
            drop_tree(element)
        elif id(element) in captions and any(label in text for label in labels):
            # A caption that mentions the label among other words keeps its text.
            found = True
    return found


# -- walking the blocks ----------------------------------------------------------------


def _wrap_loose_text(container: etree._Element) -> None:
    """Text directly inside a container becomes a paragraph, so it is a block like any other."""
    if container.text and container.text.strip():
        paragraph = etree.Element("p")
        paragraph.text = container.text
        container.text = None
        container.insert(0, paragraph)
    for child in list(container):
        if child.tail and child.tail.strip():
            paragraph = etree.Element("p")
            paragraph.text = child.tail
            child.tail = None
            child.addnext(paragraph)


def _blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Block elements in page order, descending into wrappers that contain headings."""
    _wrap_loose_text(container)
    for child in container:
        if not _is_element(child):
            continue
        if child.tag in _CONTAINER_TAGS and _contains(child, *_HEADING_TAGS):
            yield from _blocks(child)
        else:
            yield child


@dataclass
class _OpenSection:
    role: SectionRole
    heading: str
    level: int
    blocks: list[etree._Element]
    regions: tuple[str, ...] = ()


def _strip_leading_chars(element: etree._Element, count: int) -> int:
    """Remove the first ``count`` characters of ``element``'s text content; returns what is left to remove."""
    if count > 0 and element.text:
        taken = min(count, len(element.text))
        element.text = element.text[taken:] or None
        count -= taken
    for child in list(element):
        if count <= 0:
            break
        if _is_element(child):
            count = _strip_leading_chars(child, count)
        if count > 0 and child.tail:
            taken = min(count, len(child.tail))
            child.tail = child.tail[taken:] or None
            count -= taken
        if _is_element(child) and not child.text and len(child) == 0 and child.tag not in ("img", "br"):
            drop_tree(child)
    return count


def _strip_leading_space(element: etree._Element) -> None:
    text = text_content(element)
    _strip_leading_chars(element, len(text) - len(text.lstrip()))


def _list_item(element: etree._Element, anatomy: AnatomyConfig, role: SectionRole, base_url: str) -> ListItem:
    """The item ``element`` (a list item or a paragraph) makes, as read back (:func:`_read_back`); a
    chance's or risk's prefix is cut from a copy, ``element`` is left as it is."""
    item = read_back(element)
    kind: ItemKind | None = None
    if role == SectionRole.CHANCES_RISKS:
        text = text_content(item)
        stripped = text.lstrip()
        for prefixes, candidate in ((anatomy.chance_prefixes, ItemKind.CHANCE), (anatomy.risk_prefixes, ItemKind.RISK)):
            prefix = next((p for p in prefixes if p and stripped.casefold().startswith(p.casefold())), None)
            if prefix is not None:
                kind = candidate
                if item is element:
                    item = detached(element)
                _strip_leading_chars(item, len(text) - len(stripped) + len(prefix))
                _strip_leading_space(item)
                break
    html = sanitize_html(inner_html(item), base_url)
    return ListItem(text=_text(item), html=html, kind=kind)


def _items(section: _OpenSection, anatomy: AnatomyConfig, base_url: str) -> tuple[ListItem, ...]:
    items: list[ListItem] = []
    for block in section.blocks:
        if block.tag in ("ul", "ol"):
            for entry in block.iterchildren("li"):
                items.append(_list_item(entry, anatomy, section.role, base_url))
        elif block.tag == "p" and section.role == SectionRole.CHANCES_RISKS and _text(block):
            # Chances and risks written as paragraphs („Chance: …“) instead of bullets.
            items.append(_list_item(block, anatomy, section.role, base_url))
    return tuple(items)


def _sources(section: _OpenSection, base_url: str) -> list[SourceLink]:
    links: list[SourceLink] = []
    for block in section.blocks:
        for anchor in block.iter("a"):
            href = (anchor.get("href") or "").strip()
            title = _text(anchor)
            if not href or href.startswith(("#", "javascript:")):
                continue
            url = absolute_url(href, base_url)
            if all(link.url != url for link in links):
                links.append(SourceLink(title=title or url, url=url))
    return links


def _figure_image(root: etree._Element, anatomy: AnatomyConfig, base_url: str) -> Image | None:
    """The first figure's image with its caption; AI-generated when its own caption carries the label."""
    labels = [normalize_space(label).casefold() for label in anatomy.ai_image_labels if label.strip()]
    for figure in root.iter("figure"):
        img = next((i for i in figure.iter("img") if (i.get("src") or "").strip()), None)
        if img is None:
            continue
        caption_element = next(figure.iter("figcaption"), None)
        caption = _text(caption_element) if caption_element is not None else ""
        url = absolute_url(img.get("src") or "", base_url)
        if not url.startswith(("http://", "https://")):
            continue
        ai_generated = any(label in caption.casefold() for label in labels)
        return Image(url=url, alt=normalize_space(img.get("alt") or ""), caption=caption, ai_generated=ai_generated)
    return None


def parse_body(html: str, anatomy: AnatomyConfig, base_url: str, *, author: str | None = None) -> ParsedBody:
    """Read an article body into teaser, sections, sources, author quote, regions and AI label.

    ``author`` is the article's author name: a quote block citing them is their author quote.
    """
    if not html or not html.strip():
        return EMPTY
    try:
        document = etree.fromstring(html, HTML_PARSER)
    except (etree.ParserError, ValueError):
        return EMPTY
    if document is None:
        return EMPTY  # lxml.html: "Document is empty"
    root = document.find("body")
    if root is None:
        return EMPTY
    # Before any text is derived: a script's body must not become teaser, heading or quote text.
    etree.strip_elements(document, *_NOT_TEXT_TAGS, with_tail=False)

    author_quote = _take_author_quote(root, anatomy, author)
    _cut_comment_area(root)
    image = _figure_image(root, anatomy, base_url)
    ai_label = _take_ai_label(root, anatomy)

    lead: list[etree._Element] = []
    opened: list[_OpenSection] = []
    for block in list(_blocks(root)):
        if block.tag in _HEADING_TAGS:
            heading = _text(block)
            level = int(block.tag[1])
            matched = heading_role(heading, anatomy)
            current = opened[-1] if opened else None
            if matched is None and current is not None and current.role != SectionRole.OTHER and level > current.level:
                current.blocks.append(block)
                continue
            if matched is None:
                opened.append(_OpenSection(SectionRole.OTHER, heading, level, []))
                continue
            role, prefix = matched
            regions = regions_from_heading(heading, prefix, anatomy) if role == SectionRole.REGIONAL_RELEVANCE else ()
            opened.append(_OpenSection(role, heading, level, [], regions))
        elif opened:
            opened[-1].blocks.append(block)
        else:
            lead.append(block)

    paragraphs = [text for block in lead if block.tag == "p" and (text := _text(block))]
    if not opened and paragraphs:
        paragraphs = paragraphs[:1]
    teaser = " ".join(paragraphs)

    sections: list[Section] = []
    sources: list[SourceLink] = []
    regions: list[str] = []
    for section in opened:
        html_part = sanitize_html("".join(outer_html(block) for block in section.blocks), base_url)
        items = _items(section, anatomy, base_url) if section.role in _LIST_ROLES else ()
        sections.append(Section(section.role, section.heading, html_part, items, section.regions))
        if section.role == SectionRole.SOURCES:
            sources.extend(link for link in _sources(section, base_url) if link not in sources)
        regions.extend(region for region in section.regions if region not in regions)

    body_html = sanitize_html(inner_html(root), base_url)
    return ParsedBody(
        teaser=teaser,
        sections=tuple(sections),
        sources=tuple(sources),
        author_quote=author_quote,
        regions=tuple(regions),
        ai_image_label=ai_label,
        body_html=body_html,
        image=image,
    )
