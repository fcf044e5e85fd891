"""Entries cut out of a serialised feed are exactly the bytes they have inside the whole feed."""

from __future__ import annotations

from lxml import etree

from syndication.feedwriter.fragments import cut_out, serialise

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"


def _feed() -> tuple[etree._Element, list[etree._Element]]:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "media": MEDIA})
    etree.SubElement(root, f"{{{ATOM}}}title").text = "Titel"
    entries = []
    for number in range(3):
        entry = etree.SubElement(root, f"{{{ATOM}}}entry")
        content = etree.SubElement(entry, f"{{{ATOM}}}content", type="html")
        content.text = f"<p>Zeile {number}\n  <entry> bleibt Text</p>"
        etree.SubElement(entry, f"{{{MEDIA}}}content", url=f"https://example.org/{number}.jpg")
        entries.append(entry)
    return root, entries


def test_entries_cut_out_are_the_bytes_of_the_whole_feed() -> None:
    """Head + cut-out entries + close is the whole document, namespaces and indentation included."""
    root, entries = _feed()
    whole = serialise(root)
    pieces = cut_out(root, root, entries, b"</feed>\n", b"  <entry")
    head = whole[: whole.index(b"  <entry")]
    assert whole == head + b"".join(pieces) + b"</feed>\n"


def test_one_by_one_fallback_gives_the_same_bytes() -> None:
    """When the entries cannot be told apart by their opening, each is serialised alone: same bytes."""
    root, entries = _feed()
    expected = cut_out(root, root, entries, b"</feed>\n", b"  <entry")
    root, entries = _feed()
    assert expected == cut_out(root, root, entries, b"</feed>\n", b"  <no-such-element")
