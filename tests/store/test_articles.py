"""The article repository: upsert, versions, retraction, cursor."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from syndication.clock import FixedClock
from syndication.html import SANITIZER_POLICY
from syndication.model import Article, Section, SectionRole, Status, article_id
from syndication.store.articles import ArticleStore, Outcome


def make_article(external_id: str = "a1", title: str = "Titel") -> Article:
    published = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    return Article(
        id=article_id("test", external_id),
        source="test",
        external_id=external_id,
        url=f"https://example.de/{external_id}",
        title=title,
        teaser="Teaser",
        published=published,
        updated=published,
        categories=("Politik",),
    )


def test_upsert_twice_changes_nothing(any_engine: Engine, clock: FixedClock) -> None:
    """Storing the same article twice leaves one unchanged version."""
    store = ArticleStore(any_engine)
    assert Outcome.CREATED == store.upsert(make_article(), clock.now())
    assert Outcome.UNCHANGED == store.upsert(make_article(), clock.now())
    assert 1 == len(store.revisions(make_article().id))


def test_edit_is_recorded_with_new_version_and_time(any_engine: Engine, clock: FixedClock) -> None:
    """An edited article gets version 2, a new hash and the time it was seen as updated."""
    store = ArticleStore(any_engine)
    store.upsert(make_article(), clock.now())
    first = store.get(make_article().id)
    clock.advance(timedelta(hours=1))
    assert Outcome.UPDATED == store.upsert(make_article(title="Neuer Titel"), clock.now())
    second = store.get(make_article().id)
    assert (2, clock.now(), "Neuer Titel") == (second.version, second.updated, second.title)
    assert first.content_hash != second.content_hash
    assert second.published == first.published


def test_retract_marks_and_keeps(any_engine: Engine, clock: FixedClock) -> None:
    """A retracted article stays stored, marked retracted, and leaves default selections."""
    store = ArticleStore(any_engine)
    store.upsert(make_article(), clock.now())
    assert [make_article().id] == store.retract([make_article().id], clock.now())
    assert Status.RETRACTED == store.get(make_article().id).status
    assert [] == store.all()
    assert 1 == store.count()


def test_changes_since_orders_by_latest_change(any_engine: Engine, clock: FixedClock) -> None:
    """The change cursor returns each article once, in the order of its latest change."""
    store = ArticleStore(any_engine)
    for name in ("a", "b", "c"):
        store.upsert(make_article(name), clock.now())
    store.upsert(replace(make_article("a"), title="geändert"), clock.now())
    changes = store.changes_since(0, 10)
    assert ["b", "c", "a"] == [c.article.external_id for c in changes]
    assert [] == store.changes_since(changes[-1].seq, 10)


def test_postgres_writers_draw_revision_ids_in_commit_order(postgres_engine: Engine, clock: FixedClock) -> None:
    """A second writer waits until the first commits, so a reader paging by id never skips a change."""
    import threading

    from syndication.store.articles import writing

    store = ArticleStore(postgres_engine)
    first_inserted, release = threading.Event(), threading.Event()

    def first_writer() -> None:
        with writing(postgres_engine) as connection:
            store._upsert(connection, make_article("a"), clock.now(), None)
            first_inserted.set()
            release.wait(10)

    first = threading.Thread(target=first_writer)
    first.start()
    first_inserted.wait(10)
    second = threading.Thread(target=lambda: store.upsert(make_article("b"), clock.now()))
    second.start()
    second.join(0.5)
    waited = second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert (True, ["a", "b"]) == (waited, [change.article.external_id for change in store.changes_since(0, 10)])


def _terms(engine: Engine) -> list[tuple[str, str, str]]:
    from syndication.store.schema import article_terms

    with engine.connect() as connection:
        rows = connection.execute(article_terms.select().order_by(article_terms.c.article_id, article_terms.c.kind))
        return [(row.article_id[:4], row.kind, row.term) for row in rows]


def test_names_follow_the_article(any_engine: Engine, clock: FixedClock) -> None:
    """Categories, regions and author are indexed while published; an edit replaces them, a retraction removes them."""
    from syndication.model import Author

    store = ArticleStore(any_engine)
    article = replace(make_article(), regions=("Pfalz", "Pfalz"), author=Author(name="Jana Weiß"))
    store.upsert(article, clock.now())
    first = _terms(any_engine)
    store.upsert(replace(article, categories=("Kultur", "x" * 201)), clock.now())
    edited = _terms(any_engine)
    store.retract([article.id], clock.now())
    prefix = article.id[:4]
    assert (
        [(prefix, "author", "Jana Weiß"), (prefix, "category", "Politik"), (prefix, "region", "Pfalz")],
        [(prefix, "author", "Jana Weiß"), (prefix, "category", "Kultur"), (prefix, "region", "Pfalz")],
        [],
    ) == (first, edited, _terms(any_engine))


def test_upsert_many_equals_one_by_one(any_engine: Engine, clock: FixedClock) -> None:
    """New articles written together get the same versions, revision order and outcomes as one at a time."""
    store = ArticleStore(any_engine)
    store.upsert(make_article("b"), clock.now())
    items = [
        (make_article("a"), "fp-a"),
        (make_article("b", title="Neu"), None),
        (make_article("c"), None),
        (make_article("c", title="Gleich geändert"), None),
        (make_article("d"), None),
    ]
    outcomes = store.upsert_many(items, clock.now())
    order = [change.article.external_id for change in store.changes_since(0, 100)]
    versions = {a.external_id: a.version for a in store.all()}
    assert (
        {"a": "created", "b": "updated", "c": "updated", "d": "created"},
        ["a", "b", "c", "d"],
        {"a": 1, "b": 2, "c": 2, "d": 1},
        {"a": "fp-a"},
    ) == (
        {article.external_id: outcomes[article.id].value for article, _ in items},
        order,
        versions,
        {k: v for k, v in store.fingerprints("test").items() if v},
    )


def test_new_articles_are_stored_with_the_models_content_hash(any_engine: Engine, clock: FixedClock) -> None:
    """A new article stored in a batch gets compute_content_hash's hash, also for text JSON must escape,
    and reads back equal (its JSON written once for the hash and the stored copy)."""
    from syndication.model import compute_content_hash
    from syndication.testing import make_article

    article = make_article(7, title="Quote \" backslash \\ tab\t ctrl\x01 del\x7f \u2028 é 😀", teaser="</script>")
    other = make_article(8)
    store = ArticleStore(any_engine)
    store.upsert_many([(article, None), (other, None)], clock.now())
    stored = store.get(article.id)
    assert stored is not None
    assert (compute_content_hash(article), replace(article, content_hash=stored.content_hash, version=1)) == (
        stored.content_hash, stored,
    )


def _plan(engine: Engine, term: tuple[str, str] | None) -> str:
    query = ArticleStore.newest_query(term, 50)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            return " | ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        # On a small table PostgreSQL rightly prefers a scan and a sort: with both discouraged, the plan
        # shows whether the index alone can give the rows in the query's order.
        connection.execute(text("SET enable_seqscan = off"))
        connection.execute(text("SET enable_sort = off"))
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        plan = " | ".join(str(row[0]) for row in connection.execute(text(f"EXPLAIN {compiled}")))
        connection.rollback()
        return plan


def test_feed_selection_walks_an_index_in_order(any_engine: Engine, clock: FixedClock) -> None:
    """The newest articles of the main feed and of a name are read off an index in its order: no sort, no scan."""
    store = ArticleStore(any_engine)
    store.upsert_many([(make_article(f"a{n}"), None) for n in range(20)], clock.now())
    plans = {name: _plan(any_engine, term) for name, term in (("main", None), ("category", ("category", "Politik")))}
    expected_index = {"main": "ix_articles_status_published_id", "category": "ix_article_terms_feed"}
    found = {name: (expected_index[name] in plan, "TEMP B-TREE" in plan or " Sort" in plan or "Seq Scan" in plan)
             for name, plan in plans.items()}
    assert {"main": (True, False), "category": (True, False)} == found, plans


def _with_sections(article: Article, *markups: str) -> Article:
    sections = tuple(Section(role=SectionRole.SUMMARY, heading="", html=markup) for markup in markups)
    return replace(article, sections=sections)


def test_the_store_marks_html_it_finds_clean_and_only_that(any_engine: Engine, clock: FixedClock) -> None:
    """Stored clean HTML is read back marked with the sanitizer's policy; HTML with a script, or a raw
    ampersand, is read back unmarked, whichever path stored it (one, many)."""
    store = ArticleStore(any_engine)
    clean = _with_sections(make_article("clean"), '<p>Ein <a href="https://example.de/x">Link</a></p>')
    script = _with_sections(make_article("script"), "<p>a</p>", "<p>b</p><script>alert(1)</script>")
    ampersand = _with_sections(make_article("amp"), "<p>Chancen & Risiken</p>")
    store.upsert(clean, clock.now())
    store.upsert_many([(script, None), (ampersand, None)], clock.now())
    marks = [store.get(article.id).html_sanitized_by for article in (clean, script, ampersand)]  # type: ignore[union-attr]
    assert [SANITIZER_POLICY, "", ""] == marks


def test_a_mark_is_never_taken_from_what_the_store_is_given(any_engine: Engine, clock: FixedClock) -> None:
    """A copy of a marked article with other HTML starts unmarked, an article read from JSON that claims
    a mark is unmarked, and the store checks what it writes: an edit to unclean HTML loses the mark."""
    store = ArticleStore(any_engine)
    article = _with_sections(make_article("a"), "<p>sauber</p>")
    store.upsert(article, clock.now())
    stored = store.get(article.id)
    assert stored is not None
    edited = _with_sections(stored, '<p onclick="x()">bearbeitet</p>')
    claimed = Article.from_dict({**article.to_dict(), "html_sanitized_by": SANITIZER_POLICY})
    store.upsert(edited, clock.now())
    assert (SANITIZER_POLICY, "", "", "") == (
        stored.html_sanitized_by, edited.html_sanitized_by, claimed.html_sanitized_by,
        store.get(article.id).html_sanitized_by,  # type: ignore[union-attr]
    )
