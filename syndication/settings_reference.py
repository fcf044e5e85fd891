"""The configuration reference, generated from the settings model so that it cannot drift.

Names, types, defaults and environment variables come from :mod:`syndication.config`; the one-line texts come
from ``docs/settings.toml``. The docs build (``docs/hooks.py``) renders the reference, and ``tests/docs`` fails
when a setting has no text or a text names a setting that is gone.
"""

from __future__ import annotations

import json
import tomllib
import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel

from syndication.config import ENV_PREFIX, Settings

# Settings that are not configuration: the config file's folder is set by the loader.
_NOT_SETTINGS = frozenset({"base_dir"})


@dataclass(frozen=True)
class SettingInfo:
    section: str  # "site", "delivery.smtp", "sources" (an array of tables)…
    key: str
    type: str
    default: str
    env: str | None  # None for keys of arrays of tables, which are set as a whole

    @property
    def path(self) -> str:
        return f"{self.section}.{self.key}"


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model, is_array) when ``annotation`` is a section model or a tuple of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], True
    return None, False


def type_name(annotation: Any) -> str:
    """A reader's name for a setting's type: "string", "list of strings", "one of `a`, `b`"…"""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        present = [arg for arg in args if arg is not type(None)]
        name = " or ".join(type_name(arg) for arg in present)
        return f"{name} (optional)" if len(present) < len(args) else name
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in args)
    if origin is tuple:
        return f"list of {type_name(args[0])}s" if args else "list"
    if origin is dict:
        return f"table of {type_name(args[1])}"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _toml_value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def settings_info(model: type[BaseModel] = Settings, section: str = "", array: bool = False) -> list[SettingInfo]:
    """Every setting of ``model``, depth first, in the order the model declares them."""
    found: list[SettingInfo] = []
    for name, field in model.model_fields.items():
        if name in _NOT_SETTINGS:
            continue
        inner, is_array = _model_of(field.annotation)
        where = f"{section}.{name}" if section else name
        if inner is not None:
            found.extend(settings_info(inner, where, array or is_array))
            continue
        default = "required" if field.is_required() else _toml_value(field.get_default(call_default_factory=True))
        env = None if array else ENV_PREFIX + "__".join(part.upper() for part in where.split("."))
        found.append(SettingInfo(section, name, type_name(field.annotation), default, env))
    return found


def load_descriptions(path: Path) -> dict[str, str]:
    """``docs/settings.toml`` flattened to ``{"site.name": "…"}``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    flat: dict[str, str] = {}

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            where = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(value, where)
            else:
                flat[where] = str(value)

    walk(data, "")
    return flat


def undocumented(descriptions: dict[str, str], model: type[BaseModel] = Settings) -> list[str]:
    """Settings of ``model`` that have no text."""
    return [info.path for info in settings_info(model) if not descriptions.get(info.path, "").strip()]


def stale(descriptions: dict[str, str], model: type[BaseModel] = Settings) -> list[str]:
    """Texts for settings that ``model`` does not have."""
    known = {info.path for info in settings_info(model)}
    return sorted(set(descriptions) - known)


def render_reference(descriptions: dict[str, str]) -> str:
    """The reference as Markdown: one table per section."""
    lines: list[str] = []
    current = None
    arrays = {"sources", "digest.editions", "webhooks", "newsletters"}
    for info in settings_info():
        if info.section != current:
            current = info.section
            header = f"[[{current}]]" if current in arrays else f"[{current}]"
            lines += ["", f"### `{header}`", "", "| Key | Type | Default | Environment | Meaning |"]
            lines.append("|---|---|---|---|---|")
        text = descriptions.get(info.path, "").replace("|", "\\|").replace("\n", " ")
        default = info.default.replace("|", "\\|")
        env = f"`{info.env}`" if info.env else "—"
        lines.append(f"| `{info.key}` | {info.type} | `{default}` | {env} | {text} |")
    return "\n".join(lines).lstrip("\n") + "\n"
