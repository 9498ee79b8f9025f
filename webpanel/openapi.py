"""The OpenAPI 3.1 description of the JSON API (``GET /api/v1/openapi.json``), generated from
the app's routes, so a route added to the ``api`` blueprint from any module is described.

Per route: its path with typed path parameters (from the URL converters), its methods, a
summary (the first line of the view's docstring) and a description (the rest), and the bodies
declared for its endpoint in ``webpanel.api_schemas.BODIES``. Every error answers the shared
``Error`` schema.
"""

import inspect
import re

from flask import Flask, current_app, jsonify

from webpanel.api import api, station
from webpanel.api_schemas import BODIES, COMPONENTS

RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
CONVERTER_SCHEMAS = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
ERROR_RESPONSE = {
    "description": "an error: ``code``, a ``message`` saying what to check, and the request "
    "``field`` at fault when there is one",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def openapi_document(app: Flask, version: str, public: frozenset[str]) -> dict:
    """The OpenAPI document of every ``api.*`` route of ``app``; the endpoints in ``public``
    need no login."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{api.name}."):
            continue
        path, parameters = _path(rule.rule)
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        view = app.view_functions[rule.endpoint]
        for method in methods:
            operation_id = rule.endpoint.split(".", 1)[1]
            if len(methods) > 1:
                operation_id += f"_{method.lower()}"
            operation = _operation(rule.endpoint, view, operation_id)
            if rule.endpoint in public:
                operation["security"] = []
            if parameters:
                operation["parameters"] = parameters
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Balance station API",
            "version": version,
            "description": "The station's JSON API. Log in through the panel first: the API "
            "uses the panel's session cookie. Every error answers "
            '`{"error": {"code", "message", "field"?}}`.',
        },
        "servers": [{"url": api.url_prefix}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "responses": {"Error": ERROR_RESPONSE},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{"session": []}],
    }


def _path(rule: str) -> tuple[str, list[dict]]:
    """The OpenAPI path (below the blueprint's prefix) and path parameters of a URL rule."""
    parameters = [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": CONVERTER_SCHEMAS.get(match["converter"], {"type": "string"}),
        }
        for match in RULE_ARGUMENT.finditer(rule)
    ]
    path = RULE_ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule)
    return path.removeprefix(api.url_prefix) or "/", parameters


def _operation(endpoint: str, view, operation_id: str) -> dict:
    doc = inspect.getdoc(view) or ""
    summary, _, description = doc.partition("\n")
    body = BODIES.get(endpoint, {})
    success = {
        "description": "success",
        "content": {body.get("media", "application/json"): {"schema": body.get("response", {})}},
    }
    operation = {
        "operationId": operation_id,
        "summary": summary.strip() or endpoint,
        "responses": {
            str(body.get("status", 200)): success,
            "default": {"$ref": "#/components/responses/Error"},
        },
    }
    if getattr(view, "technician_only", False):
        description = f"{description.strip()}\n\nTechnicians only: a therapist gets 403."
    if description.strip():
        operation["description"] = description.strip()
    if "request" in body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body["request"]}},
        }
    return operation


@api.get("/openapi.json")
def openapi():
    """This API's OpenAPI 3.1 description, generated from the routes."""
    from webpanel.app import PUBLIC_ENDPOINTS  # here: webpanel.app imports this module

    return jsonify(openapi_document(current_app, station().version, PUBLIC_ENDPOINTS))
