"""The error answers of every operation, written into the OpenAPI document.

ninja documents what a handler returns on success; the errors come from the exception handlers in
main.py and the request guard (core/middleware.py), the same for every operation. So they are added here
once, by what each operation can meet: a body can be malformed, too large or invalid, a secured operation
can lack a token or the role, anything can name something that does not exist or conflict with the
current state, and any operation answers 503 while the database cannot be reached. An operation that
declares a status itself keeps its own description.
"""

from __future__ import annotations

from typing import Any

from orderloop.core.shapes import REF_TEMPLATE, ErrorOut

ERROR_SCHEMA_NAME = ErrorOut.__name__
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}

DESCRIPTIONS = {
    "400": "`bad_request`: the body is not parseable JSON or form data (or a signed request's signature "
    "does not hold).",
    "401": "`not_authenticated`: no token, a malformed, unknown or revoked one.",
    "403": "`permission_denied`: the token's role does not allow this (`details.required`).",
    "404": "`not_found` or a specific code (`order_not_found`, …): the object in the path, or one the "
    "request names, does not exist.",
    "409": "A conflict with the current state (`invalid_transition`, `insufficient_stock`, "
    "`idempotency_key_reused`, …).",
    "413": "`payload_too_large`: the body is larger than the server accepts (`details.max_bytes`).",
    "422": "`validation_error` (`details` maps each field's dotted path to its message; unknown fields "
    "and NUL characters are refused too) or a rule's own code.",
    "429": "`rate_limited`: the token sent more requests than its rate allows; retry after `Retry-After` "
    "seconds (`details.retry_after`).",
    "503": "`service_unavailable`: the database cannot be reached; retry after `Retry-After` seconds.",
}

WRITE_METHODS = {"post", "put", "patch", "delete"}


def error_statuses(operation: dict[str, Any], method: str) -> list[str]:
    """The error statuses an operation can answer, as the API's handlers and guards produce them."""
    has_body = "requestBody" in operation
    statuses = []
    if has_body:
        statuses.append("400")
    if operation.get("security"):
        # Every request with a token counts against the token's rate (core/api_auth.TokenRateThrottle).
        statuses += ["401", "403", "429"]
    statuses.append("404")
    if method in WRITE_METHODS:
        statuses.append("409")
    if has_body:
        statuses.append("413")
    statuses += ["422", "503"]
    return statuses


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ErrorOut.model_json_schema(ref_template=REF_TEMPLATE)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            # A body written by hand (`openapi_extra`) from a model's JSON schema brings its own `$defs`;
            # its references point at the components (REF_TEMPLATE), so they are published there too.
            # (Read, never changed: ninja hands out the operation's own openapi_extra dict.)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for name, definition in content.get("schema", {}).get("$defs", {}).items():
                    components.setdefault(name, definition)
            responses = operation.setdefault("responses", {})
            for key in list(responses):  # ninja keys them by int
                responses[str(key)] = responses.pop(key)
            for status in error_statuses(operation, method):
                answer = responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
                answer.setdefault("content", {"application/json": {"schema": dict(ERROR_REF)}})
    return schema
