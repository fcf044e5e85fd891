"""A fast path for plain front matter: the values YAML's safe loader gives, or None.

Front matter is mostly ``key: value`` lines, mappings nested by two spaces and ``[a, b]`` lists.
For a document made only of those, written plainly, :func:`load_plain` returns what
``yaml.load(front, Loader=yaml.CSafeLoader)`` returns, about ten times faster: each scalar is
typed by YAML's own resolver and built by its own constructor (strings, numbers, booleans,
nulls, dates). Anything else returns None and the caller loads with YAML: quotes, comments,
block lists, anchors, tags, multi-line or flow values but simple lists, tabs, unusual characters,
repeated keys, odd indentation. Its test compares both on the sample articles and on generated
front matter full of the characters that change meaning.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

# Characters outside these send the document to YAML: controls, tabs, YAML's other line breaks
# (U+0085, U+2028, U+2029), surrogates, the BOM, non-characters, astral planes.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_LINE = re.compile(r"( *)([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?")
# A plain scalar's first character may not be an indicator, a space or a digit's sign or dot.
_PLAIN_START = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`~=+.<]")
# Inside a plain value: no comment, no mapping indicator, no trailing colon.
_NOT_PLAIN = re.compile(r" #|: |:$")
# Inside a flow list's item, also none of the flow indicators.
_NOT_FLOW_ITEM = re.compile(r"[\[\]{}#:,]")
# YAML's implicit typing of plain scalars, as Resolver.resolve does it: the patterns for the first
# character, then those for any (none by default); no match is a string.
_IMPLICIT = {
    first: tuple(patterns + Resolver.yaml_implicit_resolvers.get(None, []))
    for first, patterns in Resolver.yaml_implicit_resolvers.items()
    if first is not None
}
_ANY = tuple(Resolver.yaml_implicit_resolvers.get(None, []))
_CONSTRUCTOR = SafeConstructor()
_BUILD = {
    "tag:yaml.org,2002:null": lambda _node: None,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
}


class _NotPlain(Exception):
    """Raised inside the fast path: the document goes to YAML."""


def _scalar(text: str) -> Any:
    """A plain scalar's value, typed as YAML types it (``text`` is never empty)."""
    for tag, pattern in _IMPLICIT.get(text[0], _ANY):
        if pattern.match(text):
            build = _BUILD.get(tag)
            if build is None:
                raise _NotPlain
            return build(yaml.ScalarNode(tag, text))
    return text


def _value(text: str) -> Any:
    if text.startswith("["):
        if not text.endswith("]"):
            raise _NotPlain
        inner = text[1:-1]
        if not inner.strip(" "):
            return []
        items = [item.strip(" ") for item in inner.split(",")]
        if any(not item or not _PLAIN_START.match(item) or _NOT_FLOW_ITEM.search(item) for item in items):
            raise _NotPlain
        return [_scalar(item) for item in items]
    if not _PLAIN_START.match(text) or _NOT_PLAIN.search(text):
        raise _NotPlain
    return _scalar(text)


def _mapping(lines: list[tuple[int, str, str | None]], start: int, indent: int) -> tuple[dict[str, Any], int]:
    """The mapping whose keys stand at ``indent`` from line ``start`` on, and the line after it."""
    mapping: dict[str, Any] = {}
    position = start
    while position < len(lines):
        depth, key, rest = lines[position]
        if depth < indent:
            break
        if depth > indent or key in mapping or (key[0] in _IMPLICIT and _scalar(key) != key):
            raise _NotPlain
        position += 1
        if rest is not None:
            mapping[key] = _value(rest)
        elif position < len(lines) and lines[position][0] > indent:
            if lines[position][0] != indent + 2:
                raise _NotPlain
            mapping[key], position = _mapping(lines, position, indent + 2)
        else:
            mapping[key] = None
    return mapping, position


def load_plain(front: str) -> dict[str, Any] | None:
    """What YAML's safe loader makes of ``front``, when it is plain enough; otherwise None."""
    if _UNUSUAL.search(front):
        return None
    lines: list[tuple[int, str, str | None]] = []
    for line in front.split("\n"):
        if not line.strip(" "):  # only spaces are YAML's (and tabs, sent away above)
            continue
        match = _LINE.fullmatch(line.rstrip(" "))
        if match is None:
            return None
        indent, key, rest = match.groups()
        lines.append((len(indent), key, rest))
    if not lines:
        return None
    try:
        mapping, end = _mapping(lines, 0, 0)
    except _NotPlain:
        return None
    return mapping if end == len(lines) else None
