"""Partner scope, embargo time and the terms an item carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syndication.config import PartnersConfig, SiteConfig
from syndication.partners.model import Partner
from syndication.testing import make_article


def partner(**fields: Any) -> Partner:
    return Partner(id=1, name="Rheinpfalz", key_prefix="synd_abcdefgh", **fields)


def test_empty_scope_covers_everything() -> None:
    """A partner without categories or regions sees every article."""
    assert partner().covers(make_article(categories=("Sport",), regions=()))


def test_scope_needs_a_shared_category_and_region() -> None:
    """With both lists set, an article must share a category and a region."""
    scoped = partner(categories=("Politik", "Wirtschaft"), regions=("Kaiserslautern",))
    assert [True, False, False] == [
        scoped.covers(make_article(categories=("Politik",), regions=("Kaiserslautern",))),
        scoped.covers(make_article(categories=("Sport",), regions=("Kaiserslautern",))),
        scoped.covers(make_article(categories=("Politik",), regions=("Mainz",))),
    ]


def test_visible_from_adds_the_embargo_to_publication() -> None:
    """The embargo ends the given minutes after publication."""
    article = make_article(1)
    assert datetime(2026, 11, 23, 7, 0, tzinfo=UTC) == partner(embargo_minutes=120).visible_from(article)


def test_terms_default_to_configuration_and_may_be_overridden() -> None:
    """Rights text, licence and attribution come from [partners] unless the partner has its own."""
    config = PartnersConfig()
    default = partner().terms(config, SiteConfig())
    own = partner(rights_text="Print und online", attribution="Quelle: PR").terms(config, SiteConfig())
    assert (config.rights_text, config.licence_url, config.attribution) == (
        default.rights_text, default.licence_url, default.attribution,
    )
    assert ("Print und online", config.licence_url, "Quelle: PR") == (own.rights_text, own.licence_url, own.attribution)
    assert "Print und online. Quelle: PR. " + config.licence_url == own.usage_terms
