"""Article anatomy: headings → roles, list items, regions, author quote, AI label, hygiene."""

from __future__ import annotations

from pathlib import Path

import frontmatter

from syndication.anatomy import parse_body, regions_from_heading, strip_quote_marks
from syndication.config import AnatomyConfig
from syndication.model import ItemKind, ListItem, SectionRole, SourceLink

CONTENT = Path(__file__).resolve().parents[2] / "content"
REFERENCE_SHAPED = CONTENT / "2026" / "11" / "gespraeche-wohnraum-us-streitkraefte.html"
BASE = "https://www.pfalz-rundschau.example/2026/11/17/artikel/"
ANATOMY = AnatomyConfig()


def _reference_body() -> str:
    return frontmatter.loads(REFERENCE_SHAPED.read_text(encoding="utf-8")).content


def test_reference_shaped_sample_has_every_role_in_page_order() -> None:
    """The sample shaped like the reference article yields all seven roles in page order."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    expected = [
        SectionRole.SUMMARY,
        SectionRole.KEY_FACTS,
        SectionRole.BACKGROUND,
        SectionRole.REGIONAL_RELEVANCE,
        SectionRole.CHANCES_RISKS,
        SectionRole.OUTLOOK,
        SectionRole.SOURCES,
    ]
    assert expected == [section.role for section in parsed.sections]


def test_reference_shaped_sample_key_facts_are_three_items() -> None:
    """„Wichtigste Fakten“ becomes three list items with German typography intact."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    facts = next(s for s in parsed.sections if s.role == SectionRole.KEY_FACTS)
    assert [
        "Treffen von Land, Kommunen und US-Streitkräften im Innenministerium in Mainz",
        "Eine gemeinsame Arbeitsgruppe soll bis zum Frühjahr Bauflächen benennen",
        "Alle Seiten bezeichnen das Treffen als „konstruktiv“",
    ] == [item.text for item in facts.items]


def test_reference_shaped_sample_has_one_chance_and_one_risk_without_prefixes() -> None:
    """Chancen & Risiken: one chance and one risk, the „Chance:“/„Risiko:“ prefix stripped."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    section = next(s for s in parsed.sections if s.role == SectionRole.CHANCES_RISKS)
    assert [
        (ItemKind.CHANCE, "Ein gemeinsames Bauprogramm könnte den Wohnungsmarkt für alle Mieter entlasten."),
        (ItemKind.RISK, "Absichtserklärungen ersetzen keine verbindlichen Zusagen zur Finanzierung."),
    ] == [(item.kind, item.text) for item in section.items]


def test_reference_shaped_sample_regions_come_from_the_heading() -> None:
    """„Bedeutung für Rheinland-Pfalz und Kaiserslautern“ names two regions."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    section = next(s for s in parsed.sections if s.role == SectionRole.REGIONAL_RELEVANCE)
    assert (("Rheinland-Pfalz", "Kaiserslautern"), ("Rheinland-Pfalz", "Kaiserslautern")) == (
        section.regions,
        parsed.regions,
    )


def test_reference_shaped_sample_sources_are_absolute_links() -> None:
    """The sources section's links become title + absolute URL, relative ones resolved."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    assert (
        SourceLink(
            "Kaiserslautern housing talks called constructive",
            "https://www.stripes.example/news/kaiserslautern-housing-talks",
        ),
        SourceLink(
            "Mieten in der Westpfalz steigen weiter",
            "https://www.pfalz-rundschau.example/2026/11/05/mieten-westpfalz-steigen/",
        ),
        SourceLink(
            "Mieterbund warnt vor Engpass in der Westpfalz", "https://www.mieterbund-rlp.example/presse/westpfalz"
        ),
    ) == parsed.sources


def test_reference_shaped_sample_author_quote_repeats_the_outlook() -> None:
    """The author box's quote is read without its quote marks; here it repeats the outlook."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    outlook = next(s for s in parsed.sections if s.role == SectionRole.OUTLOOK)
    assert f"<p>{parsed.author_quote}</p>" == outlook.html


def test_reference_shaped_sample_ai_label_and_author_box_leave_the_body() -> None:
    """The AI label is detected; neither it nor the author box is part of the body HTML."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    assert (True, False, False, True) == (
        parsed.ai_image_label,
        "KI generiertes Foto" in parsed.body_html,
        "Marc Fuchs" in parsed.body_html,
        parsed.body_html.startswith("<p>Landesregierung, Kommunen und US-Streitkräfte"),
    )


def test_teaser_is_the_lead_paragraph_before_the_first_heading() -> None:
    """The teaser is the plain text of the lead, inline markup dropped."""
    parsed = parse_body(_reference_body(), ANATOMY, BASE)
    assert (
        "Landesregierung, Kommunen und US-Streitkräfte bezeichnen ihr Treffen zur Wohnungsnot rund um "
        "Kaiserslautern als konstruktiv; ein gemeinsames Bauprogramm soll folgen."
    ) == parsed.teaser


ENGLISH = """
<p>Lead.</p>
<h2>What it is about</h2><p>Summary text.</p>
<h2>Key facts</h2><ul><li>One</li><li>Two</li></ul>
<h2>Background</h2><p>Context.</p>
<h2>What it means for Rhineland-Palatinate and Kaiserslautern</h2><p>Local.</p>
<h2>Opportunities &amp; risks</h2><ul><li>Opportunity: Growth.</li><li>Risk: Delay.</li></ul>
<h2>Outlook</h2><p>Next.</p>
<h2>Sources</h2><ul><li><a href="https://example.org/a">A report</a></li></ul>
"""


def test_english_headings_map_to_roles_through_the_default_config() -> None:
    """An English edition's headings map to the same roles via the configured English names."""
    parsed = parse_body(ENGLISH, ANATOMY, BASE)
    assert [
        ("summary", "What it is about"),
        ("key_facts", "Key facts"),
        ("background", "Background"),
        ("regional_relevance", "What it means for Rhineland-Palatinate and Kaiserslautern"),
        ("chances_risks", "Opportunities & risks"),
        ("outlook", "Outlook"),
        ("sources", "Sources"),
    ] == [(s.role.value, s.heading) for s in parsed.sections]


def test_english_prefixes_and_regions_are_read() -> None:
    """„Opportunity:“/„Risk:“ mark chances and risks; regions split on „and“."""
    parsed = parse_body(ENGLISH, ANATOMY, BASE)
    items = next(s for s in parsed.sections if s.role == SectionRole.CHANCES_RISKS).items
    assert ([(ItemKind.CHANCE, "Growth."), (ItemKind.RISK, "Delay.")], ("Rhineland-Palatinate", "Kaiserslautern")) == (
        [(i.kind, i.text) for i in items],
        parsed.regions,
    )


def test_heading_mapping_comes_from_config() -> None:
    """A site with its own heading names maps them through its own configuration."""
    anatomy = AnatomyConfig(headings={"outlook": ("Wie es weitergeht",), "summary": ("Das Wichtigste",)})
    parsed = parse_body("<h2>Das Wichtigste</h2><p>A</p><h2>Wie es weitergeht</h2><p>B</p>", anatomy, BASE)
    assert [SectionRole.SUMMARY, SectionRole.OUTLOOK] == [s.role for s in parsed.sections]


def test_unknown_heading_is_other_with_its_heading_kept() -> None:
    """A heading no role claims opens an ``other`` section that keeps its heading."""
    parsed = parse_body("<h2>Ausblick</h2><p>A</p><h2>Kommentar der Redaktion</h2><p>B</p>", ANATOMY, BASE)
    assert [("outlook", "Ausblick", "<p>A</p>"), ("other", "Kommentar der Redaktion", "<p>B</p>")] == [
        (s.role.value, s.heading, s.html) for s in parsed.sections
    ]


def test_sub_heading_stays_inside_its_recognised_section() -> None:
    """A deeper unknown heading belongs to the section it sits in."""
    parsed = parse_body("<h2>Hintergrund</h2><p>A</p><h3>Chronik</h3><p>B</p>", ANATOMY, BASE)
    assert [("background", "<p>A</p><h3>Chronik</h3><p>B</p>")] == [(s.role.value, s.html) for s in parsed.sections]


def test_headings_inside_a_wrapper_div_are_found() -> None:
    """CMS bodies wrapped in a container are read like flat ones."""
    parsed = parse_body('<div class="entry-content"><p>Lead</p><h2>Ausblick</h2><p>A</p></div>', ANATOMY, BASE)
    assert ("Lead", [SectionRole.OUTLOOK]) == (parsed.teaser, [s.role for s in parsed.sections])


def test_prefix_inside_strong_is_stripped_keeping_markup() -> None:
    """A bold „Chance:“ prefix is removed from text and HTML; other markup stays."""
    body = "<h2>Chancen &amp; Risiken</h2><ul><li><strong>Chance:</strong> Mehr <em>Tempo</em>.</li></ul>"
    parsed = parse_body(body, ANATOMY, BASE)
    assert (ListItem("Mehr Tempo.", "Mehr <em>Tempo</em>.", ItemKind.CHANCE),) == parsed.sections[0].items


def test_chances_and_risks_as_paragraphs_become_items() -> None:
    """Chances and risks written as paragraphs are items too."""
    body = "<h2>Chancen und Risiken</h2><p>Chance: Gut.</p><p>Risiko: Schlecht.</p>"
    parsed = parse_body(body, ANATOMY, BASE)
    assert [(ItemKind.CHANCE, "Gut."), (ItemKind.RISK, "Schlecht.")] == [
        (i.kind, i.text) for i in parsed.sections[0].items
    ]


def test_region_names_drop_leading_articles() -> None:
    """„Bedeutung für Kaiserslautern und die Westpfalz“ names Kaiserslautern and Westpfalz."""
    heading = "Bedeutung für Kaiserslautern, Pirmasens und die Westpfalz"
    assert ("Kaiserslautern", "Pirmasens", "Westpfalz") == regions_from_heading(heading, "bedeutung für", ANATOMY)


def test_blockquote_with_author_quote_class_is_the_author_quote() -> None:
    """``<blockquote class="author-quote">`` is the quote, marks stripped, and leaves the body."""
    parsed = parse_body('<p>Text</p><blockquote class="author-quote">„Klare Worte.“</blockquote>', ANATOMY, BASE)
    assert ("Klare Worte.", "<p>Text</p>") == (parsed.author_quote, parsed.body_html)


def test_blockquote_in_autor_box_is_the_author_quote() -> None:
    """A blockquote inside ``.autor-box`` is the author quote."""
    body = '<p>Text</p><div class="autor-box"><p>Jana Becker</p><blockquote>Gut so.</blockquote></div>'
    assert "Gut so." == parse_body(body, ANATOMY, BASE).author_quote


def test_body_quotes_are_not_author_quotes() -> None:
    """An ordinary blockquote in the article is content, not the author's quote."""
    parsed = parse_body("<p>Text</p><blockquote><p>Zitat eines Ministers</p></blockquote>", ANATOMY, BASE)
    assert (None, "<p>Text</p><blockquote><p>Zitat eines Ministers</p></blockquote>") == (
        parsed.author_quote,
        parsed.body_html,
    )


def test_comment_form_and_everything_after_it_leave_the_body() -> None:
    """WordPress's comment area is not content, nor anything after it."""
    body = (
        '<p>Text</p><div id="respond"><h3>Schreibe einen Kommentar</h3><form><textarea></textarea></form></div>'
        "<p>Was denken Sie zu dem Thema?</p>"
    )
    assert "<p>Text</p>" == parse_body(body, ANATOMY, BASE).body_html


def test_ai_label_in_a_caption_keeps_the_image() -> None:
    """A caption that is only the AI label goes; the figure and its image stay."""
    body = '<figure><img src="/b.jpg" alt="Bild"><figcaption>KI generiertes Foto</figcaption></figure><p>T</p>'
    parsed = parse_body(body, ANATOMY, BASE)
    assert (True, '<figure><img src="https://www.pfalz-rundschau.example/b.jpg" alt="Bild"></figure><p>T</p>') == (
        parsed.ai_image_label,
        parsed.body_html,
    )


def test_no_ai_label_means_false() -> None:
    """A body without the label does not claim an AI-generated image."""
    assert False is parse_body("<p>Ein Foto von Jana Becker.</p>", ANATOMY, BASE).ai_image_label


def test_scripts_and_event_handlers_are_removed() -> None:
    """``<script>`` and ``on*=`` never reach section or body HTML."""
    body = '<h2>Ausblick</h2><p onclick="steal()">A<script>alert(1)</script></p><img src="x.jpg" onerror="x()">'
    parsed = parse_body(body, ANATOMY, BASE)
    combined = parsed.body_html + parsed.sections[0].html
    assert (False, False, False) == ("script" in combined, "onclick" in combined, "onerror" in combined)


def test_script_and_style_bodies_never_become_text() -> None:
    """Script and style bodies are dropped before teaser, headings, list items and the quote are read."""
    body = (
        "<p>Vorspann<script>var a = 'Skript';</script> weiter.<style>p{}</style></p>"
        "<h2>Wichtigste <script>x()</script>Fakten</h2><ul><li>Eins<script>y()</script></li></ul>"
        '<blockquote class="author-quote">„Zitat<style>q{}</style>“</blockquote>'
    )
    parsed = parse_body(body, ANATOMY, BASE)
    section = parsed.sections[0]
    assert ("Vorspann weiter.", "Wichtigste Fakten", ["Eins"], "Zitat") == (
        parsed.teaser, section.heading, [item.text for item in section.items], parsed.author_quote
    )


def test_german_typography_survives_untouched() -> None:
    """„…“, ‚…‘, umlauts, ß and en dashes come out exactly as they went in."""
    text = "„Größe“ und ‚Maß‘ – Übermut in Kaiserslautern–Pirmasens"
    parsed = parse_body(f"<p>{text}</p><h2>Ausblick</h2><p>{text}</p>", ANATOMY, BASE)
    assert (text, f"<p>{text}</p>") == (parsed.teaser, parsed.sections[0].html)


def test_body_without_headings_has_first_paragraph_as_teaser() -> None:
    """Without any heading the teaser is the first paragraph, not the whole article."""
    parsed = parse_body("<p>Erster.</p><p>Zweiter.</p>", ANATOMY, BASE)
    assert ("Erster.", ()) == (parsed.teaser, parsed.sections)


def test_empty_body_parses_to_nothing() -> None:
    """An empty body is an empty ParsedBody, not an error."""
    parsed = parse_body("  ", ANATOMY, BASE)
    assert ("", (), "", None) == (parsed.teaser, parsed.sections, parsed.body_html, parsed.author_quote)


def test_quote_marks_are_stripped_in_pairs_only() -> None:
    """Only a surrounding pair of quote marks goes; inner quotes stay."""
    assert ["Er sagte „nein“.", '"Offen', "Ja"] == [
        strip_quote_marks("„Er sagte „nein“.“"),
        strip_quote_marks('"Offen'),
        strip_quote_marks("»Ja«"),
    ]


def test_a_bad_css_selector_in_anatomy_config_is_refused() -> None:
    """An [anatomy] selector that is not CSS is a config error naming it, not a crash at collect."""
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError) as raised:
        AnatomyConfig(author_box_selectors=("div[",))
    assert "'div['" in str(raised.value)


def test_pullquote_citing_someone_else_stays_in_the_body() -> None:
    """A pullquote is the author quote only when its <cite> names the article's author."""
    body = '<figure class="wp-block-pullquote"><blockquote><p>Zitat.</p><cite>Jana Weiß</cite></blockquote></figure>'
    parsed = parse_body(body, ANATOMY, BASE, author="Marc Fuchs")
    assert (None, True) == (parsed.author_quote, "Zitat." in parsed.body_html)


def test_comment_area_is_found_by_class_heading_or_form_wherever_it_starts() -> None:
    """The first comment area in page order is cut, however it is marked and however deep it sits."""
    bodies = [
        '<p>Text</p><section><div><div class="x Comments-Area"><p>K</p></div></div></section><p>Nach</p>',
        "<p>Text</p><div><h4>Leave a Reply</h4><p>K</p></div><p>Nach</p>",
        '<p>Text</p><!-- c --><div><form action="/c"><input></form></div><p>Nach</p>',
        '<p>Text</p><div id="x" class="y"><p id="COMMENTS">K</p></div><p>Nach</p>',
    ]
    assert ["<p>Text</p>"] * 4 == [parse_body(body, ANATOMY, BASE).body_html for body in bodies]


def test_several_author_quotes_are_taken_in_page_order() -> None:
    """With more than one marked quote, the first in the page is the author quote and all leave the body."""
    body = (
        '<p>Lead</p><h2>Ausblick</h2><div><blockquote class="author-quote"><p>Erste</p></blockquote></div>'
        '<blockquote class="author-quote"><p>Zweite</p></blockquote><p>Ende</p>'
    )
    parsed = parse_body(body, ANATOMY, BASE)
    assert ("Erste", False) == (parsed.author_quote, "Zweite" in parsed.body_html)
