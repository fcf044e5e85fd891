"""The one exception hierarchy: a bad field found deep in a parser still names its input."""

from __future__ import annotations

import pickle

from syndication.errors import BadField, InputError


def test_a_bad_field_is_reported_naming_its_input() -> None:
    """The code that knows the input turns a bad field into an InputError naming input, field and cause."""
    error = BadField("published", "missing").at("content/a.md")
    assert (InputError, "content/a.md: published: missing", "content/a.md", "published", "missing") == (
        type(error), str(error), error.where, error.field, error.reason
    )


def test_a_bad_field_travels_back_from_a_worker_process() -> None:
    """Pickled (as a process pool returns it), a bad field keeps its field and message."""
    copy = pickle.loads(pickle.dumps(BadField("title", "missing")))
    assert (BadField, "title", "missing", "title: missing") == (type(copy), copy.field, copy.reason, str(copy))
