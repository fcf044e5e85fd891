"""The Atom RELAX NG schema used by the tests is RFC 4287's, converted with rnc2rng."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from tests.feeds.conftest import ATOM_RNG, atom_schema

ATOM_RNC = ATOM_RNG.with_suffix(".rnc")


def _convert(source: Path) -> bytes:
    rnc2rng = pytest.importorskip("rnc2rng", reason="rnc2rng (test dependency) converts the RFC's compact schema")
    converted = rnc2rng.dumps(rnc2rng.load(str(source)))
    # rnc2rng declares the empty "local" namespace as xmlns:local="", which XML 1.0 forbids.
    text = "\n".join(line for line in converted.splitlines() if 'xmlns:local=""' not in line) + "\n"
    return text.encode("utf-8")


def test_rng_is_the_conversion_of_the_rnc() -> None:
    """atom.rng is exactly what rnc2rng makes of atom.rnc (regenerate with UPDATE_GOLDEN=1)."""
    converted = _convert(ATOM_RNC)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        ATOM_RNG.write_bytes(converted)
    assert ATOM_RNG.read_bytes() == converted


def test_schema_rejects_feedgen_cdata_content_type() -> None:
    """The schema is not a rubber stamp: type="CDATA" content and a date without time are invalid."""
    document = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-01-01</updated>'
        b'<entry><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>'
        b'<content type="CDATA">x</content></entry></feed>'
    )
    assert False is atom_schema().validate(document)
