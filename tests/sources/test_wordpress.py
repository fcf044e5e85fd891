"""The wordpress source against FakeWordPress, a real HTTP server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.config import Settings, SourceConfig
from syndication.errors import InputError, SourceUnavailable
from syndication.model import ItemKind, SectionRole, Status, article_id
from syndication.sources.base import SourceContext
from syndication.sources.collect import CollectReport, collect_all
from syndication.sources.testing import FakeAuthor, FakeWordPress
from syndication.sources.wordpress import WordPressSource
from syndication.store.articles import ArticleStore

SOURCE = "website"
START = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)

REFERENCE_CONTENT = """
<p>USA und Russland bezeichnen Treffen in Florida zwischen Kirill Dmitriev und Steve Witkoff als konstruktiv.</p>

<h2 class="wp-block-heading">Worum es geht</h2>

<p>Auf Einladung beider Seiten trafen sich in Florida die Sondergesandten. Laut
<a href="https://www.reuters.com/world/us-russia-florida/" target="_blank" rel="noreferrer noopener">U.S., Russia
call Florida meeting on Ukraine conflict</a> bewerteten beide das Treffen als „konstruktiv“.</p>

<h2 class="wp-block-heading">Wichtigste Fakten</h2>

<ul class="wp-block-list">
<li>Treffen zwischen Kirill Dmitriev und Steve Witkoff in Florida</li>
<li>Jared Kushner als voraussichtlicher Teilnehmer</li>
<li>USA und Russland bezeichnen das Treffen als „konstruktiv“</li>
</ul>

<h2 class="wp-block-heading">Politischer Hintergrund</h2>

<p>Die zweite Verhandlungsrunde zum Ukraine-Konflikt wurde verschoben.</p>

<h2 class="wp-block-heading">Bedeutung für Rheinland-Pfalz und Kaiserslautern</h2>

<p>Fortschritte in diplomatischen Dialogen können das Vertrauen in Friedensprozesse stärken.</p>

<h2 class="wp-block-heading">Chancen &amp; Risiken</h2>

<ul class="wp-block-list">
<li>Chance: Ein konstruktiver Dialog kann Impulse für formelle Verhandlungen geben.</li>
<li>Risiko: Informelle Treffen ersetzen keine verbindlichen Verhandlungsrunden.</li>
</ul>

<h2 class="wp-block-heading">Ausblick</h2>

<p>Ob aus dem Treffen unmittelbare Fortschritte resultieren, bleibt abzuwarten.</p>

<h2 class="wp-block-heading">Quellen</h2>

<ul class="wp-block-list">
<li><a href="https://www.reuters.com/world/us-russia-florida/">U.S., Russia call Florida meeting on Ukraine
conflict</a></li>
<li><a href="/2026/01/31/zweite-runde-verschoben/">Zweite Runde der Ukraine-Gespräche verschoben</a></li>
</ul>

<blockquote class="wp-block-quote author-quote"><p>„Ob aus dem Treffen unmittelbare Fortschritte resultieren, bleibt
abzuwarten.“</p></blockquote>
"""


@pytest.fixture
def wordpress() -> Iterator[FakeWordPress]:
    with FakeWordPress(hang_seconds=5) as fake:
        yield fake


def source_config(url: str, **overrides: object) -> SourceConfig:
    values: dict[str, object] = {"name": SOURCE, "type": "wordpress", "url": url, "per_page": 2}
    values.update(overrides)
    return SourceConfig.model_validate(values)


def collect(settings: Settings, engine: Engine, clock: FixedClock, config: SourceConfig) -> CollectReport:
    configured = settings.model_copy(update={"sources": (config,)})
    return collect_all([WordPressSource(config, site=settings.site)], ArticleStore(engine), configured, clock)


def add_posts(fake: FakeWordPress, count: int) -> list[int]:
    return [
        fake.add_post(
            title=f"Meldung {number}: Straßenbau in Kaiserslautern",
            content=f"<p>Lead {number}.</p><h2>Ausblick</h2><p>Weiter geht es {number}.</p>",
            date=START + timedelta(hours=number),
        ).id
        for number in range(count)
    ]


def ids(*post_ids: int) -> list[str]:
    return sorted(article_id(SOURCE, str(post_id)) for post_id in post_ids)


def test_collects_every_page_of_a_three_page_answer(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Six posts at two per page are read from pages 1, 2 and 3 (X-WP-TotalPages) and all stored."""
    posts = add_posts(wordpress, 6)

    report = collect(settings, engine, clock, source_config(wordpress.url))

    assert [] == report.errors
    assert ids(*posts) == sorted(report.created)
    assert ["1", "2", "3"] == [query["page"] for query in wordpress.queries()]
    assert {"", "publish", "modified", "asc", "2"} == {
        wordpress.queries()[0][key] for key in ("_embed", "status", "orderby", "order", "per_page")
    }
    assert 6 == len(ArticleStore(engine).all())


def test_a_post_becomes_an_article_with_author_image_terms_and_sections(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Title, teaser, UTC dates, author, featured image, categories, regions, sections and quote come from the post."""
    post = wordpress.add_post(
        title="Florida-Gespräche zwischen USA & Russland als „konstruktiv“ bewertet",
        content=REFERENCE_CONTENT,
        date=datetime(2026, 2, 2, 9, 15, tzinfo=UTC),
        modified=datetime(2026, 2, 2, 10, 0, tzinfo=UTC),
        author=FakeAuthor(id=7, name="Marc Fuchs", slug="marc-fuchs"),
        image={
            "source_url": "https://cdn.pfalz-rundschau.example/2026/02/florida.jpg",
            "alt_text": "Zwei Männer an einem Tisch",
            "caption": "KI generiertes Foto",
            "credit": "Redaktion/KI",
        },
        categories=("Politik", "Welt"),
        tags=("Kaiserslautern", "Diplomatie", "Westpfalz"),
    )

    collect(settings, engine, clock, source_config(wordpress.url, regions=("Westpfalz",)))
    article = ArticleStore(engine).get(article_id(SOURCE, str(post.id)))

    assert article is not None
    assert "Florida-Gespräche zwischen USA & Russland als „konstruktiv“ bewertet" == article.title
    assert article.teaser.startswith("USA und Russland bezeichnen Treffen in Florida")
    assert datetime(2026, 2, 2, 9, 15, tzinfo=UTC) == article.published
    assert datetime(2026, 2, 2, 10, 0, tzinfo=UTC) == article.updated
    assert f"{wordpress.url}/2026/02/02/{post.slug}/" == article.url
    assert article.author is not None
    assert ("Marc Fuchs", f"{wordpress.url}/author/marc-fuchs/") == (article.author.name, article.author.url)
    assert article.author.portrait is not None and "s=96" in article.author.portrait.url
    assert article.image is not None
    assert (
        "https://cdn.pfalz-rundschau.example/2026/02/florida.jpg",
        "Zwei Männer an einem Tisch",
        "KI generiertes Foto",
        "Redaktion/KI",
        True,
    ) == (article.image.url, article.image.alt, article.image.caption, article.image.credit, article.image.ai_generated)
    assert ("Politik", "Welt") == article.categories
    assert ("Rheinland-Pfalz", "Kaiserslautern", "Westpfalz") == article.regions
    assert [
        SectionRole.SUMMARY,
        SectionRole.KEY_FACTS,
        SectionRole.BACKGROUND,
        SectionRole.REGIONAL_RELEVANCE,
        SectionRole.CHANCES_RISKS,
        SectionRole.OUTLOOK,
        SectionRole.SOURCES,
    ] == [section.role for section in article.sections]
    assert 3 == len(article.key_facts)
    chances_risks = article.section(SectionRole.CHANCES_RISKS)
    assert chances_risks is not None
    assert [ItemKind.CHANCE, ItemKind.RISK] == [item.kind for item in chances_risks.items]
    assert [
        "https://www.reuters.com/world/us-russia-florida/",
        f"{wordpress.url}/2026/01/31/zweite-runde-verschoben/",
    ] == [source.url for source in article.sources]
    assert "Ob aus dem Treffen unmittelbare Fortschritte resultieren, bleibt abzuwarten." == article.author_quote


def test_script_and_event_handlers_are_removed_from_rendered_content(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """<script> and on*= attributes in content.rendered never reach the stored article; links stay."""
    post = wordpress.add_post(
        title="Stadtrat tagt",
        content=(
            '<p onclick="steal()">Der Stadtrat tagt <a href="/rat/" onmouseover="x()">heute</a>.</p>'
            "<script>document.cookie</script>"
            '<h2>Ausblick</h2><p><img src="/a.jpg" onerror="alert(1)" alt="Rathaus"> Am Montag.</p>'
        ),
        date=START,
    )

    collect(settings, engine, clock, source_config(wordpress.url))
    article = ArticleStore(engine).get(article_id(SOURCE, str(post.id)))

    assert article is not None
    stored = json.dumps(article.to_dict())
    markers = ("<script", "onclick", "onmouseover", "onerror", "document.cookie")
    assert [] == [marker for marker in markers if marker in stored]
    assert f'<a href="{wordpress.url}/rat/">heute</a>' in article.body_html
    outlook = article.section(SectionRole.OUTLOOK)
    assert outlook is not None
    assert f'<p><img src="{wordpress.url}/a.jpg" alt="Rathaus"> Am Montag.</p>' == outlook.html


def test_second_collect_asks_with_modified_after_and_stores_only_changed_posts(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """After a full collect, the next one asks for posts modified after the newest stored one and updates only those."""
    posts = add_posts(wordpress, 5)
    config = source_config(wordpress.url)
    collect(settings, engine, clock, config)
    newest = START + timedelta(hours=4)
    wordpress.update_post(
        posts[1], modified=newest + timedelta(hours=2), content="<p>Neu.</p><h2>Ausblick</h2><p>Anders.</p>"
    )
    wordpress.requests.clear()

    report = collect(settings, engine, clock, config)

    listing = [query for query in wordpress.queries() if "_embed" in query]
    assert {(newest - timedelta(minutes=1)).isoformat()} == {query["modified_after"] for query in listing}
    assert ([], ids(posts[1]), []) == (report.created, report.updated, report.errors)
    article = ArticleStore(engine).get(article_id(SOURCE, str(posts[1])))
    assert article is not None and "Neu." == article.teaser


def test_collecting_twice_changes_nothing(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A second collect without edits in WordPress creates, updates and retracts nothing."""
    add_posts(wordpress, 5)
    config = source_config(wordpress.url)
    collect(settings, engine, clock, config)

    report = collect(settings, engine, clock, config)

    assert (False, [], 5) == (report.changed, report.errors, report.unchanged)


def test_500_on_page_two_is_reported_and_nothing_stored_is_lost(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A 500 on page 2 names the page's URL and status; stored posts stay, page 1's edits are stored."""
    posts = add_posts(wordpress, 6)
    config = source_config(wordpress.url)
    collect(settings, engine, clock, config)
    before = {article.id: article for article in ArticleStore(engine).all()}
    later = START + timedelta(days=1)
    for offset, post_id in enumerate(posts[:4]):
        wordpress.update_post(post_id, modified=later + timedelta(minutes=offset), title=f"Korrigiert {offset}")
    wordpress.fail(2, "500")

    report = collect(settings, engine, clock, config)

    [error] = report.errors
    assert isinstance(error, SourceUnavailable)
    assert "page=2" in error.where and "modified_after=" in error.where
    assert error.where.startswith(wordpress.posts_url)
    assert error.reason.startswith("HTTP 500 Internal Server Error")
    # Page 1 holds the newest stored post (the minute of overlap, unchanged) and the first edit.
    assert (ids(posts[0]), 1) == (report.updated, report.unchanged)
    after = {article.id: article for article in ArticleStore(engine).all()}
    assert sorted(before) == sorted(after)
    assert [before[i].title for i in ids(*posts[1:])] == [after[i].title for i in ids(*posts[1:])]
    assert [Status.PUBLISHED] * 6 == [article.status for article in after.values()]


def test_500_on_page_two_of_the_first_collect_keeps_page_one(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """When the very first collect fails on page 2, page 1's posts are stored and nothing is retracted."""
    posts = add_posts(wordpress, 6)
    wordpress.fail(2, "500")

    report = collect(settings, engine, clock, source_config(wordpress.url))

    assert ids(posts[0], posts[1]) == sorted(report.created)
    assert 1 == len(report.errors)
    assert ids(posts[0], posts[1]) == sorted(article.id for article in ArticleStore(engine).all())


def test_invalid_json_is_reported_with_the_url(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A page that is not JSON (a PHP warning before the body) gives an error naming the URL and the problem."""
    add_posts(wordpress, 6)
    config = source_config(wordpress.url)
    collect(settings, engine, clock, config)
    wordpress.update_post(next(iter(wordpress.posts)), modified=START + timedelta(days=2))
    wordpress.fail(1, "invalid_json")

    report = collect(settings, engine, clock, config)

    [error] = report.errors
    assert isinstance(error, SourceUnavailable)
    assert "page=1" in error.where
    assert "invalid JSON in the answer" in error.reason and "Warning" in error.reason
    assert 6 == len(ArticleStore(engine).all())


def test_a_server_that_does_not_answer_times_out_with_a_clear_error(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """With timeout = 0.3 s a hanging page ends the collect with a time-out error naming the URL."""
    add_posts(wordpress, 4)
    # The first, healthy collect gets the default time-out: 0.3 s is too short for a loaded CI machine.
    collect(settings, engine, clock, source_config(wordpress.url))
    wordpress.fail(1, "hang")

    report = collect(settings, engine, clock, source_config(wordpress.url, timeout=0.3))

    [error] = report.errors
    assert isinstance(error, SourceUnavailable)
    assert error.where.startswith(wordpress.posts_url) and "page=1" in error.where
    assert "no answer within 0.3 s (time-out)" in error.reason
    assert 4 == len(ArticleStore(engine).all())


def test_a_malformed_post_fails_alone(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A post without a title or with a bad date gives an InputError naming its URL and field; others are stored."""
    posts = add_posts(wordpress, 2)
    broken = wordpress.post_json(wordpress.posts[posts[0]], embed=True) | {
        "id": 900,
        "link": f"{wordpress.url}/kaputt/",
        "title": {"rendered": ""},
    }
    bad_date = wordpress.post_json(wordpress.posts[posts[0]], embed=True) | {
        "id": 901,
        "link": f"{wordpress.url}/falsches-datum/",
        "date_gmt": "gestern",
    }
    wordpress.raw_posts.extend([broken, bad_date])

    report = collect(settings, engine, clock, source_config(wordpress.url, per_page=10))

    assert ids(*posts) == sorted(report.created)
    assert [
        (f"{wordpress.url}/kaputt/", "title"),
        (f"{wordpress.url}/falsches-datum/", "date_gmt"),
    ] == [(error.where, error.field) for error in report.errors if isinstance(error, InputError)]
    assert "not an ISO 8601 date: 'gestern'" in str(report.errors[1])


def test_a_post_unpublished_in_wordpress_is_marked_retracted(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """The sweep of published ids on an incremental run notices a post set back to draft and retracts it."""
    posts = add_posts(wordpress, 3)
    config = source_config(wordpress.url)
    collect(settings, engine, clock, config)
    wordpress.update_post(posts[2], modified=START + timedelta(days=1), status="draft")

    report = collect(settings, engine, clock, config)

    assert ids(posts[2]) == report.retracted
    article = ArticleStore(engine).get(article_id(SOURCE, str(posts[2])))
    assert article is not None and Status.RETRACTED == article.status
    assert any(query.get("_fields") == "id,modified_gmt" for query in wordpress.queries())


def test_without_detect_unpublished_nothing_is_retracted(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """detect_unpublished = false skips the sweep: a deleted post stays stored as published."""
    posts = add_posts(wordpress, 3)
    config = source_config(wordpress.url, detect_unpublished=False)
    collect(settings, engine, clock, config)
    wordpress.delete_post(posts[0])

    report = collect(settings, engine, clock, config)

    assert [] == report.retracted
    assert not any("_fields" in query for query in wordpress.queries())


def test_a_post_missed_by_the_listing_is_fetched_by_the_sweep(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A post whose stored modified time is stale but older than the cut-off is fetched by id in the sweep."""
    posts = add_posts(wordpress, 3)
    config = source_config(wordpress.url)
    collect(settings, engine, clock, config)
    # Edited at a time before the newest stored post: modified_after does not list it.
    wordpress.update_post(posts[0], modified=START + timedelta(minutes=30), title="Nachgetragen")

    report = collect(settings, engine, clock, config)

    assert ids(posts[0]) == report.updated
    assert any(query.get("include") == str(posts[0]) for query in wordpress.queries())


def test_fake_answers_a_page_past_the_end_like_wordpress() -> None:
    """FakeWordPress answers page 9 of a 1-page listing with 400 and rest_post_invalid_page_number."""
    with FakeWordPress() as fake:
        add_posts(fake, 1)
        response = httpx.get(f"{fake.posts_url}?page=9")
        first = httpx.get(f"{fake.posts_url}?per_page=1")

    assert 400 == response.status_code
    assert "rest_post_invalid_page_number" == response.json()["code"]
    assert ("1", "1") == (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"])


def test_page_past_the_end_during_paging_is_reported(settings: Settings, clock: FixedClock) -> None:
    """If posts vanish while paging, WordPress's rest_post_invalid_page_number error is reported with the URL."""
    with FakeWordPress() as fake:
        posts = add_posts(fake, 3)
        source = WordPressSource(source_config(fake.url), site=settings.site)
        context = SourceContext(known={}, now=clock.now(), site=settings.site, anatomy=settings.anatomy)
        events = source.collect(context)
        first_page = [next(events), next(events)]
        fake.delete_post(posts[1])
        fake.delete_post(posts[2])

        with pytest.raises(SourceUnavailable) as raised:
            list(events)

    assert 2 == len(first_page)
    assert "page=2" in raised.value.where
    assert "rest_post_invalid_page_number" in raised.value.reason
    assert not source.complete


def test_the_api_root_may_be_given_as_the_url(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """url = "https://site/wp-json/" works like the site's address."""
    posts = add_posts(wordpress, 1)

    report = collect(settings, engine, clock, source_config(f"{wordpress.url}/wp-json/"))

    assert ids(*posts) == report.created


def test_hidden_featured_media_and_protected_posts_are_handled(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A rest_forbidden embed leaves the article without image; a password-protected post is not collected."""
    [public] = add_posts(wordpress, 1)
    wordpress.add_post(title="Nur für Abonnenten", content="<p>Geheim.</p>", date=START, password="abo")
    hidden = wordpress.post_json(wordpress.posts[public], embed=True)
    hidden["_embedded"]["wp:featuredmedia"] = [
        {"code": "rest_forbidden", "message": "Sorry, you are not allowed to do that.", "data": {"status": 401}}
    ]
    hidden["featured_media"] = 55
    wordpress.delete_post(public)
    wordpress.raw_posts.append(hidden)

    report = collect(settings, engine, clock, source_config(wordpress.url))

    assert (ids(public), []) == (report.created, report.errors)
    article = ArticleStore(engine).get(article_id(SOURCE, str(public)))
    assert article is not None and article.image is None


def test_a_post_over_the_size_limit_is_one_error_and_the_others_are_stored(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A post whose content is larger than [collect] max_article_bytes fails alone, naming its link."""
    small = add_posts(wordpress, 2)
    huge = wordpress.add_post(title="Riesig", content="<p>" + "Wort " * 4_000 + "</p>", date=START)
    limited = settings.model_copy(update={"collect": settings.collect.model_copy(update={"max_article_bytes": 10_000})})
    report = collect(limited, engine, clock, source_config(wordpress.url))
    assert (ids(*small), ["content"], True) == (
        sorted(report.created), [e.field for e in report.errors], f"/{huge.slug}/" in report.errors[0].where
    )


GUTENBERG_CONTENT = """
<p>Die Stadt baut drei neue Radwege.</p>

<figure class="wp-block-image size-large"><img src="/wp-content/uploads/2026/11/radweg.jpg" alt="Radweg am Fluss"
class="wp-image-12"/><figcaption class="wp-element-caption">Radweg an der Lauter. KI generiertes Foto</figcaption>
</figure>

<h2 class="wp-block-heading">Ausblick</h2>

<p>Der erste Abschnitt soll im Frühjahr fertig sein.</p>

<blockquote class="wp-block-quote"><p>„Wir bauen, so schnell es geht.“</p>
<cite>Oberbürgermeisterin Beate Kimmel</cite></blockquote>

<figure class="wp-block-pullquote"><blockquote><p>„Radwege sind Daseinsvorsorge.“</p><cite>Marc Fuchs</cite>
</blockquote></figure>
"""


def _gutenberg_article(settings: Settings, engine: Engine, clock: FixedClock, url: str, post_id: int) -> object:
    report = collect(settings, engine, clock, source_config(url))
    assert [] == report.errors
    return ArticleStore(engine).get(article_id(SOURCE, str(post_id)))


def test_gutenberg_pullquote_citing_the_author_is_the_author_quote(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A pullquote whose <cite> names the post's author is its author quote; a quote citing another stays."""
    post = wordpress.add_post(title="Radwege", content=GUTENBERG_CONTENT, date=START)
    article = _gutenberg_article(settings, engine, clock, wordpress.url, post.id)
    assert ("Radwege sind Daseinsvorsorge.", False, True) == (
        article.author_quote,  # type: ignore[attr-defined]
        "Daseinsvorsorge" in article.body_html,  # type: ignore[attr-defined]
        "Wir bauen, so schnell es geht." in article.body_html,  # type: ignore[attr-defined]
    )


def test_gutenberg_quote_block_citing_the_author_is_the_author_quote(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """A quote block (wp-block-quote) whose <cite> names the author („— Marc Fuchs“) is the author quote."""
    content = (
        '<p>Lead.</p><blockquote class="wp-block-quote"><p>Das bleibt spannend.</p><cite>— Marc Fuchs</cite>'
        "</blockquote>"
    )
    post = wordpress.add_post(title="Zitat", content=content, date=START)
    article = _gutenberg_article(settings, engine, clock, wordpress.url, post.id)
    assert ("Das bleibt spannend.", "<p>Lead.</p>") == (article.author_quote, article.body_html)  # type: ignore[attr-defined]


def test_image_block_with_the_ai_label_in_its_caption_marks_the_image(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Without a featured image, the image block is the post's image, AI-generated because its caption says so."""
    post = wordpress.add_post(title="Radwege", content=GUTENBERG_CONTENT, date=START)
    article = _gutenberg_article(settings, engine, clock, wordpress.url, post.id)
    image = article.image  # type: ignore[attr-defined]
    assert (f"{wordpress.url}/wp-content/uploads/2026/11/radweg.jpg", "Radweg am Fluss", True) == (
        image.url, image.alt, image.ai_generated
    )


def test_featured_image_is_marked_by_an_ai_label_in_an_image_block_caption(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """With a featured image, the body's AI-labelled image caption marks it as AI-generated."""
    media = {"source_url": "https://cdn.example/radweg.jpg", "alt_text": "Radweg"}
    post = wordpress.add_post(title="Radwege", content=GUTENBERG_CONTENT, date=START, image=media)
    article = _gutenberg_article(settings, engine, clock, wordpress.url, post.id)
    assert ("https://cdn.example/radweg.jpg", True) == (article.image.url, article.image.ai_generated)  # type: ignore[attr-defined]


def test_anatomy_selectors_come_from_config(
    wordpress: FakeWordPress, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """[anatomy] selectors replace the defaults: a theme's own quote and author box markup is read."""
    content = (
        '<p>Lead.</p><aside class="meinung"><p>„Eigene Meinung.“</p></aside>'
        '<figure class="wp-block-pullquote"><blockquote><p>Pull.</p><cite>Marc Fuchs</cite></blockquote></figure>'
        '<div class="profil"><p>Marc Fuchs schreibt über Verkehr.</p></div><p>Danach.</p>'
    )
    post = wordpress.add_post(title="Meinung", content=content, date=START)
    anatomy = settings.anatomy.model_copy(
        update={"author_quote_selectors": ("aside.meinung",), "cited_quote_selectors": (),
                "author_box_selectors": ("div.profil",)}
    )
    article = _gutenberg_article(settings.model_copy(update={"anatomy": anatomy}), engine, clock, wordpress.url,
                                 post.id)
    assert ("Eigene Meinung.", False, True, False) == (
        article.author_quote,  # type: ignore[attr-defined]
        "Eigene Meinung" in article.body_html,  # type: ignore[attr-defined]
        "Pull." in article.body_html,  # type: ignore[attr-defined]
        "Danach" in article.body_html,  # type: ignore[attr-defined]
    )
