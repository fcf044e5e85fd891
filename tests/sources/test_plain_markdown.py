"""The plain-Markdown fast path writes what Python-Markdown writes, or steps aside."""

from __future__ import annotations

import random
from pathlib import Path

import frontmatter
import markdown
import pytest

from syndication.sources.folder import MARKDOWN_EXTENSIONS, _markdown
from syndication.sources.plain_markdown import convert_plain

CONTENT = Path(__file__).resolve().parents[2] / "content"

PLAIN = """Kurzfassung: In Mainz gibt es Neuigkeiten & mehr (Stand 3).
Zweite Zeile mit „Anführungszeichen“ und "geraden" Zeichen!

## Chancen & Risiken

- Chance: [Bericht](https://www.quelle.example/a_b?x=1#c) mit Link.
- [Quelle am Anfang](/relativ/pfad)


## Ausblick

Eine Entscheidung wird 2026 erwartet."""

# Each one asks for something only Python-Markdown does; the fast path must not guess.
TRICKY = [
    "Text *betont* und **fett**",
    "snake_case_name",
    "Code `x`",
    "A <b>tag</b>",
    "Escaped \\* star",
    "&amp; and &#39; entities",
    "![Bild](https://x.example/i.png)",
    "[Referenz][id]\n\n[id]: https://x.example/",
    "[kurze Referenz]",
    '[Titel](https://x.example/ "mit Titel")',
    "[spitz](<https://x.example/>)",
    "Zeile mit harter Umbruch  \nweiter",
    "Absatz\n- kein Listenpunkt",
    "- eins\n\n- zwei",
    "- eins\n  fortgesetzt",
    "- eins\nfaul fortgesetzt",
    "* Stern\n* Liste",
    "1. geordnet\n2. Liste",
    "2024. Ein Jahr am Zeilenanfang",
    "Titel\n=====",
    "Titel\n-----",
    "> Zitat",
    "    eingerückter Code",
    "```\nfenced\n```",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "Begriff\n: Definition",
    "## Überschrift {: #anker }",
    "## Überschrift ##",
    "#Hashtag",
    "Fußnote[^1]\n\n[^1]: Text",
    "*[HTML]: Hyper Text",
    "Absatz\n## Überschrift ohne Leerzeile",
    "<div>Block</div>",
    "Text\twith tab",
    "///Footnotes Go Here///",
    "Auto <https://x.example/>",
]


@pytest.fixture(scope="module")
def reference() -> markdown.Markdown:
    return markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS))


def _convert(reference: markdown.Markdown, source: str) -> str:
    return reference.reset().convert(source)


def test_plain_article_gives_python_markdowns_html(reference: markdown.Markdown) -> None:
    """Headings, paragraphs, a tight list, links and ampersands: byte for byte Python-Markdown's HTML."""
    assert _convert(reference, PLAIN) == convert_plain(PLAIN)


def test_sample_articles_give_python_markdowns_html(reference: markdown.Markdown) -> None:
    """Every bundled article converts to the same HTML as before, by whichever path takes it."""
    bodies = [frontmatter.loads(path.read_text(encoding="utf-8")).content for path in sorted(CONTENT.rglob("*.md"))]
    assert bodies
    assert [_convert(reference, body) for body in bodies] == [_markdown(body) for body in bodies]
    taken = [body for body in bodies if convert_plain(body) is not None]
    assert [_convert(reference, body) for body in taken] == [convert_plain(body) for body in taken]


@pytest.mark.parametrize("source", TRICKY)
def test_tricky_input_is_left_to_python_markdown(source: str, reference: markdown.Markdown) -> None:
    """Markup beyond plain paragraphs, headings, tight lists and links is not taken by the fast path."""
    assert (None, _convert(reference, source)) == (convert_plain(source), _markdown(source))


def test_generated_documents_give_python_markdowns_html_when_taken(reference: markdown.Markdown) -> None:
    """Thousands of generated documents mixing plain text with markup: whatever the fast path takes is exact."""
    randomness = random.Random(19)
    pieces = ["Text", "Haus", " ", ".", "Zahl 3", "&", "(x)", "!", "„q“", '"', "Ä", "[L](https://x.example/a_b)",
              "[a & b](/pfad)", "*", "_", "`", "<b>", ">", "\\", "#", ":", "|", "[L]", "](", "&amp;", "{: .c}", "~"]

    def line() -> str:
        return "".join(randomness.choice(pieces[:12] if randomness.random() < 0.9 else pieces)
                       for _ in range(randomness.randint(1, 8)))

    def block() -> str:
        kind = randomness.random()
        if kind < 0.2:
            return randomness.choice(["#", "##", "###", "#######"]) + randomness.choice([" ", "", "  "]) + line()
        if kind < 0.45:
            markers = ["- ", "- ", "* ", "-  ", "  - ", "1. "]
            return "\n".join(randomness.choice(markers) + line() for _ in range(randomness.randint(1, 4)))
        return "\n".join(line() for _ in range(randomness.randint(1, 3)))

    taken = []
    for _ in range(8000):
        gaps = ["\n\n", "\n\n\n", "\n", "\n \n"]
        source = randomness.choice(gaps).join(block() for _ in range(randomness.randint(1, 5)))
        fast = convert_plain(source)
        if fast is not None:
            taken.append((source, fast))
    assert len(taken) > 400
    assert [(source, _convert(reference, source)) for source, _ in taken] == taken
