"""MkDocs hooks: pages generated from the code, so that they cannot drift from it.

- ``<!-- settings-reference -->`` becomes the configuration reference (syndication.settings_reference).
- ``<!-- layers -->`` becomes the layers and the independent features, drawn from the import-linter contract in
  pyproject.toml (the contract tests/app/test_contract.py runs).
- ``<!-- openapi-reference -->`` becomes the HTTP API reference, rendered from syndication.openapi; the build
  also publishes the document itself as ``openapi.json`` beside the pages.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

from syndication.config import Settings
from syndication.openapi import openapi_document
from syndication.settings_reference import load_descriptions, render_reference, stale, undocumented

DOCS = Path(__file__).resolve().parent
LAYER_NAMES = ("entry points", "composition", "features", "core")


def render_layers(pyproject: Path) -> str:
    """The contract as Markdown: the layers, top to bottom, then the edges still waiting to be undone."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]
    contracts = {contract["id"]: contract for contract in config["contracts"]}
    layers = contracts["layers"]["layers"]
    if len(layers) != len(LAYER_NAMES):
        raise ValueError(f"pyproject.toml: {len(layers)} layers; the architecture page names {len(LAYER_NAMES)}")
    lines = ["| layer | modules (imports point only downwards) |", "|---|---|"]
    for name, layer in zip(LAYER_NAMES, layers, strict=True):
        modules = [module.strip() for module in layer.replace("|", ":").split(":")]
        lines.append(f"| {name} | {' · '.join(f'`{module}`' for module in modules)} |")
    independent = " · ".join(f"`{module}`" for module in contracts["features"]["modules"])
    lines += ["", f"Features that may not import each other: {independent}."]
    pending = sorted({*contracts["layers"].get("ignore_imports", ()), *contracts["features"].get("ignore_imports", ())})
    if pending:
        lines += ["", "Imports the contract still tolerates, each to be undone (none may be added):", ""]
        lines += [f"- `{edge}`" for edge in pending]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if schema.get("type") == "array" and "items" in schema:
        return f"array of {_schema_name(schema['items'])}"
    kind = schema.get("type", "object")
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def render_openapi(document: dict[str, Any]) -> str:
    """The document as Markdown: one section per operation, then the schemas."""
    lines: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            lines += ["", f"### `{method.upper()} {path}`", "", f"**{operation['summary']}**"]
            if operation.get("description"):
                lines += ["", " ".join(operation["description"].split())]
            if operation.get("security"):
                lines += ["", "Needs `Authorization: Bearer <partner key>`."]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["", "| Parameter | In | Type | Meaning |", "|---|---|---|---|"]
                for parameter in parameters:
                    required = " (required)" if parameter.get("required") else ""
                    lines.append(
                        f"| `{parameter['name']}`{required} | {parameter['in']} | "
                        f"{_schema_name(parameter.get('schema', {}))} | {_cell(parameter.get('description', ''))} |"
                    )
            body = operation.get("requestBody", {}).get("content", {})
            for media_type, content in body.items():
                lines += ["", f"Request body: `{media_type}`, {_schema_name(content.get('schema', {}))}."]
            lines += ["", "| Status | Content | Meaning |", "|---|---|---|"]
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                kinds = ", ".join(f"`{media}` {_schema_name(c.get('schema', {}))}" for media, c in content.items())
                lines.append(f"| {status} | {kinds or '—'} | {_cell(answer['description'])} |")
    lines += ["", "### Schemas"]
    for name, schema in document["components"]["schemas"].items():
        lines += ["", f"#### {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        properties = schema.get("properties", {})
        if properties:
            required = set(schema.get("required", ()))
            lines += ["| Field | Type | Required |", "|---|---|---|"]
            for field, field_schema in properties.items():
                lines.append(f"| `{field}` | {_schema_name(field_schema)} | {'yes' if field in required else ''} |")
    return "\n".join(lines).lstrip("\n") + "\n"


def _document() -> dict[str, Any]:
    return openapi_document(Settings(), version="current")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- settings-reference -->" in markdown:
        descriptions = load_descriptions(DOCS / "settings.toml")
        missing, gone = undocumented(descriptions), stale(descriptions)
        if missing or gone:
            raise ValueError(f"docs/settings.toml: no text for {missing}; texts for unknown settings {gone}")
        markdown = markdown.replace("<!-- settings-reference -->", render_reference(descriptions))
    if "<!-- layers -->" in markdown:
        markdown = markdown.replace("<!-- layers -->", render_layers(DOCS.parent / "pyproject.toml"))
    if "<!-- openapi-reference -->" in markdown:
        markdown = markdown.replace("<!-- openapi-reference -->", render_openapi(_document()))
    return markdown


def on_files(files: Files, config: Any) -> Files:
    # A generated file, so that pages may link to it and the strict build checks those links.
    document = json.dumps(_document(), indent=2, ensure_ascii=False) + "\n"
    files.append(File.generated(config, "openapi.json", content=document))
    return files
