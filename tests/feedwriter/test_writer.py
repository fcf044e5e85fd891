"""The one feed writer: a feed says what it is through hooks; the writer writes RSS and Atom the same way for all."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
import pytest
from lxml import etree

from syndication.feedwriter import writer as writer_module
from syndication.feedwriter.formats import ATOM_NS, EPOCH, FeedFormat
from syndication.feedwriter.fragments import FragmentCache
from syndication.feedwriter.writer import Category, Enclosure, Entry, FeedHead, FeedWriter, Person

EXTRA_NS = "https://example.org/extra"


@dataclass(frozen=True)
class Note:
    number: int


class Notes(FeedWriter[Note]):
    """A small feed of notes using every hook."""

    def __init__(self, updated: datetime | None = None, generator: str | None = "syndication") -> None:
        self.updated = updated
        self.generator = generator
        self.built: list[int] = []

    def head(self, feed_format: FeedFormat) -> FeedHead:
        return FeedHead(
            id="tag:example.org,2026:notes",
            title="Notes",
            self_url=f"https://example.org/notes.{feed_format.extension}",
            alternate_url="https://example.org/",
            updated=self.updated,
            language="de",
            author=Person("Redaktion", "https://example.org/team"),
            rights="© Example",
            generator=self.generator,
            hub="https://hub.example/",
            ttl_minutes=30,
        )

    def entry(self, item: Note) -> Entry:
        self.built.append(item.number)
        moment = datetime(2026, 11, 20 + item.number, 6, tzinfo=UTC)
        return Entry(
            id=f"tag:example.org,2026:note:{item.number}",
            title=f"Note {item.number}",
            link=f"https://example.org/notes/{item.number}",
            updated=moment,
            published=moment,
            author=Person("Jana"),
            categories=(Category("Wirtschaft", "Wirtschaft", "https://example.org/c/"),),
            summary="Kurz",
            content_html="<p>Lang</p>",
            enclosure=Enclosure(f"https://example.org/{item.number}.jpg", "image/jpeg", 1234, "Bild"),
            rights="Nur mit Nennung",
            language="en" if item.number == 2 else None,
        )

    def entry_key(self, feed_format: FeedFormat) -> Hashable:
        return "notes"

    def namespaces(self, feed_format: FeedFormat) -> Mapping[str, str]:
        return {"x": EXTRA_NS}

    def add_root_elements(self, parent: etree._Element, feed_format: FeedFormat) -> None:
        etree.SubElement(parent, f"{{{EXTRA_NS}}}head-note")

    def add_item_elements(self, element: etree._Element, item: Note, feed_format: FeedFormat) -> None:
        etree.SubElement(element, f"{{{EXTRA_NS}}}number").text = str(item.number)

    def add_trailing_elements(self, parent: etree._Element, feed_format: FeedFormat) -> None:
        etree.SubElement(parent, f"{{{EXTRA_NS}}}tail-note")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def test_atom_entries_keep_their_links_and_the_hooks_place_their_elements() -> None:
    """Entry links keep rel/type/length/title (feedgen drops them); hook elements go before, in and after entries."""
    data = Notes().write(FeedFormat.ATOM, [Note(1), Note(2)])
    root = etree.fromstring(data)
    children = [_local(child) for child in root]
    entry = root.find(f"{{{ATOM_NS}}}entry")
    assert entry is not None
    links = [dict(link.attrib) for link in entry.iterfind(f"{{{ATOM_NS}}}link")]
    assert [
        {"href": "https://example.org/notes/1", "rel": "alternate", "type": "text/html"},
        {"href": "https://example.org/1.jpg", "rel": "enclosure", "type": "image/jpeg", "length": "1234",
         "title": "Bild"},
    ] == links
    assert (["head-note", "entry", "entry", "tail-note"], EXTRA_NS) == (
        children[children.index("head-note"):], root.nsmap["x"]
    )
    assert ["1", "2"] == [number.text for number in root.iter(f"{{{EXTRA_NS}}}number")]
    assert "html" == entry.find(f"{{{ATOM_NS}}}content").get("type")  # type: ignore[union-attr]


def test_atom_entry_links_are_the_same_whatever_links_feedgen_wrote() -> None:
    """feedgen's bare links are completed in place; other links (a later feedgen's) replaced: the same bytes."""
    entry = Notes().entry(Note(1))
    written = []
    for extra in ({}, {"rel": "alternate"}):
        element = etree.Element(f"{{{ATOM_NS}}}entry")
        etree.SubElement(element, f"{{{ATOM_NS}}}link", href=entry.link, **extra)
        etree.SubElement(element, f"{{{ATOM_NS}}}summary").text = "Kurz"
        etree.SubElement(element, f"{{{ATOM_NS}}}link", href="https://example.org/1.jpg", **extra)
        writer_module._fix_atom_entry(element, entry, "de")
        written.append(etree.tostring(element))
    assert written[0] == written[1]
    assert [b"summary", b"link", b"link"] == [
        etree.QName(child).localname.encode() for child in etree.fromstring(written[0])
    ]


def test_atom_feed_time_hub_language_and_generator() -> None:
    """The feed's time is the newest entry's; the hub follows the feed links; xml:lang only where it differs."""
    root = etree.fromstring(Notes().write(FeedFormat.ATOM, [Note(1), Note(2)]))
    links = [link.get("rel") for link in root.iterfind(f"{{{ATOM_NS}}}link")]
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    langs = [entry.get("{http://www.w3.org/XML/1998/namespace}lang") for entry in entries]
    assert ("2026-11-22T06:00:00+00:00", ["alternate", "self", "hub"], [None, "en"], "syndication") == (
        root.findtext(f"{{{ATOM_NS}}}updated"), links, langs, root.findtext(f"{{{ATOM_NS}}}generator")
    )


def test_no_generator_is_written_when_the_head_names_none() -> None:
    """feedgen names itself unless told otherwise; a head without generator gets none, in Atom and RSS."""
    atom = Notes(generator=None).write(FeedFormat.ATOM, [Note(1)])
    rss = Notes(generator=None).write(FeedFormat.RSS, [Note(1)])
    assert (b"generator" in atom, b"generator" in rss, b"feedgen" in atom + rss) == (False, False, False)


def test_rss_channel_link_sy_names_and_item_times() -> None:
    """The channel link is the web page, the sy: names are lower camel case, each item has atom:updated."""
    root = etree.fromstring(Notes().write(FeedFormat.RSS, [Note(1)]))
    channel = root.find("channel")
    assert channel is not None
    sy_names = [_local(element) for element in channel.iterfind("{http://purl.org/rss/1.0/modules/syndication/}*")]
    item = channel.find("item")
    assert item is not None
    assert ("https://example.org/", ["updatePeriod", "updateFrequency"], "2026-11-21T06:00:00+00:00", "1") == (
        channel.findtext("link"), sy_names, item.findtext(f"{{{ATOM_NS}}}updated"),
        item.findtext(f"{{{EXTRA_NS}}}number"),
    )
    assert not feedparser.parse(Notes().write(FeedFormat.RSS, [Note(1)])).bozo


def test_an_empty_feed_is_dated_by_the_epoch_unless_its_head_says_otherwise() -> None:
    """No entry, no build time: 1970-01-01, or the head's own time."""
    empty = etree.fromstring(Notes().write(FeedFormat.ATOM, []))
    fixed = etree.fromstring(Notes(updated=datetime(2026, 1, 1, tzinfo=UTC)).write(FeedFormat.ATOM, []))
    assert (EPOCH.isoformat(), "2026-01-01T00:00:00+00:00") == (
        empty.findtext(f"{{{ATOM_NS}}}updated"), fixed.findtext(f"{{{ATOM_NS}}}updated")
    )


def test_cached_entries_are_built_once_and_give_the_same_bytes() -> None:
    """With a fragment cache, an item in two feeds is built once; the bytes equal an uncached write."""
    notes = [Note(1), Note(2)]
    cache = FragmentCache()
    writer = Notes(updated=datetime(2026, 11, 22, tzinfo=UTC))
    first = writer.write(FeedFormat.ATOM, notes, cache=cache)
    built_once = list(writer.built)
    second = writer.write(FeedFormat.ATOM, notes[1:], cache=cache)
    alone = Notes(updated=datetime(2026, 11, 22, tzinfo=UTC)).write(FeedFormat.ATOM, notes[1:])
    assert ([1, 2], [1, 2], True, alone) == (built_once, writer.built, first != second, second)


def test_an_items_entry_is_made_once_for_rss_and_atom_and_gives_the_same_bytes() -> None:
    """With a fragment cache, RSS and Atom share each item's entry (and feedgen's); the bytes are unchanged."""
    notes = [Note(1), Note(2)]
    cache = FragmentCache()
    writer = Notes(updated=datetime(2026, 11, 22, tzinfo=UTC))
    formats = (FeedFormat.RSS, FeedFormat.ATOM)
    shared = [writer.write(feed_format, notes, cache=cache) for feed_format in formats]
    alone = [Notes(updated=datetime(2026, 11, 22, tzinfo=UTC)).write(f, notes) for f in formats]
    assert ([1, 2], alone) == (writer.built, shared)


def test_json_feed_is_not_the_writers_business() -> None:
    """Asking the writer for JSON Feed is a clear error, not a wrong document."""
    with pytest.raises(ValueError, match="JSON Feed"):
        Notes().write(FeedFormat.JSON, [Note(1)])


def test_rss_from_feedgens_tree_is_what_its_text_parsed_again_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """RSS taken straight from feedgen's tree has the bytes of the tree parsed back from feedgen's text."""
    notes = [Note(1), Note(2), Note(3)]
    direct = Notes().write(FeedFormat.RSS, notes)
    monkeypatch.setattr(writer_module, "_PARSED_FROM", -1)
    assert direct == Notes().write(FeedFormat.RSS, notes)


def test_atom_from_feedgens_tree_is_what_its_text_parsed_again_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Atom taken from feedgen's tree (its elements put in the Atom namespace) has the bytes of its text parsed."""
    notes = [Note(1), Note(2), Note(3)]
    direct = Notes().write(FeedFormat.ATOM, notes)
    monkeypatch.setattr(writer_module, "_PARSED_FROM", -1)
    assert direct == Notes().write(FeedFormat.ATOM, notes)
