"""The feed writer: RSS 2.0 and Atom 1.0 through feedgen, corrected in one place. Pure: bytes out.

Django's syndication framework is the model. A feed is a subclass of :class:`FeedWriter`
that says what it is through hooks: :meth:`~FeedWriter.head` (title, links, author…),
:meth:`~FeedWriter.entry` (each item's fields) and, for what the common fields do not cover,
:meth:`~FeedWriter.add_root_elements`, :meth:`~FeedWriter.add_item_elements`,
:meth:`~FeedWriter.add_trailing_elements` and :meth:`~FeedWriter.namespaces`. The writer
says how it is written. The fields the hooks return are in :mod:`~syndication.feedwriter.fields`.

feedgen 1.0.0 builds the documents; its output is corrected here, on the lxml tree
(see the docs, "feedgen 1.0.0 workarounds"), each correction with a test:

* Atom entry links lose ``rel``/``type``/``length`` (a shadowed variable in
  ``FeedEntry.atom_entry``): entry links are rewritten from the entry's own data.
* ``type="CDATA"`` is not an Atom content type: content is always passed as ``type="html"``.
* The RSS channel ``<link>`` (and ``<image><link>``) is whichever link was added last:
  both are set to the alternate (HTML) URL.
* The syndication module writes ``sy:UpdatePeriod``/``UpdateFrequency``/``UpdateBase``;
  the RSS 1.0 syndication module spells them ``updatePeriod`` and so on: renamed.
* ``lastBuildDate``/``updated`` default to now(): the feed's time is given (or is the newest
  entry's ``updated``), so building twice gives the same bytes.
* feedgen names itself as the generator unless told otherwise: the head's ``generator`` (or none).

Hooks get text that is already what readers should see: the writer escapes, it does not clean.
With a :class:`~syndication.feedwriter.fragments.FragmentCache`, an entry is rendered once per
item and :meth:`~FeedWriter.entry_key` and reused by every feed of the build that shows it.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from syndication.feedwriter.fields import Category, Enclosure, Entry, FeedHead, Person
from syndication.feedwriter.formats import ATOM_NS, DC_NS, EPOCH, SY_NS, XML_NS, FeedFormat
from syndication.feedwriter.fragments import FragmentCache, cut_out, mark_entries, serialise, splice

# The fields the hooks return, imported from here by each feed with the writer itself.
__all__ = ["Category", "Enclosure", "Entry", "FeedHead", "FeedWriter", "Person"]

T = TypeVar("T")

_ATOM_CLOSE = b"</feed>\n"
_RSS_CLOSE = b"  </channel>\n</rss>\n"
_HTML = "text/html"
_ATOM_PREFIX = f"{{{ATOM_NS}}}"
_ATOM_LINK = f"{{{ATOM_NS}}}link"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class FeedWriter(Generic[T]):
    """A feed of items ``T``: override :meth:`head` and :meth:`entry`, and the other hooks as needed."""

    # -- hooks -------------------------------------------------------------------------

    def head(self, feed_format: FeedFormat) -> FeedHead:
        """The feed's own fields in ``feed_format``."""
        raise NotImplementedError

    def entry(self, item: T) -> Entry:
        """The fields of ``item``'s entry."""
        raise NotImplementedError

    def entry_key(self, feed_format: FeedFormat) -> Hashable:
        """What an entry's bytes depend on besides its item (entries with equal keys are reused)."""
        return None

    def uses_media_rss(self, feed_format: FeedFormat) -> bool:
        """Whether the Media RSS namespace is declared (entries add ``media:`` elements)."""
        return False

    def namespaces(self, feed_format: FeedFormat) -> Mapping[str, str]:
        """More namespaces (prefix → URI) declared on the root, for elements the other hooks add.

        Entries are rendered once per :meth:`entry_key`: an entry's elements must use namespaces
        that every feed sharing that key declares.
        """
        return {}

    def add_root_elements(self, parent: etree._Element, feed_format: FeedFormat) -> None:
        """Add feed-level elements to ``parent`` (Atom ``feed``, RSS ``channel``), before the entries."""

    def add_item_elements(self, element: etree._Element, item: T, feed_format: FeedFormat) -> None:
        """Add elements to ``item``'s ``entry`` (Atom) or ``item`` (RSS)."""

    def add_trailing_elements(self, parent: etree._Element, feed_format: FeedFormat) -> None:
        """Add elements to ``parent`` after the entries."""

    # -- writing -----------------------------------------------------------------------

    def write(self, feed_format: FeedFormat, items: Sequence[T], *, cache: FragmentCache | None = None) -> bytes:
        """The feed of ``items`` (in the order given) in ``feed_format`` (RSS or Atom), UTF-8 bytes.

        ``cache`` keeps each rendered entry for the next feed that shows the same item.
        """
        if feed_format is FeedFormat.JSON:
            raise ValueError("the feed writer writes RSS and Atom; JSON Feed is written by its feature")
        head = self.head(feed_format)
        if head.updated is None:
            updated = max((self.entry(item).updated for item in items), default=EPOCH)
        else:
            updated = head.updated
        document = serialise(self._head_tree(head, updated, feed_format))
        return splice(document, self._entries(feed_format, head, updated, items, cache or FragmentCache()))

    def _head_tree(self, head: FeedHead, updated: datetime, feed_format: FeedFormat) -> etree._Element:
        generator = self._generator(head, updated, feed_format)
        if feed_format is FeedFormat.ATOM:
            root = self._declare(_atom_tree(generator), feed_format)
            parent = root
            if head.hub:
                # Feed metadata must come before the entries: next to the other feed links.
                root.findall(f"{{{ATOM_NS}}}link")[-1].addnext(_link(head.hub, "hub"))
        else:
            root = self._declare(_rss_tree(generator), feed_format)
            parent = _channel(root)
            _fix_rss_channel(parent, head)
        self.add_root_elements(parent, feed_format)
        mark_entries(parent)
        self.add_trailing_elements(parent, feed_format)
        return root

    def _declare(self, root: etree._Element, feed_format: FeedFormat) -> etree._Element:
        extra = self.namespaces(feed_format)
        if not extra:
            return root
        declared = etree.Element(root.tag, attrib=dict(root.attrib), nsmap={**root.nsmap, **extra})
        declared.extend(list(root))
        return declared

    def _generator(self, head: FeedHead, updated: datetime, feed_format: FeedFormat) -> FeedGenerator:
        atom = feed_format is FeedFormat.ATOM
        generator = FeedGenerator()
        _load_extension(generator, "dc", atom=False, rss=True)
        if not atom:
            _load_extension(generator, "syndication", atom=False, rss=True)
        if self.uses_media_rss(feed_format):
            # Declares the media namespace on the root; the elements themselves come from a hook.
            _load_extension(generator, "media", atom=True, rss=True)
        generator.id(head.id)
        generator.title(head.title)
        generator.description(head.subtitle or head.title)
        if head.language:
            generator.language(head.language)
        # The alternate link first and self last: feedgen would make the last one the RSS
        # channel <link>; _fix_rss_channel puts the alternate URL there regardless.
        generator.link(href=head.alternate_url, rel="alternate", type=_HTML)
        generator.link(href=head.self_url, rel="self", type=feed_format.media_type)
        if head.author:
            generator.author(_person(head.author))
        if head.logo:
            generator.logo(head.logo)
        if head.icon:
            generator.icon(head.icon)
        if head.rights:
            generator.rights(head.rights)
        # An empty generator: none is written (feedgen would name itself).
        generator.generator(head.generator or "")
        generator.updated(_utc(updated))
        if not atom and head.ttl_minutes:
            generator.ttl(head.ttl_minutes)
            generator.syndication.update_period("hourly")
            generator.syndication.update_frequency(max(1, 60 // head.ttl_minutes))
        return generator

    def _entries(
        self,
        feed_format: FeedFormat,
        head: FeedHead,
        updated: datetime,
        items: Sequence[T],
        cache: FragmentCache,
    ) -> list[bytes]:
        key = _entry_slot_key((type(self), feed_format.extension, self.entry_key(feed_format)))
        slots = [cache.slot(item) for item in items]
        missing = [(slot, item) for slot, item in zip(slots, items, strict=True) if key not in slot]
        if missing:
            rendered = self._render_entries(feed_format, head, updated, [item for _, item in missing], cache)
            for (slot, _), data in zip(missing, rendered, strict=True):
                slot[key] = data
        return [slot[key] for slot in slots]

    def _render_entries(
        self,
        feed_format: FeedFormat,
        head: FeedHead,
        updated: datetime,
        items: Sequence[T],
        cache: FragmentCache | None = None,
    ) -> list[bytes]:
        """The entries (Atom) or items (RSS) of ``items``, built by feedgen and corrected, as bytes."""
        prepared = self._prepared(feed_format, items, cache or FragmentCache())
        entries = [(item, each.entry) for item, each in zip(items, prepared, strict=True)]
        atom = feed_format is FeedFormat.ATOM
        tree = _atom_tree if atom else _rss_tree
        generator = self._generator(head, updated, feed_format)
        if any(each.parsed for each in prepared):
            for _, entry in entries:
                _add_entry(generator, entry)
            root = self._declare(tree(generator, [entry for _, entry in entries]), feed_format)
            parent = root if atom else _channel(root)
            elements = list(parent.iterfind(f"{{{ATOM_NS}}}entry" if atom else "item"))
        else:
            # Each entry is built by feedgen's FeedEntry alone, under a root that declares what the
            # feed's root declares: the bytes FeedGenerator gives, without its per-entry work (every
            # extension of the feed registered on every entry, though only dc writes, in RSS).
            root = self._declare(tree(generator), feed_format)
            parent = root if atom else _channel(root)
            elements = []
            for each in prepared:
                built = each.feed_entry()
                element = built.atom_entry() if atom else built.rss_entry()
                parent.append(element)
                if atom:
                    _to_atom_namespace(element)
                elements.append(element)
        for element, (item, entry) in zip(elements, entries, strict=True):
            if atom:
                _fix_atom_entry(element, entry, head.language)
            else:
                _fix_rss_item(element, entry)
            self.add_item_elements(element, item, feed_format)
        if atom:
            return cut_out(root, root, elements, _ATOM_CLOSE, b"  <entry")
        return cut_out(root, parent, elements, _RSS_CLOSE, b"    <item>")

    def _prepared(self, feed_format: FeedFormat, items: Sequence[T], cache: FragmentCache) -> list[_Prepared]:
        """Each item's entry, and feedgen's, as this build prepared them for the feeds' other format.

        An entry's fields depend on its item and :meth:`entry_key` alone, and feedgen's
        ``FeedEntry`` writes both an Atom entry and an RSS item: when the key is the same in
        both formats (the site's feeds), each article's fields and feedgen entry are made once
        per build, not once per format (a fifth of the time rendering entries took).
        """
        key = _entry_slot_key((type(self), "fields", self.entry_key(feed_format)))
        prepared = []
        for item in items:
            local = cache.local(item)
            found = local.get(key)
            if found is None:
                found = local[key] = _Prepared(self.entry(item))
            prepared.append(found)
        return prepared


class _Prepared:
    """An entry's fields, and feedgen's entry of them (made when first asked for)."""

    __slots__ = ("_built", "entry", "parsed")

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self.parsed = _text_length(entry) > _PARSED_FROM
        self._built: FeedEntry | None = None

    def feed_entry(self) -> FeedEntry:
        if self._built is None:
            self._built = _feed_entry(self.entry)
        return self._built


# Entry keys as small numbers: a key holds the writer's entry_key (a dataclass, say), whose hash
# would be computed again at each look-up of each item's slot.
_ENTRY_SLOT_KEYS: dict[Hashable, int] = {}


def _entry_slot_key(key: Hashable) -> tuple[str, int]:
    number = _ENTRY_SLOT_KEYS.get(key)
    if number is None:
        number = _ENTRY_SLOT_KEYS.setdefault(key, len(_ENTRY_SLOT_KEYS))
    return ("entry", number)


# feedgen's load_extension looks for a module "feedgen.ext.<name>_entry" on every call, and the
# failing import searches sys.path each time: the classes it finds are resolved once here and
# registered as load_extension would register them.
_EXTENSIONS: dict[str, tuple[Any, Any]] = {}


def _extension_classes(name: str) -> tuple[Any, Any]:
    found = _EXTENSIONS.get(name)
    if found is None:
        class_name = name[0].upper() + name[1:]
        feed_module = importlib.import_module(f"feedgen.ext.{name}")
        try:
            entry_module = importlib.import_module(f"feedgen.ext.{name}_entry")
        except ImportError:
            entry_module = feed_module
        found = (
            getattr(feed_module, f"{class_name}Extension"),
            getattr(entry_module, f"{class_name}EntryExtension", None),
        )
        _EXTENSIONS[name] = found
    return found


def _load_extension(generator: FeedGenerator, name: str, *, atom: bool, rss: bool) -> None:
    """``generator.load_extension(name, atom, rss)`` without its import look-ups on every call."""
    feed_class, entry_class = _extension_classes(name)
    generator.register_extension(name, feed_class, entry_class, atom, rss)


# An entry with more text than this goes through feedgen's text and lxml's parser, whose limits
# (a text node of 10 MB) leave such an entry out of the feed as before; smaller ones cannot reach them.
_PARSED_FROM = 1_000_000


def _rss_tree(generator: FeedGenerator, entries: Sequence[Entry] = ()) -> etree._Element:
    """The RSS document feedgen builds: the tree ``rss_str`` serialises, without serialising and parsing it."""
    if any(_text_length(entry) > _PARSED_FROM for entry in entries):
        return etree.fromstring(generator.rss_str(pretty=False))
    root, _document = generator._create_rss()
    return root


def _atom_tree(generator: FeedGenerator, entries: Sequence[Entry] = ()) -> etree._Element:
    """The Atom document feedgen builds, as parsing ``atom_str`` would give it, without serialising and parsing.

    feedgen writes Atom's elements without a namespace and an ``xmlns`` attribute on the root,
    which puts them in the Atom namespace only once the text is parsed: here they are put there
    directly, and the default namespace is declared after the extensions' ones, where the
    attribute was.
    """
    if any(_text_length(entry) > _PARSED_FROM for entry in entries):
        return etree.fromstring(generator.atom_str(pretty=False))
    built, _document = generator._create_atom()
    nsmap = {prefix: uri for prefix, uri in built.nsmap.items() if prefix is not None}
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={**nsmap, None: ATOM_NS})
    for name, value in built.attrib.items():
        if name != "xmlns":
            root.set(name, value)
    root.extend(list(built))
    _to_atom_namespace(root)
    return root


def _to_atom_namespace(element: etree._Element) -> None:
    """Put ``element`` and its descendants without a namespace into Atom's (declared above it)."""
    # "{}*": lxml's own filter for elements in no namespace (comments and the like are not elements).
    for each in element.iter("{}*"):
        each.tag = _ATOM_PREFIX + each.tag


def _text_length(entry: Entry) -> int:
    texts = [entry.id, entry.title, entry.link, entry.summary or "", entry.content_html or "", entry.rights or ""]
    texts += [entry.author.name, entry.author.uri or ""] if entry.author else []
    texts += [category.term + (category.label or "") for category in entry.categories]
    return sum(len(text) for text in texts)


def _person(person: Person) -> dict[str, str]:
    fields = {"name": person.name}
    if person.uri:
        fields["uri"] = person.uri
    return fields


def _category(category: Category) -> dict[str, str]:
    fields = {"term": category.term}
    if category.label:
        fields["label"] = category.label
    if category.scheme:
        fields["scheme"] = category.scheme
    return fields


def _add_entry(generator: FeedGenerator, entry: Entry) -> FeedEntry:
    return _fill(generator.add_entry(order="append"), entry)


def _feed_entry(entry: Entry) -> FeedEntry:
    """feedgen's entry of ``entry``: without extensions, so one serves both formats (see _fix_rss_item)."""
    return _fill(FeedEntry(), entry)


def _fill(added: FeedEntry, entry: Entry) -> FeedEntry:
    added.guid(entry.id, permalink=False)
    added.title(entry.title)
    added.link(href=entry.link, rel="alternate", type=_HTML)
    if entry.published is not None:
        added.published(_utc(entry.published))
    added.updated(_utc(entry.updated))
    if entry.author:
        added.author(_person(entry.author))
    if entry.categories:
        added.category([_category(category) for category in entry.categories])
    if entry.summary:
        added.summary(entry.summary, type="text")
    if entry.content_html is not None:
        added.content(entry.content_html, type="html")
    if entry.enclosure is not None:
        added.enclosure(entry.enclosure.url, entry.enclosure.length or 0, entry.enclosure.type)
    if entry.rights:
        added.rights(entry.rights)
    return added


def _link(href: str, rel: str, **attributes: str) -> etree._Element:
    link = etree.Element(_ATOM_LINK, href=href, rel=rel)
    for name, value in attributes.items():
        link.set(name, value)
    return link


def _channel(root: etree._Element) -> etree._Element:
    channel = root.find("channel")
    if channel is None:
        raise RuntimeError("unexpected feed layout from feedgen")
    return channel


def _fix_rss_channel(channel: etree._Element, head: FeedHead) -> None:
    # feedgen: the channel <link> is the last link added, and <image><link> copies it.
    link = channel.find("link")
    if link is not None:
        link.text = head.alternate_url
    image_link = channel.find("image/link")
    if image_link is not None:
        image_link.text = head.alternate_url
    # feedgen: "sy:UpdatePeriod" and friends; the module's names start in lower case.
    for element in channel.iterfind(f"{{{SY_NS}}}*"):
        local = etree.QName(element).localname
        element.tag = f"{{{SY_NS}}}{local[0].lower()}{local[1:]}"
    if head.hub:
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        if self_link is not None:
            self_link.addnext(_link(head.hub, "hub"))
        else:
            channel.append(_link(head.hub, "hub"))


def _fix_atom_entry(element: etree._Element, entry: Entry, language: str | None) -> None:
    if entry.language and entry.language != language:
        element.set(f"{{{XML_NS}}}lang", entry.language)
    # feedgen drops rel/type/length of entry links: the entry's own links go last, with them.
    wanted = [(entry.link, {"rel": "alternate", "type": _HTML})]
    enclosure = entry.enclosure
    if enclosure is not None:
        attributes = {"rel": "enclosure", "type": enclosure.type}
        if enclosure.length:
            attributes["length"] = str(enclosure.length)
        if enclosure.title:
            attributes["title"] = enclosure.title
        wanted.append((enclosure.url, attributes))
    links = element.findall(_ATOM_LINK)
    if [link.attrib for link in links] == [{"href": href} for href, _ in wanted]:
        # feedgen's own link elements (an href each, in this order) are moved and completed:
        # the same bytes as new ones, without making and dropping two elements per entry.
        for link, (_, more) in zip(links, wanted, strict=True):
            for name, value in more.items():
                link.set(name, value)
            element.append(link)
        return
    for link in links:
        element.remove(link)
    for href, more in wanted:
        element.append(_link(href, **more))


def _fix_rss_item(element: etree._Element, entry: Entry) -> None:
    if entry.author:
        # The author's name as dc:creator (RSS's <author> wants an e-mail address), where feedgen's
        # Dublin Core extension would write it: last of feedgen's elements. Added here rather than
        # through the extension, so that one feedgen entry serves both formats (and the extension's
        # look-up of its fifteen elements on every item is spared).
        etree.SubElement(element, f"{{{DC_NS}}}creator").text = entry.author.name
    # RSS has no time of last change; atom:updated is the common extension readers know.
    updated = etree.Element(f"{{{ATOM_NS}}}updated")
    updated.text = _utc(entry.updated).isoformat()
    pub_date = element.find("pubDate")
    if pub_date is not None:
        pub_date.addnext(updated)
    else:
        element.append(updated)
