"""Generated article bodies for the anatomy's golden file: the newsroom's shapes and the odd markup
around them (furniture, labels, wrappers, loose text, entities, Unicode spaces, broken tags).

``random_body(rng)`` builds one; ``make_golden.py`` stores a seeded batch with what ``parse_body``
made of them, so that a faster anatomy must make exactly the same.
"""

from __future__ import annotations

import random

HEADINGS = (
    "Worum es geht", "worum ES geht:", "Wichtigste Fakten", "Key facts", "Politischer Hintergrund", "Hintergrund",
    "Bedeutung für Rheinland-Pfalz und Kaiserslautern", "Bedeutung für die Westpfalz", "Bedeutung für",
    "What it means for Mainz, Landau and the Pfalz", "Chancen & Risiken", "Chancen und Risiken", "Ausblick",
    "Outlook", "Quellen", "Sources", "Weitere Themen", "Fragen &amp; Antworten", "Schreibe einen Kommentar",
    "Leave a Reply", "Mehr zum Thema", "  Ausblick  ", "Aus\u00a0blick", "AUSBLICK 2027",
)  # fmt: skip
WORDS = (
    "Mainz", "Kaiserslautern", "Stadtrat", "„konstruktiv“", "Förderung", "Straße", "ß", "Risiko:", "Chance:",
    "KI generiertes Foto", "KI-generiertes Bild", "AI-generated image", "&amp;", "&lt;", "&nbsp;", "&quot;",
    "\u00a0", "\u2003", "\u202f", "\t", "\n", "  ", "x < y", "a > b", "Tom & Jerry", "—", "‚einfach‘", "»so«",
    "Risk:", "Opportunity:", "Chance: Bau", "'", '"',
)  # fmt: skip
LABELS = ("KI generiertes Foto", "(KI-generiertes Bild)", "ai-generated IMAGE", "KI-generiertes Foto:")
HREFS = (
    "https://www.quelle.example/a", "/intern/b", "c?d=1&e=2", "#anker", "javascript:alert(1)", "",
    "mailto:redaktion@example.org", "  /mit-leerzeichen  ", "data:text/html,x", "//cdn.example/x",
)  # fmt: skip


def _words(rng: random.Random, low: int = 1, high: int = 6) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _inline(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.45 or depth > 1:
            parts.append(_words(rng))
        elif kind < 0.6:
            parts.append(f'<a href="{rng.choice(HREFS)}">{_inline(rng, depth + 1)}</a>')
        elif kind < 0.7:
            tag = rng.choice(("em", "strong", "b", "i", "span", "code", "q", "small", "cite", "abbr"))
            parts.append(f"<{tag}>{_inline(rng, depth + 1)}</{tag}>")
        elif kind < 0.75:
            parts.append("<br>")
        elif kind < 0.8:
            parts.append(f'<img src="{rng.choice(HREFS)}" alt="{_words(rng, 1, 2)}" onerror="x()">')
        elif kind < 0.85:
            parts.append(f"<!-- {_words(rng, 1, 2)} -->")
        elif kind < 0.9:
            parts.append(rng.choice(LABELS))
        else:
            parts.append(f"<{rng.choice(('span', 'em', 'b'))}>{_words(rng)}")  # left open
    return rng.choice(("", " ", "\n  ")).join(parts)


def _item(rng: random.Random) -> str:
    prefix = rng.choice(("", "", "Chance: ", "Risiko:", "  chance:  ", "RISK: ", "Opportunity: ", "Risiko: <b>"))
    inner = prefix + _inline(rng)
    if rng.random() < 0.2:
        inner = f"\n  <p>{inner}</p>\n"
    if rng.random() < 0.1:
        inner += f"<ul><li>{_inline(rng)}</li></ul>"
    return f"<li>{inner}</li>" if rng.random() < 0.9 else f"<li>{inner}"


def _block(rng: random.Random, author: str | None, depth: int = 0) -> str:
    kind = rng.random()
    if kind < 0.22:
        level = rng.choice((1, 2, 2, 2, 3, 3, 4))
        return f"<h{level}>{rng.choice(HEADINGS) if rng.random() < 0.85 else _inline(rng)}</h{level}>"
    if kind < 0.45:
        return f"<p>{_inline(rng)}</p>"
    if kind < 0.58:
        tag = rng.choice(("ul", "ul", "ol"))
        space = rng.choice(("", "\n", "\n  "))
        return f"<{tag}>{space}" + space.join(_item(rng) for _ in range(rng.randint(1, 4))) + f"{space}</{tag}>"
    if kind < 0.62:
        return f'<blockquote class="author-quote"><p>„{_words(rng)}“</p><cite>{author or "X"}</cite></blockquote>'
    if kind < 0.65:
        cite = author if rng.random() < 0.6 else "Jemand Anderes"
        return (
            '<figure class="wp-block-pullquote"><blockquote><p>'
            f"{_inline(rng)}</p><cite>— {cite}</cite></blockquote></figure>"
        )
    if kind < 0.67:
        return f'<blockquote class="wp-block-quote"><p>{_words(rng)}</p><cite>{author or ""}</cite></blockquote>'
    if kind < 0.70:
        inner = rng.choice((f"<blockquote>{_words(rng)}</blockquote>", f"<p>„{_words(rng)}“</p>", _inline(rng)))
        return f'<div class="{rng.choice(("author-box", "autor-box x"))}"><p>Über {author}</p>{inner}</div>'
    if kind < 0.73:
        label = rng.choice((*LABELS, "Foto: dpa"))
        caption = rng.choice((label, f"{_words(rng)} {label}", _words(rng)))
        return (
            f'<figure class="wp-block-image"><img src="{rng.choice(HREFS)}" alt="{_words(rng, 1, 2)}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    if kind < 0.76:
        return f"<p><small>{rng.choice(LABELS)}</small></p>" if rng.random() < 0.5 else f"<p>{rng.choice(LABELS)}</p>"
    if kind < 0.78:
        return rng.choice(
            ('<div id="comments"><p>Kommentare</p></div>', '<form action="/k"><input name="x"></form>',
             '<div class="comment-respond"><h3>Antworten</h3></div>', '<section id="respond">x</section>')
        )  # fmt: skip
    if kind < 0.81:
        return rng.choice(
            ("<script>var s = '<p>nicht</p>';</script>", "<style>p { color: red }</style>",
             "<template><p>t</p></template>", "<?php echo 1; ?>", "<!-- Kommentar -->")
        )  # fmt: skip
    if kind < 0.86 and depth < 2:
        tag = rng.choice(("div", "section", "article", "span", "main", "aside"))
        inner = "".join(_block(rng, author, depth + 1) for _ in range(rng.randint(1, 4)))
        return f"<{tag}>{_words(rng) if rng.random() < 0.3 else ''}{inner}</{tag}>"
    if kind < 0.89:
        return _words(rng)  # loose text
    if kind < 0.91:
        return "<table><tr><td>1</td><td>zwei &amp; drei</td></tr></table>"
    if kind < 0.93:
        return "<hr>" if rng.random() < 0.5 else "</p></div>"
    if kind < 0.95:
        return f'<p class="x" style="color:red" onclick="y()" title="a &quot;b&quot; > c">{_inline(rng)}</p>'
    return rng.choice(("\n", "\n\n  ", " ", "\u00a0"))


def random_body(rng: random.Random, author: str | None) -> str:
    """One article body: blocks in the newsroom's shapes and odd ones, sometimes in a page around them."""
    body = rng.choice(("", "\n")).join(_block(rng, author) for _ in range(rng.randint(0, 14)))
    if rng.random() < 0.1:
        body = f"<html><head><title>t</title></head><body class='x'>{body}</body></html>"
    return body
