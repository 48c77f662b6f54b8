"""The OpenAPI description of the webhook endpoints, published at /webhooks/openapi.json.

Built from the same pydantic models that validate the requests, so it cannot drift.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from webhooks.jaas import Envelope
from webhooks.prosody import PATHS, RoomEvent

_, _DEFS = models_json_schema(
    [(RoomEvent, "validation"), (Envelope, "validation")],
    ref_template="#/components/schemas/{model}",
)
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
}
_STORED = {
    "type": "object",
    "properties": {
        "stored": {"type": "boolean"},
        "duplicate": {"type": "boolean"},
        "ignored": {"type": "string"},
    },
}


def _responses() -> dict[str, Any]:
    def error(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    return {
        "200": {
            "description": "Committed durably (or already stored: duplicate true)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stored"}}},
        },
        "400": error("Malformed JSON or wrong shape; `field` names the culprit"),
        "401": error("Missing or wrong credentials"),
        "413": error("Body too large"),
        "503": error("Could not store; retry later"),
    }


def _operation(summary: str, schema: str, security: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "security": [{security: []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                },
            },
            "responses": _responses(),
        }
    }


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Facilitation webhooks", "version": "1"},
    "paths": {
        **{
            f"/webhooks/prosody/events/{kind}/{action}": _operation(
                f"Prosody event_sync: {name}", "RoomEvent", "prosodyBearer"
            )
            for (kind, action), name in PATHS.items()
        },
        "/webhooks/jaas": _operation("JaaS-style signed event", "Envelope", "jaasSignature"),
    },
    "components": {
        "schemas": {**_DEFS.get("$defs", {}), "Error": _ERROR, "Stored": _STORED},
        "securitySchemes": {
            "prosodyBearer": {"type": "http", "scheme": "bearer"},
            "jaasSignature": {"type": "apiKey", "in": "header", "name": "X-Jaas-Signature"},
        },
    },
}
