"""Reading config.toml and the ``SYNDICATION_<SECTION>__<KEY>`` overrides into :class:`Settings`."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from syndication.config.settings import Settings
from syndication.errors import ConfigError

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
                    f"{file}: {where}: secrets are not read from the config file; set them in the environment"
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
            raise ConfigError(f"{name}: malformed override; expected SYNDICATION_<SECTION>__<KEY>")
        target = data
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                raise ConfigError(f"{name}: {'.'.join(parts[:-1])} is not a section")
            target = nested
        target[parts[-1]] = _env_value(raw)
    return data


def _expectation(message: str) -> str:
    """Pydantic's message as what was expected: "Input should be a valid integer" → "a valid integer"."""
    for prefix in ("Value error, ", "Input should be "):
        message = message.removeprefix(prefix)
    return message


def _format_validation_error(error: ValidationError, origin: str) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        given = problem.get("input")
        if problem["type"] == "extra_forbidden":
            lines.append(f"{origin}: {key}: unknown key")
        elif problem["type"] == "missing":
            lines.append(f"{origin}: {key}: required key is missing")
        else:
            lines.append(f"{origin}: {key}: bad value {given!r}: expected {_expectation(problem['msg'])}")
    return "; ".join(lines)


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
            raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
        _refuse_secrets(data, "", file)
    elif explicit:
        raise ConfigError(f"{file}: config file not found")
    data = apply_env_overrides(data, env)
    data.setdefault("base_dir", str(file.resolve().parent))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(file))) from None
