"""A fast path for plain Markdown: the HTML Python-Markdown (``extra``, ``sane_lists``) gives, or None.

Most articles are headings, paragraphs, flat bullet lists and inline links. For a document made
only of those, written plainly, :func:`convert_plain` writes what Python-Markdown writes, about
twenty times faster. Anything else returns None and the caller converts with Python-Markdown:
emphasis, code, HTML, images, tables, footnotes, attribute lists, definition lists, quotes,
ordered or nested lists, list items apart, indented or hard-broken lines, escapes, entities, link
titles or reference links. Its test compares both on the sample articles and on generated
documents full of the characters that change meaning.

Accepted, per block (blocks are separated by blank lines):

* ``#`` to ``######``, a space and the heading's text: a heading, alone in its block;
* lines that each start ``- `` and a text: a tight bullet list (another list right after it,
  even after blank lines, would make both one loose list: not accepted);
* any other lines: a paragraph, unless a line starts with a character that opens a block.

Text may hold ``[text](url)`` links with a plain absolute or relative URL; a bare ``&`` is
written ``&amp;``.
"""

from __future__ import annotations

import re

# A line that opens something other than a paragraph line, in any block: headings, lists, quotes,
# code, tables, definitions, rules, setext underlines, references, HTML, or digits of an ordered list.
_BLOCK_START = re.compile(r"[#\-*+>|:=~`<\[\s]|\d+[.)]")
_HEADING = re.compile(r"(#{1,6}) ([^\s#](?:.*[^\s#])?)")
_ITEM = re.compile(r"- (\S.*)")
# Characters that mean something inline (or to Python-Markdown's own placeholders) outside a link.
_SPECIAL = re.compile(r"[\\`*_<>{}\[\]\x02\x03|^~]|!\[|&#|&\w+;|///Footnotes")
_LINK = re.compile(r"\[([^\[\]()]+)\]\(([A-Za-z0-9:/?#@$%+,;=._~-]+)\)")
_SPACE_RUN_AT_END = re.compile(r"[ \t]$", re.MULTILINE)


def _inline(text: str) -> str | None:
    """``text`` with its links as HTML, or None when it holds anything else that is not plain."""
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        before, label = text[position : match.start()], match.group(1)
        if _SPECIAL.search(before) or before.endswith("!") or _SPECIAL.search(label) or label != label.strip():
            return None
        parts.append(before.replace("&", "&amp;"))
        parts.append(f'<a href="{match.group(2)}">{label.replace("&", "&amp;")}</a>')
        position = match.end()
    rest = text[position:]
    if _SPECIAL.search(rest):
        return None
    parts.append(rest.replace("&", "&amp;"))
    return "".join(parts)


def _block_start(line: str) -> bool:
    # A line may start with a link (a reference definition would read "[…]: url").
    return _BLOCK_START.match(line) is not None and _LINK.match(line) is None


def convert_plain(source: str) -> str | None:
    """The HTML Python-Markdown would write for ``source``, when it is plain enough; otherwise None."""
    if "\t" in source or "\r" in source or "\x02" in source or "\x03" in source or "\f" in source:
        return None
    if _SPACE_RUN_AT_END.search(source):
        return None  # trailing spaces: hard line breaks, or lines of spaces only
    out: list[str] = []
    previous_was_list = False
    for block in source.strip("\n").split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        lines = block.split("\n")
        first = lines[0]
        if first.startswith("#"):
            heading = _HEADING.fullmatch(first)
            if heading is None or len(lines) > 1:
                return None
            text = _inline(heading.group(2))
            if text is None:
                return None
            level = len(heading.group(1))
            out.append(f"<h{level}>{text}</h{level}>")
            previous_was_list = False
        elif first.startswith("- "):
            if previous_was_list:
                return None
            items = []
            for line in lines:
                item = _ITEM.fullmatch(line)
                if item is None or _block_start(item.group(1)):
                    return None
                text = _inline(item.group(1))
                if text is None:
                    return None
                items.append(f"<li>{text}</li>")
            out.append("<ul>\n" + "\n".join(items) + "\n</ul>")
            previous_was_list = True
        else:
            if any(_block_start(line) for line in lines):
                return None
            text = _inline(block)
            if text is None:
                return None
            out.append(f"<p>{text}</p>")
            previous_was_list = False
    return "\n".join(out)
