"""Feeds assembled from entries rendered once per build.

An article is in several feeds of a build (main, category, regions, author). Its entry is
built by feedgen and corrected once per format, and each feed is its head (built by feedgen
too) with a placeholder where the entries go, and the entries' bytes put in its place: the
same bytes as rendering the feed whole.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from lxml import etree

# A placeholder child: the serialised document up to and including it is the part before the entries.
_PLACEHOLDER = "syndication-placeholder"


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class SharedFragments:
    """Items' slots kept from build to build (in one process), by the item's content fingerprint.

    An item whose content changes has another fingerprint, so another slot: it is prepared afresh.
    At most ``capacity`` slots are kept; the least recently used go first.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._slots: OrderedDict[Hashable, dict[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def slot(self, fingerprint: Hashable) -> dict[Any, Any]:
        with self._lock:
            found = self._slots.get(fingerprint)
            if found is None:
                found = self._slots[fingerprint] = {}
                while len(self._slots) > self.capacity:
                    self._slots.popitem(last=False)
            else:
                self._slots.move_to_end(fingerprint)
            return found

    def __len__(self) -> int:
        return len(self._slots)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()


class FragmentCache:
    """One build's work per item (an article): its feed item and its rendered entries, by format
    and the entry-relevant metadata. An article is in several feeds of a build; it is prepared once.

    Keyed by the item object (kept alive here), not by its value: hashing a whole article
    (every section's HTML) for each look-up would cost more than some of the work it saves.
    With ``shared`` and ``fingerprint``, an item whose fingerprint is not None gets the slot kept
    in ``shared`` for that fingerprint: what an earlier build prepared for the same content.
    """

    def __init__(
        self,
        shared: SharedFragments | None = None,
        fingerprint: Callable[[Any], Hashable | None] | None = None,
    ) -> None:
        self._slots: dict[int, tuple[object, dict[Any, Any], dict[Any, Any]]] = {}
        self._shared = shared
        self._fingerprint = fingerprint

    def _found(self, item: object) -> tuple[object, dict[Any, Any], dict[Any, Any]]:
        found = self._slots.get(id(item))
        if found is None or found[0] is not item:
            key = self._fingerprint(item) if self._shared is not None and self._fingerprint is not None else None
            slot = self._shared.slot(key) if self._shared is not None and key is not None else {}
            found = (item, slot, {})
            self._slots[id(item)] = found
        return found

    def slot(self, item: object) -> dict[Any, Any]:
        return self._found(item)[1]

    def local(self, item: object) -> dict[Any, Any]:
        """This build's own work for ``item``, never kept for the next build: what is only needed
        while the build renders it in every format (feedgen's entry, say), and would only take room."""
        return self._found(item)[2]


def cut_out(
    root: etree._Element, parent: etree._Element, elements: list[etree._Element], close: bytes, opening: bytes
) -> list[bytes]:
    """Each of ``elements`` (the last children of ``parent``) exactly as it appears in ``root`` serialised.

    The namespaces are declared on the root and indentation follows the depth, so an entry's
    bytes do not depend on its siblings: a feed is its head, its entries' bytes and the close.
    Entries start on a line of their own with ``opening`` (text and attribute values cannot
    hold a raw ``<``); should the count not come out right, each entry is serialised alone.
    """
    for child in list(parent)[: len(parent) - len(elements)]:
        parent.remove(child)
    parent.insert(0, etree.Element(_PLACEHOLDER))
    whole = serialise(root)
    del parent[0]
    placeholder = whole.find(b"<" + _PLACEHOLDER.encode())
    start = whole.find(b"\n", placeholder) + 1
    if placeholder >= 0 and start > 0 and whole.endswith(close):
        body = whole[start : -len(close)]
        starts = [0]
        found = body.find(b"\n" + opening)
        while found >= 0:
            starts.append(found + 1)
            found = body.find(b"\n" + opening, found + 1)
        if len(starts) == len(elements) and body.startswith(opening):
            return [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]
    return _cut_out_one_by_one(root, parent, elements, close)


def _cut_out_one_by_one(
    root: etree._Element, parent: etree._Element, elements: list[etree._Element], close: bytes
) -> list[bytes]:
    for child in list(parent):
        parent.remove(child)
    etree.SubElement(parent, _PLACEHOLDER)
    before = serialise(root)
    if not before.endswith(close):
        raise RuntimeError("unexpected feed layout from feedgen")
    prefix = before[: -len(close)]
    pieces = []
    for element in elements:
        parent.append(element)
        data = serialise(root)
        parent.remove(element)
        if not (data.startswith(prefix) and data.endswith(close)):
            raise RuntimeError("unexpected feed layout from feedgen")
        pieces.append(data[len(prefix) : -len(close)])
    return pieces


def mark_entries(parent: etree._Element) -> None:
    """Mark where the entries go: after ``parent``'s children so far (before any added later)."""
    etree.SubElement(parent, _PLACEHOLDER)


def splice(document: bytes, entries: list[bytes]) -> bytes:
    """``document`` (serialised with :func:`mark_entries`) with ``entries`` in the marked line's place."""
    marker = document.find(b"<" + _PLACEHOLDER.encode() + b"/>")
    start = document.rfind(b"\n", 0, marker) + 1
    end = document.find(b"\n", marker) + 1
    if marker < 0 or end == 0 or document[start:marker].strip():
        raise RuntimeError("unexpected feed layout from feedgen")
    # One join: the document (a fifth of a megabyte with 50 full-text entries) is copied once, not three times.
    return b"".join([document[:start], *entries, document[end:]])
