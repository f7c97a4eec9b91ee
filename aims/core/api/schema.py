"""The schema tells every error an operation can answer, in the one error body the API uses.

``aims.core.api.exceptions`` turns every refusal into ``{code, message, fields?}``; which
statuses an operation can answer follows from its shape, so they are added here to every
operation rather than declared view by view. A view's own description of a status is kept.
"""

from django.utils.translation import gettext_lazy as _

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: a stable code, a message a person can act on, and "
    "per-field messages when fields are at fault.",
    "properties": {
        "code": {"type": "string", "description": "Stable; clients may branch on it."},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {}},
    },
    "required": ["code", "message"],
}

DESCRIPTIONS = {
    400: _("The request is not valid: the message says what to change."),
    401: _("No valid credentials: send Authorization: Token <key>."),
    403: _("Your role may not do this."),
    404: _("No such record, or you may not see it."),
    409: _("The record's state does not allow this now: the message says what is missing."),
    412: _("The record changed since you read it (stale If-Match)."),
    413: _("The request body is too large."),
    415: _("The body's media type is not one this operation reads."),
}

WRITE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = WRITE_METHODS | {"get", "head", "options", "trace"}


def statuses_for(path: str, method: str, operation: dict) -> set[int]:
    """The error statuses an operation can answer, from its shape."""
    statuses = set()
    if operation.get("security") != [{}]:
        statuses |= {401, 403}
    parameters = operation.get("parameters", [])
    if operation.get("requestBody") or parameters:
        statuses.add(400)
    # A path id names no visible record; a page past the last; ``?format=`` names no renderer.
    if "{" in path or any(p.get("name") in ("page", "format") for p in parameters):
        statuses.add(404)
    if method in WRITE_METHODS:
        statuses |= {400, 409}
    if method in ("put", "patch"):
        statuses.add(412)
    if operation.get("requestBody"):
        statuses |= {413, 415}
    return statuses


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the Error component and each operation's errors."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses_for(path, method, operation)):
                responses.setdefault(
                    str(status), {"description": str(DESCRIPTIONS[status]), "content": body}
                )
    return result
