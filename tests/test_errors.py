"""The one exception hierarchy: a bad field found deep in a parser still names its input."""

from __future__ import annotations

import ast
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

from syndication.errors import BadField, InputError
from syndication.i18n import ERROR_KEYWORDS, translator


def test_a_bad_field_is_reported_naming_its_input() -> None:
    """The code that knows the input turns a bad field into an InputError naming input, field and cause."""
    error = BadField("published", "missing").at("content/a.md")
    assert (InputError, "content/a.md: published: missing", "content/a.md", "published", "missing") == (
        type(error),
        str(error),
        error.where,
        error.field,
        error.reason,
    )


def test_a_bad_field_travels_back_from_a_worker_process() -> None:
    """Pickled (as a process pool returns it), a bad field keeps its field and message."""
    copy = pickle.loads(pickle.dumps(BadField("title", "missing")))
    assert (BadField, "title", "missing", "title: missing") == (type(copy), copy.field, copy.reason, str(copy))


# -- every error can be translated ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
# Errors that carry a code, not a message (the pages turn TokenInvalid's "expired"/"invalid"/"used" into words).
NOT_MESSAGES = frozenset({"TokenInvalid"})
# Errors that build their message themselves (a template through N_() in their __init__).
OWN_MESSAGES = frozenset({"AccessForbidden", "PartnerNotFound", "InvalidCursor", "InvalidSettings"})
# A message whose msgid comes from N_() msgids elsewhere: pydantic's (syndication/config/pydantic_messages.py), a
# recipient's problem (syndication.mail.base.recipient_problem).
FROM_A_TABLE = frozenset({("syndication/config/loading.py", "msgid"), ("syndication/delivery/sending.py", "problem")})
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdrgx]")


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for folder in ("syndication", "subscribers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name != "syndication/errors.py":
                yield name, ast.parse(path.read_text(encoding="utf-8"))


def error_classes(modules: list[tuple[str, ast.Module]]) -> set[str]:
    """The names of SyndicationError and every class that derives from it (by name, across the code)."""
    known = {
        "SyndicationError",
        "ConfigError",
        "UsageError",
        "InputError",
        "BadField",
        "SourceUnavailable",
        "TemplateError",
        "DeliveryError",
        "LockHeld",
        "BadValue",
    }
    classes = [node for _, module in modules for node in ast.walk(module) if isinstance(node, ast.ClassDef)]
    grown = True
    while grown:
        grown = False
        for node in classes:
            bases = {getattr(base, "id", None) or getattr(base, "attr", None) for base in node.bases}
            if node.name not in known and bases & known:
                known.add(node.name)
                grown = True
    return known


def _literal(call: ast.Call, position: int) -> tuple[str | None, list[ast.keyword]]:
    """The text Babel extracts from a message argument (a string, or ``_("…")``/``N_("…")`` around one) and
    the values given for its placeholders."""
    node = call.args[position] if position < len(call.args) else None
    keywords = call.keywords
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "N_") and node.args:
        keywords = node.keywords if getattr(node.func, "id", None) == "_" else keywords
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, keywords
    return None, keywords


def untranslatable_raises(modules: list[tuple[str, ast.Module]]) -> list[str]:
    """Each place that makes an error whose message Babel cannot extract, or whose placeholders it fills not."""
    classes = error_classes(modules)
    problems = []
    for name, module in modules:
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Raise)
                and name.startswith("syndication/config/")
                and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", None) == "ValueError"
            ):
                problems.append(f"{name}:{node.lineno}: a validator raises BadValue (translated), not ValueError")
            if isinstance(node, ast.ClassDef) and node.name in OWN_MESSAGES - {"InvalidSettings"}:
                # Such a class hands super().__init__ its template marked with N_().
                marked = [
                    call
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call)
                    and any(
                        getattr(arg, "func", None) is not None
                        and getattr(arg.func, "id", None) == "N_"
                        and _literal(arg, 0)[0] is not None
                        for arg in call.args
                    )
                ]
                if not marked:
                    problems.append(f"{name}:{node.lineno}: {node.name} builds its message without N_()")
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if called not in classes | {"Message"} or called in NOT_MESSAGES | OWN_MESSAGES:
                continue
            place = f"{name}:{node.lineno}: {called}"
            if called not in ERROR_KEYWORDS:
                problems.append(f"{place} is not in syndication.i18n.ERROR_KEYWORDS")
                continue
            position = ERROR_KEYWORDS[called][0] - 1
            message, keywords = _literal(node, position)
            if position < len(node.args) and (name, getattr(node.args[position], "id", None)) in FROM_A_TABLE:
                continue
            if message is None:
                problems.append(f"{place}: the message is not a string Babel can extract")
                continue
            given = {keyword.arg for keyword in keywords}
            if None not in given and set(_PLACEHOLDER.findall(message)) - given:
                problems.append(f"{place}: a placeholder of {message!r} has no value")
    return problems


def test_every_error_is_raised_with_a_message_babel_extracts() -> None:
    """No error is made with an f-string, a concatenation or a variable as its message: each is a template
    (``%(name)s``) with its values, which Babel finds and the catalogs translate."""
    assert [] == untranslatable_raises(list(_sources()))


def test_an_untranslatable_raise_is_named() -> None:
    """The check names an f-string message, a subclass Babel does not know and a placeholder without value."""
    code = ast.parse(
        "class Odd(ConfigError): pass\n"
        "raise ConfigError(f'{key} is bad')\n"
        "raise Odd('bad')\n"
        "raise InputError(where, 'bad %(value)s', 'field')\n"
        "raise InputError(where, 'bad %(value)s', value=1)\n"
    )
    assert [
        "x.py:2: ConfigError: the message is not a string Babel can extract",
        "x.py:3: Odd is not in syndication.i18n.ERROR_KEYWORDS",
        "x.py:4: InputError: a placeholder of 'bad %(value)s' has no value",
    ] == untranslatable_raises([("x.py", code)])


def test_an_error_is_english_as_text_and_translated_on_request() -> None:
    """``str()`` is the English text; ``translated`` looks the template up and fills in the values verbatim."""
    error = BadField("title", "missing: every article needs a title").at("content/a.md")
    german = translator("de")
    assert (
        "content/a.md: title: missing: every article needs a title",
        "content/a.md: title: fehlt: jeder Artikel braucht einen Titel",
    ) == (str(error), error.translated(german))


def test_a_translated_error_travels_back_from_a_worker_process() -> None:
    """Pickled, an error keeps its template and values (and so its translation)."""
    copy = pickle.loads(pickle.dumps(InputError("a.csv:3", "not UTF-8 (byte %(byte)s)", byte=7)))
    assert (InputError, "a.csv:3: not UTF-8 (byte 7)", "a.csv:3", {"byte": 7}) == (
        type(copy),
        str(copy),
        copy.where,
        copy.values,
    )
