"""Readers choose their own time zone: the sign-up forms send the browser's, the preferences page offers a list
(real app, real store on SQLite and, where reachable, PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import lxml.html
import pytest
from live_server import TEST_KEY, form_token
from sqlalchemy import Engine, update
from starlette.testclient import TestClient

from subscribers.model import Subscriber, SubscriberStatus
from subscribers.store import SubscriberStore
from subscribers.tables import subscribers
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.i18n import available_locales, language_name
from syndication.runtime import Runtime
from syndication.tokens import Purpose
from syndication.web import create_app
from tests.test_i18n import site_data, unexplained, visible_texts


def in_reader_zones(settings: Settings) -> Settings:
    """The project's newsletters, the daily one sending its slots on each reader's clock."""
    newsletters = tuple(
        config.model_copy(update={"slot_zone": "reader"}) if config.name == "daily" else config
        for config in settings.digest.editions
    )
    return settings.model_copy(update={"digest": settings.digest.model_copy(update={"editions": newsletters})})


def runtime_on(settings: Settings, engine: Engine, clock: FixedClock) -> Runtime:
    runtime = Runtime(settings=settings, secrets=Secrets(secret_key=TEST_KEY), clock=clock)
    runtime.__dict__["engine"] = engine
    return runtime


@pytest.fixture
def zoned(settings: Settings, any_engine: Engine, clock: FixedClock) -> Iterator[Runtime]:
    """A runtime whose daily newsletter has ``slot_zone = "reader"``."""
    yield runtime_on(in_reader_zones(settings), any_engine, clock)


def client_of(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime), base_url=runtime.settings.site.url)


def store_of(runtime: Runtime) -> SubscriberStore:
    return App(runtime).subscriber_store()


def reader(runtime: Runtime, email: str = "leser@example.org", **values: object) -> Subscriber:
    return store_of(runtime).add(email, now=runtime.clock.now(), status=SubscriberStatus.ACTIVE, name="Anna", **values)  # type: ignore[arg-type]


def stored_as(runtime: Runtime, subscriber: Subscriber, zone: str) -> Subscriber:
    """The reader's zone written as an older release (or an import around the store) left it: not made current."""
    with runtime.engine.begin() as connection:
        connection.execute(update(subscribers).where(subscribers.c.id == subscriber.id).values(timezone=zone))
    return subscriber


def preferences_path(runtime: Runtime, subscriber: Subscriber) -> str:
    return f"/preferences?token={App(runtime).signer().make(Purpose.PREFERENCES, subscriber.id, subscriber.email)}"


def zone_select(html: str) -> tuple[list[str], list[str]]:
    """(every option's value, the selected options' values) of the page's zone list, its groups' included."""
    options = lxml.html.document_fromstring(html).xpath('//select[@name="timezone"]//option')
    return [o.get("value") for o in options], [o.get("value") for o in options if o.get("selected") is not None]


def save(client: TestClient, path: str, **fields: object) -> object:
    page = client.get(path)
    return client.post(path, data={"csrf": form_token(page.text), "name": "Anna", "frequency": "daily", **fields})


def test_the_preferences_page_lists_the_zones_with_the_readers_own_selected(zoned: Runtime) -> None:
    """The site's zone (empty) comes first, then the reader's own, selected, then the IANA zones sorted in one
    group per region (each zone once); the reader's zone is the one selected."""
    subscriber = reader(zoned, timezone="America/New_York")
    with client_of(zoned) as client:
        html = client.get(preferences_path(zoned, subscriber)).text
    values, selected = zone_select(html)
    assert (["", "America/New_York"], ["America/New_York"]) == (values[:2], selected)
    assert values[2:] == sorted(values[2:])
    assert len(values) == len(set(values))
    assert {"Europe/Berlin", "Asia/Tokyo", "Pacific/Auckland"} <= set(values)
    groups = lxml.html.document_fromstring(html).xpath('//select[@name="timezone"]/optgroup')
    assert [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ] == [group.get("label") for group in groups]
    europe = next(group for group in groups if group.get("label") == "Europe")
    assert ("Europe/Berlin", "Berlin") == next(
        (o.get("value"), o.text_content()) for o in europe.iter("option") if o.get("value") == "Europe/Berlin"
    )


def test_a_reader_without_a_zone_sees_the_sites_selected_and_an_alias_zone_stays_offered(zoned: Runtime) -> None:
    """No zone: nothing selected, so the first option (the site's zone) shows; a stored alias is listed."""
    without = reader(zoned)
    alias = stored_as(zoned, reader(zoned, "alias@example.org"), "US/Eastern")
    with client_of(zoned) as client:
        _, nothing = zone_select(client.get(preferences_path(zoned, without)).text)
        values, kept = zone_select(client.get(preferences_path(zoned, alias)).text)
    assert ([], ["US/Eastern"], "US/Eastern") == (nothing, kept, values[values.index("US/Eastern")])


def test_without_a_newsletter_in_reader_zones_there_is_no_zone_list(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Where every slot is the site's clock, the zone would change nothing: the page does not ask for it."""
    runtime = runtime_on(settings, engine, clock)
    subscriber = reader(runtime, timezone="Asia/Tokyo")
    with client_of(runtime) as client:
        page = client.get(preferences_path(runtime, subscriber)).text
        client.post(
            preferences_path(runtime, subscriber), data={"csrf": form_token(page), "name": "Anna", "frequency": "daily"}
        )
    assert (([], []), "Asia/Tokyo") == (zone_select(page), store_of(runtime).get(subscriber.id).timezone)


def test_saving_the_preferences_stores_the_chosen_zone_and_the_sites_clears_it(zoned: Runtime) -> None:
    """A zone from the list is stored; the first option (empty) stores None, the site's zone."""
    subscriber = reader(zoned)
    path = preferences_path(zoned, subscriber)
    store = store_of(zoned)
    with client_of(zoned) as client:
        chosen = save(client, path, timezone="Asia/Tokyo")
        stored = store.get(subscriber.id).timezone
        _, shown = zone_select(chosen.text)
        save(client, path, timezone="")
    assert (200, "Asia/Tokyo", ["Asia/Tokyo"], None) == (
        chosen.status_code,
        stored,
        shown,
        store.get(subscriber.id).timezone,
    )


def test_an_alias_zone_is_saved_under_its_current_name_and_only_current_names_are_listed(zoned: Runtime) -> None:
    """A reader stored as "US/Eastern" who saves keeps the same clock under "America/New_York"; a posted
    "Asia/Calcutta " is stored as "Asia/Kolkata"; the list offers no alias of a listed zone."""
    alias = stored_as(zoned, reader(zoned, "alias@example.org"), "US/Eastern")
    other = reader(zoned, "indien@example.org")
    store = store_of(zoned)
    with client_of(zoned) as client:
        page = client.get(preferences_path(zoned, other)).text
        save(client, preferences_path(zoned, alias), timezone="US/Eastern")
        save(client, preferences_path(zoned, other), timezone="Asia/Calcutta ")
    values, _ = zone_select(page)
    assert ("America/New_York", "Asia/Kolkata") == (store.get(alias.id).timezone, store.get(other.id).timezone)
    assert ({"Asia/Kolkata", "Europe/Kyiv"}, set()) == (
        {"Asia/Kolkata", "Europe/Kyiv"} & set(values),
        {"Asia/Calcutta", "Europe/Kiev", "US/Eastern"} & set(values),
    )


def test_a_name_of_no_zone_is_refused_with_a_message_and_nothing_is_saved(zoned: Runtime) -> None:
    """A hand-made post naming no zone gets 400 and a message beside the list; zone and name stay as they were."""
    subscriber = reader(zoned, timezone="Europe/Lisbon")
    with client_of(zoned) as client:
        refused = save(client, preferences_path(zoned, subscriber), timezone="Mars/Olympus_Mons", name="Bernd")
    error = lxml.html.document_fromstring(refused.text).xpath('//*[@id="timezone-error"]')
    kept = store_of(zoned).get(subscriber.id)
    assert (400, "Bitte wählen Sie eine Zeitzone aus der Liste; es wurde nichts gespeichert.") == (
        refused.status_code,
        error[0].text_content(),
    )
    assert ("Europe/Lisbon", "Anna") == (kept.timezone, kept.name)
    assert ["Europe/Lisbon"] == zone_select(refused.text)[1]


def test_changing_the_zone_of_an_unsubscribed_reader_neither_saves_nor_resubscribes(zoned: Runtime) -> None:
    """Consent is untouched: an unsubscribed reader's post changes no zone, no status and adds no consent step."""
    subscriber = reader(zoned, timezone="Europe/Berlin")
    store = store_of(zoned)
    path = preferences_path(zoned, subscriber)
    with client_of(zoned) as client:
        csrf = form_token(client.get(path).text)
        App(zoned).subscription_service().unsubscribe(store.get(subscriber.id), "page")
        before = len(store.consent_records(subscriber.id))
        client.post(
            path,
            data={
                "csrf": csrf,
                "frequency": "daily",
                "timezone": "Asia/Tokyo",
                "newsletters_shown": "1",
                "newsletters": ["daily"],
            },
        )
    after = store.get(subscriber.id)
    assert (SubscriberStatus.UNSUBSCRIBED, "Europe/Berlin", before, []) == (
        after.status,
        after.timezone,
        len(store.consent_records(subscriber.id)),
        store.active_newsletters(after.id),
    )


def test_changing_the_zone_of_an_active_reader_changes_no_subscription_or_consent(zoned: Runtime) -> None:
    """Only the zone changes: the newsletters subscribed and the consent trail stay as they were."""
    subscriber = reader(zoned, newsletters=["daily"])
    store = store_of(zoned)
    before = (store.active_newsletters(subscriber.id), store.consent_records(subscriber.id))
    with client_of(zoned) as client:
        save(client, preferences_path(zoned, subscriber), timezone="America/Chicago")
    after = store.get(subscriber.id)
    assert (before, "America/Chicago", SubscriberStatus.ACTIVE) == (
        (store.active_newsletters(subscriber.id), store.consent_records(subscriber.id)),
        after.timezone,
        after.status,
    )


def sign_up(client: TestClient, email: str, **fields: object) -> None:
    page = client.get("/subscribe")
    answer = client.post(
        "/subscribe", data={"csrf": form_token(page.text), "email": email, "frequency": "daily", **fields}
    )
    assert 200 == answer.status_code


def test_the_browsers_zone_from_the_sign_up_forms_is_kept_through_confirmation(zoned: Runtime) -> None:
    """Our form and the embed send the browser's zone: stored with the sign-up and still there once confirmed;
    no zone (no JavaScript) or a name of no zone means the site's zone."""
    with client_of(zoned) as client:
        sign_up(client, "tokio@example.org", timezone="Asia/Tokyo")
        sign_up(client, "ohne-js@example.org", timezone="")
        sign_up(client, "unsinn@example.org", timezone="Nowhere/Land")
        client.post(
            "/subscribe/embed",
            data={"email": "partner@example.org", "frequency": "daily", "timezone": "America/New_York"},
            headers={"Origin": "https://partner.example", "Sec-Fetch-Site": "cross-site"},
        )
        store = store_of(zoned)
        tokyo = store.get_by_email("tokio@example.org")
        confirm = App(zoned).signer().make(Purpose.CONFIRM, tokyo.id, tokyo.email)
        assert 200 == client.get(f"/confirm?token={confirm}").status_code
    zones = {
        email: (s.status, s.timezone)
        for email in ("tokio@example.org", "ohne-js@example.org", "unsinn@example.org", "partner@example.org")
        if (s := store.get_by_email(email))
    }
    assert {
        "tokio@example.org": (SubscriberStatus.ACTIVE, "Asia/Tokyo"),
        "ohne-js@example.org": (SubscriberStatus.PENDING, None),
        "unsinn@example.org": (SubscriberStatus.PENDING, None),
        "partner@example.org": (SubscriberStatus.PENDING, "America/New_York"),
    } == zones


def test_a_browsers_alias_zone_is_stored_under_its_current_name(zoned: Runtime) -> None:
    """A browser that reports an old alias (Chrome's "Asia/Calcutta") signs the reader up in "Asia/Kolkata"."""
    with client_of(zoned) as client:
        sign_up(client, "indien@example.org", timezone="Asia/Calcutta")
    signed_up = store_of(zoned).get_by_email("indien@example.org")
    assert signed_up is not None
    assert "Asia/Kolkata" == signed_up.timezone


def test_the_sign_up_pages_script_is_the_only_one_the_csp_allows(zoned: Runtime) -> None:
    """The inline script that fills the hidden field runs: the page's CSP names exactly its hash."""
    with client_of(zoned) as client:
        page = client.get("/subscribe")
    scripts = lxml.html.document_fromstring(page.text).xpath("//script")
    digests = [base64.b64encode(hashlib.sha256((s.text or "").encode()).digest()).decode() for s in scripts]
    allowed = re.findall(r"'sha256-([^']+)'", page.headers["content-security-policy"])
    field = lxml.html.document_fromstring(page.text).xpath('//input[@name="timezone"]')
    assert (1, allowed, "hidden") == (len(scripts), digests, field[0].get("type"))


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_zone_list_speaks_only_the_pages_language(zoned: Runtime, language: str) -> None:
    """The list's label, hint, first option and error come from the catalog; the zone names are data (lang zxx)."""
    subscriber = reader(zoned, timezone="Asia/Tokyo")
    data = [*site_data(zoned.settings), *(language_name(code) for code in available_locales())]
    with client_of(zoned) as client:
        path = f"{preferences_path(zoned, subscriber)}&lang={language}"
        shown = client.get(path).text
        refused = save(client, path, timezone="Mars/Olympus_Mons").text
    assert ([], []) == (
        unexplained(visible_texts(shown, language), language, data),
        unexplained(visible_texts(refused, language), language, data),
    )
    assert zone_select(shown)[1] == ["Asia/Tokyo"]


def test_without_a_newsletter_in_reader_zones_the_sign_up_asks_for_no_zone(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    """Where the zone would change nothing, the sign-up page has no script and no zone field, and a zone posted
    anyway (an embed that carries the script) is not kept."""
    runtime = runtime_on(settings, engine, clock)
    with client_of(runtime) as client:
        page = client.get("/subscribe").text
        sign_up(client, "berlin@example.org", timezone="Asia/Tokyo")
    signed_up = store_of(runtime).get_by_email("berlin@example.org")
    assert (False, False, None) == ("<script" in page, 'name="timezone"' in page, signed_up.timezone)
