"""The OpenAPI 3.1 description of the HTTP API, served at ``/openapi.json``.

Written by hand beside the routes it describes (Starlette does not derive one); the suite keeps the two honest:
``tests/openapi`` runs schemathesis against the live app and fails on any answer the document does not allow.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from syndication.config import Settings

OPENAPI_PATH = "/openapi.json"
_JSON = "application/json"
_HTML = "text/html"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {_JSON: {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _html(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {_HTML: {"schema": {"type": "string"}}}}
    if headers:
        answer["headers"] = headers
    return answer


_NULLABLE_STRING = {"type": ["string", "null"]}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}}
_ETAG = {"ETag": {"description": "Strong validator of the body; send it back in If-None-Match.",
                  "schema": {"type": "string"}}}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "A short machine-readable code."},
            "message": {"type": "string"},
            "parameter": {"type": ["string", "null"], "description": "The query parameter that was wrong."},
            "retry_after": {"type": "integer"},
        },
    },
    "NinjsItem": {
        "type": "object",
        "description": "One article as an IPTC ninjs 2.x item (see the partner guide for every field).",
        "required": ["uri", "type", "version", "language", "headlines"],
        "properties": {
            "uri": {"type": "string"},
            "type": {"type": "string"},
            "version": {"type": "string"},
            "language": {"type": "string"},
            "headlines": {"type": "array", "items": {"type": "object"}},
            "pubStatus": {"type": "string"},
        },
    },
    "ItemsPage": {
        "type": "object",
        "required": ["items", "next", "has_more"],
        "properties": {
            "items": {"type": "array", "items": _ref("NinjsItem")},
            "next": {"type": ["string", "null"], "description": "Cursor for the next call's `since`."},
            "has_more": {"type": "boolean"},
        },
    },
    "RunRecord": {
        "type": "object",
        "required": ["started_at", "outcome"],
        "properties": {
            "started_at": {"type": "string"},
            "finished_at": _NULLABLE_STRING,
            "duration_seconds": {"type": ["number", "null"]},
            "outcome": {"type": "string"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "error": _NULLABLE_STRING,
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "problems"],
        "properties": {
            "status": {"enum": ["ok", "failing"]},
            "now": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "string"}},
            "jobs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "schedule"],
                    "properties": {
                        "id": {"type": "string"},
                        "schedule": {"type": "string"},
                        "last_run": {"anyOf": [_ref("RunRecord"), {"type": "null"}]},
                        "next_run": _NULLABLE_STRING,
                    },
                },
            },
            "editions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "last_edition": {"type": ["object", "null"]},
                        "last_send": {"type": ["object", "null"]},
                        "note": _NULLABLE_STRING,
                    },
                },
            },
        },
    },
    "WebhookReport": {
        "type": "object",
        "required": ["applied", "duplicates", "ignored", "unmatched"],
        "properties": {
            name: {"type": "integer", "minimum": 0} for name in ("applied", "duplicates", "ignored", "unmatched")
        },
    },
    "SendgridEvent": {
        "type": "object",
        "description": "One SendGrid Event Webhook event (delivered, bounce, dropped, spamreport, unsubscribe…).",
        "properties": {
            "email": {"type": "string"},
            "event": {"type": "string"},
            "timestamp": {"type": "integer"},
            "sg_event_id": {"type": "string"},
        },
    },
}

_PAGE_PARAMETERS = [
    {
        "name": "since",
        "in": "query",
        "description": "The `next` cursor of the previous page; without it, the first page (items) or latest (feed).",
        "schema": {"type": "string"},
    },
    {
        "name": "limit",
        "in": "query",
        "description": "Items per page, 1–500 (default `[partners] page_limit`).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
    },
    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
]


_WAIT = {
    "name": "wait",
    "in": "query",
    "description": "Long-poll: when there is nothing new, hold the answer up to this many seconds (at most 30; more "
    "counts as 30) until a new version arrives.",
    "schema": {"type": "integer", "minimum": 0},
}


def _partner_responses(ok: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": ok,
        "304": {"description": "Not modified: the If-None-Match ETag is still current.", "headers": _ETAG},
        "400": _json("A query parameter is wrong; `parameter` names it.", _ref("Error")),
        "401": _json("No, an unknown or a revoked key.", _ref("Error")),
        "429": _json("The key's rate limit is spent.", _ref("Error"), _RETRY_AFTER),
        "503": _json("The partner API is not configured (no secret key).", _ref("Error")),
    }


_TOKEN = {"name": "token", "in": "query", "required": True, "description": "The signed token from the mail's link.",
          "schema": {"type": "string"}}
_PAGE = {"200": _html("The page."), "400": _html("The link is invalid or expired; the page says which.")}


def _paths() -> dict[str, Any]:
    return {
        "/": {
            "get": {
                "tags": ["pages"],
                "summary": "The front page: the feeds (with autodiscovery links), the archive and the sign-up",
                "responses": {"200": _html("The page.")},
            }
        },
        "/healthz": {
            "get": {
                "tags": ["health"],
                "summary": "Scheduler health",
                "description": "Each job's last and next run, each edition's last send; 503 when something failed "
                "or a collect is overdue.",
                "responses": {
                    "200": _json("Healthy.", _ref("Health")),
                    "503": _json("Failing: `problems` says why.", _ref("Health")),
                },
            }
        },
        "/metrics": {
            "get": {
                "tags": ["health"],
                "summary": "Prometheus metrics",
                "description": "Prometheus text format: sends and failures, queue depths and lag, event ingestion, "
                "feed builds and job runs (read from the store at scrape time, the same from every process) and "
                "this process's HTTP latencies. With `SYNDICATION_METRICS_TOKEN` set, a scrape presents it as a "
                "bearer token; without it, only the machine itself may scrape (directly, not through a proxy).",
                # Either: the token, or none from the machine itself.
                "security": [{"metricsToken": []}, {}],
                "responses": {
                    "200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    "401": {
                        "description": "A token is set and the request did not present it.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                    },
                    "403": {
                        "description": "No token is set and the request came from elsewhere.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                },
            }
        },
        "/partners/v1/items": {
            "get": {
                "tags": ["partners"],
                "summary": "Item versions as ninjs, by cursor (long-poll with wait)",
                "security": [{"partnerKey": []}],
                "parameters": [*_PAGE_PARAMETERS, _WAIT],
                "responses": _partner_responses(_json("A page of items.", _ref("ItemsPage"), _ETAG)),
            }
        },
        "/partners/v1/feed.atom": {
            "get": {
                "tags": ["partners"],
                "summary": "Full-content Atom feed of the partner's articles",
                "security": [{"partnerKey": []}],
                "parameters": _PAGE_PARAMETERS,
                "responses": _partner_responses(
                    {
                        "description": "An Atom feed (RFC 4287) with the rights and licence of the partner's terms.",
                        "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        "headers": _ETAG,
                    }
                ),
            }
        },
        "/webhooks/sendgrid": {
            "post": {
                "tags": ["webhook"],
                "summary": "SendGrid Event Webhook (signed)",
                "description": "Verified with the ECDSA public key in `[subscribers] sendgrid_webhook_public_key`; "
                "bounces, spam reports and unsubscribes suppress the address.",
                "parameters": [
                    {"name": "X-Twilio-Email-Event-Webhook-Signature", "in": "header", "schema": {"type": "string"}},
                    {"name": "X-Twilio-Email-Event-Webhook-Timestamp", "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": {"type": "array", "items": _ref("SendgridEvent")}}},
                },
                "responses": {
                    "200": _json("Events applied.", _ref("WebhookReport")),
                    "400": _json("Signed, but not a list of events.", _ref("Error")),
                    "403": _json("Signature missing, wrong or too old; or no key configured.", _ref("Error")),
                    "413": _json("Body too large.", _ref("Error")),
                    "503": _json("No event store wired into the app.", _ref("Error")),
                },
            }
        },
        "/r/{token}": {
            "get": {
                "tags": ["subscribers"],
                "summary": "Click redirect of a digest's article link ([tracking] clicks)",
                "description": "Counts the click for (edition, article, variant) and redirects to the article's "
                "current URL from the store; the token is signed and expires after `[tracking] link_days`. "
                "Never redirects to a URL taken from the request.",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "302": {"description": "To the article (an expired link: to the front page)."},
                    "404": {"description": "A forged or damaged token, or an unknown article."},
                },
            }
        },
        "/subscribe": {
            "get": {"tags": ["subscribers"], "summary": "Sign-up form", "responses": {"200": _html("The form.")}},
            "post": {
                "tags": ["subscribers"],
                "summary": "Sign up (double opt-in: a confirmation mail is sent)",
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "email": {"type": "string"},
                                    "name": {"type": "string"},
                                    "frequency": {"type": "string"},
                                    "topics": {"type": "array", "items": {"type": "string"}},
                                    "csrf": {"type": "string", "description": "The form token of the GET form."},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "200": _html("Confirmation mail sent (the same answer for known addresses)."),
                    "400": _html("The form has errors, or its form token expired."),
                    "429": _html("Too many sign-ups from this client.", _RETRY_AFTER),
                },
            },
        },
        "/subscribe/embed": {
            "post": {
                "tags": ["subscribers"],
                "summary": "Sign up from a form embedded on another site (`[subscribers] embed_origins`)",
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
                "responses": {
                    "200": _html("Confirmation mail sent (the same answer for known addresses)."),
                    "400": _html("The form has errors, or its form token expired."),
                    "403": _html("The form was posted from a site that is not allowed."),
                    "429": _html("Too many sign-ups from this client.", _RETRY_AFTER),
                },
            }
        },
        "/confirm": {
            "get": {"tags": ["subscribers"], "summary": "Confirm a sign-up", "parameters": [_TOKEN], "responses": _PAGE}
        },
        "/preferences": {
            "get": {"tags": ["subscribers"], "summary": "Preferences form", "parameters": [_TOKEN], "responses": _PAGE},
            "post": {
                "tags": ["subscribers"],
                "summary": "Save preferences",
                "parameters": [_TOKEN],
                "responses": _PAGE,
            },
        },
        "/unsubscribe": {
            "get": {"tags": ["subscribers"], "summary": "Unsubscribe page", "parameters": [_TOKEN], "responses": _PAGE},
            "post": {
                "tags": ["subscribers"],
                "summary": "Unsubscribe (also RFC 8058 one-click)",
                "parameters": [_TOKEN],
                "responses": _PAGE,
            },
        },
        OPENAPI_PATH: {
            "get": {
                "tags": ["meta"],
                "summary": "This document",
                "responses": {"200": _json("OpenAPI 3.1 document.", {"type": "object"})},
            }
        },
    }


def openapi_document(settings: Settings, version: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this site's HTTP API."""
    if version is None:
        try:
            version = installed_version("syndication")
        except PackageNotFoundError:  # running from a source tree that was never installed
            version = "0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.site.name}: syndication HTTP API",
            "version": version,
            "description": "The partner API (ninjs and Atom), the SendGrid Event Webhook, the subscriber pages and "
            "the health check of a `syndication serve` process.",
        },
        "servers": [{"url": settings.site.url.rstrip("/")}],
        "tags": [{"name": name} for name in ("partners", "webhook", "subscribers", "pages", "health", "meta")],
        "paths": _paths(),
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "partnerKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner key from `syndication partners add`.",
                },
                "metricsToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token set in `SYNDICATION_METRICS_TOKEN` (Prometheus: `authorization`).",
                },
            },
        },
    }


def routes(settings: Settings) -> list[BaseRoute]:
    """``GET /openapi.json``."""
    document = openapi_document(settings)

    def serve(_request: Request) -> JSONResponse:
        return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})

    return [Route(OPENAPI_PATH, serve, methods=["GET"])]
