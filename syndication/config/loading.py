"""Reading config.toml and the ``SYNDICATION_<SECTION>__<KEY>`` overrides into :class:`Settings`."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from syndication.config.pydantic_messages import PYDANTIC_MESSAGES
from syndication.config.settings import Settings
from syndication.errors import BadValue, ConfigError, Message, Words

ENV_PREFIX = "SYNDICATION_"
CONFIG_ENV = "SYNDICATION_CONFIG"
DEFAULT_CONFIG_FILE = "config.toml"

# Words that mark a key as a secret: such keys are refused in config.toml.
_SECRET_WORDS = ("password", "api_key", "apikey", "secret", "private_key", "token")


def _refuse_secrets(data: Any, path: str, file: Path) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else key
            if any(word in key.lower() for word in _SECRET_WORDS):
                raise ConfigError(
                    "%(file)s: %(place)s: secrets are not read from the config file; set them in the environment",
                    file=file,
                    place=where,
                )
            _refuse_secrets(value, where, file)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _refuse_secrets(value, f"{path}[{index}]", file)


def _env_value(raw: str) -> Any:
    stripped = raw.strip()
    if stripped.startswith(("[", "{")):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Apply ``SYNDICATION_<SECTION>__<KEY>=value`` (nested with more ``__``) onto ``data``."""
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(parts):
            raise ConfigError("%(name)s: malformed override; expected SYNDICATION_<SECTION>__<KEY>", name=name)
        target = data
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                raise ConfigError("%(name)s: %(parts)s is not a section", name=name, parts=".".join(parts[:-1]))
            target = nested
        target[parts[-1]] = _env_value(raw)
    return data


def _expectation(problem: ErrorDetails) -> object:
    """What pydantic expected, as a message the catalogs translate (syndication.config.pydantic_messages):
    "Input should be a valid integer" → "a valid integer"; our validators' own (a BadValue) as they are."""
    context = dict(problem.get("ctx") or {})
    if problem["type"] in ("value_error", "assertion_error") and "error" in context:
        error = context["error"]
        return error if isinstance(error, BadValue) else str(error)
    msgid = PYDANTIC_MESSAGES.get(problem["type"])
    if problem["type"] in ("enum", "literal_error") and " or " in str(context.get("expected", "")):
        # The choices as pydantic joins them ("'a', 'b' or 'c'"): the values as they are, the "or" translated.
        choices, last = str(context["expected"]).rsplit(" or ", 1)
        return Message("%(choices)s or %(last)s", choices=choices, last=last)
    if msgid is None:
        # Only a placeholder (one choice), or a type this pydantic does not list.
        return str(problem["msg"]).removeprefix("Input should be ")
    # pydantic makes "item" or "items" itself; the values here are those it would fill in.
    counts = [context[name] for name in _COUNTED if isinstance(context.get(name), int)]
    context.setdefault("expected_plural", "" if counts and counts[0] == 1 else "s")
    return Message(msgid, **{name: str(value) for name, value in context.items()})


_COUNTED = ("min_length", "max_length", "max_digits", "decimal_places", "whole_digits")


class InvalidSettings(ConfigError):
    """The settings do not validate: one problem or several (each naming the file, the key and what is wrong)."""

    def __init__(self, problems: list[Message]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        # No template of its own: each problem is translated (translated() below).
        self.template = ""
        self.problems = problems

    def translated(self, words: Words) -> str:
        return "; ".join(problem.translated(words) for problem in self.problems)


def _validation_problems(error: ValidationError, origin: str) -> list[Message]:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        given = problem.get("input")
        if problem["type"] == "extra_forbidden":
            lines.append(Message("%(file)s: %(key)s: unknown key", file=origin, key=key))
        elif problem["type"] == "missing":
            lines.append(Message("%(file)s: %(key)s: required key is missing", file=origin, key=key))
        else:
            lines.append(
                Message(
                    "%(file)s: %(key)s: bad value %(given)s: expected %(expected)s",
                    file=origin,
                    key=key,
                    given=repr(given),
                    expected=_expectation(problem),
                )
            )
    return lines


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, override and validate the configuration; raise ConfigError naming what is wrong.

    Without ``path``, ``SYNDICATION_CONFIG`` or ``./config.toml`` is used; when neither
    exists the built-in defaults apply.
    """
    env = os.environ if env is None else env
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    explicit = path is not None
    file = path if path is not None else Path(DEFAULT_CONFIG_FILE)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("%(file)s: not valid TOML: %(exc)s", file=file, exc=exc) from exc
        except OSError as exc:
            raise ConfigError("%(file)s: cannot read: %(strerror)s", file=file, strerror=exc.strerror) from exc
        _refuse_secrets(data, "", file)
    elif explicit:
        raise ConfigError("%(file)s: config file not found", file=file)
    data = apply_env_overrides(data, env)
    data.setdefault("base_dir", str(file.resolve().parent))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise InvalidSettings(_validation_problems(exc, str(file))) from None
