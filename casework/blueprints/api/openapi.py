"""The OpenAPI 3.1 document of ``/api/v1`` (served at ``/api/v1/openapi.json``; the tests
validate every response against it)."""

from __future__ import annotations

from typing import Any

_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_NULLABLE_BOOL = {"type": ["boolean", "null"]}

UNIT_REF = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "code", "name"],
    "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                   "name": {"type": "string"}, "kind": {"type": "string"}},
}
MEASURE = {
    "type": "object", "additionalProperties": False,
    "required": ["key", "label", "numerator", "denominator", "hidden", "goal", "rate", "met"],
    "properties": {
        "key": {"type": "string", "enum": ["units", "officers", "members", "districts",
                                           "grassroots", "women", "tipoffs", "trained"]},
        "label": {"type": "string"},
        "numerator": _NULLABLE_INT, "denominator": _NULLABLE_INT,
        "hidden": {"type": "boolean", "description": "a small count about women, hidden"},
        "goal": {"type": "number"}, "rate": _NULLABLE_NUMBER, "met": _NULLABLE_BOOL,
    },
}


def document() -> dict[str, Any]:
    errors = {"$ref": "#/components/schemas/Error"}
    common = {
        "400": {"description": "A parameter that makes no sense",
                "content": {"application/json": {"schema": errors}}},
        "401": {"description": "No or an unknown token",
                "content": {"application/json": {"schema": errors}}},
        "404": {"description": "A unit outside the caller's scope"},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Casework: figures of the 2021-2025 anti-prostitution plan",
                 "version": "1.0.0",
                 "description": "Read-only aggregate figures of the plan's eight targets for a "
                                "unit's subtree. No personal data."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/figures": {"get": {
                "summary": "Figures of every target for a unit and a period",
                "parameters": [
                    {"name": "unit", "in": "query", "schema": {"type": "integer"},
                     "description": "unit id (default: the token's or user's unit)"},
                    {"name": "period", "in": "query",
                     "schema": {"type": "string", "pattern": "^(20[0-9]{2}(H[12])?|cum)$"},
                     "description": "2025H1, 2025H2, 2025 or cum (2021 to date); default: "
                                    "the current half-year"},
                    {"name": "as_of", "in": "query",
                     "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {"200": {"description": "The figures", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Figures"}}}},
                    **common},
            }},
            "/units": {"get": {
                "summary": "The units the caller may read",
                "responses": {"200": {"description": "Units", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Units"}}}},
                    **common},
            }},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a token from Plan report -> API tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"],
                          "properties": {"error": {"type": "string"},
                                         "message": {"type": "string"}}},
                "Measure": MEASURE,
                "Figures": {
                    "type": "object", "additionalProperties": False,
                    "required": ["unit", "period", "small_count_threshold", "targets"],
                    "properties": {
                        "unit": UNIT_REF,
                        "period": {"type": "object", "additionalProperties": False,
                                   "required": ["key", "kind", "start", "end"],
                                   "properties": {
                                       "key": {"type": "string"},
                                       "kind": {"enum": ["half", "year", "cumulative"]},
                                       "start": {"type": "string", "format": "date"},
                                       "end": {"type": "string", "format": "date"}}},
                        "small_count_threshold": {"type": "integer", "minimum": 1},
                        "targets": {"type": "array", "minItems": 8, "maxItems": 8, "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["target", "title", "recorded", "met", "measures",
                                         "units"],
                            "properties": {
                                "target": {"type": "integer", "minimum": 1, "maximum": 8},
                                "title": {"type": "string"},
                                "recorded": {"type": "boolean"},
                                "met": _NULLABLE_BOOL,
                                "measures": {"type": "array", "minItems": 1,
                                             "items": {"$ref": "#/components/schemas/Measure"}},
                                "units": {"type": "array", "items": {
                                    "type": "object", "additionalProperties": False,
                                    "required": ["unit", "own", "measures"],
                                    "properties": {
                                        "unit": UNIT_REF, "own": {"type": "boolean"},
                                        "measures": {"type": "array", "items": {
                                            "$ref": "#/components/schemas/Measure"}}}}},
                            }}},
                    },
                },
                "Units": {"type": "object", "required": ["units"], "properties": {
                    "units": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["id", "code", "name", "kind", "level", "parent_id"],
                        "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                       "name": {"type": "string"}, "kind": {"type": "string"},
                                       "level": {"type": "integer"},
                                       "parent_id": _NULLABLE_INT}}}}},
            },
        },
    }
