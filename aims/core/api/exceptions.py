"""One exception handler for the API: every error is JSON with a code and a message."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from aims.core.exceptions import (
    DATABASE_UNAVAILABLE_CODE,
    DATABASE_UNAVAILABLE_MESSAGE,
    DATABASE_UNAVAILABLE_RETRY_AFTER_S,
    ApplicationError,
    Conflict,
)
from aims.core.services import validation_failed_from


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            text = _flatten(value)
            parts.append(text if key in ("non_field_errors", "detail") else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_flatten(v) for v in detail)
    return str(detail)


def application_error_response(exc: ApplicationError) -> Response:
    body = {"code": exc.code, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return Response(body, status=exc.status_code)


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return application_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        return application_error_response(validation_failed_from(exc))
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "code": "too_large",
                "message": _(
                    "The request body is larger than %(limit)s bytes. Send less, or upload files "
                    "as evidence (multipart)."
                )
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        return application_error_response(
            Conflict("This record is still referenced by other records and cannot be deleted.")
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database connection was lost mid-request: the transaction rolled back and nothing
        # was written. The next request reconnects (CONN_HEALTH_CHECKS); the client retries.
        set_rollback()
        response = Response(
            {"code": DATABASE_UNAVAILABLE_CODE, "message": str(DATABASE_UNAVAILABLE_MESSAGE)},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(DATABASE_UNAVAILABLE_RETRY_AFTER_S)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "validation_failed",
            "message": _flatten(exc.detail),
            "fields": exc.detail
            if isinstance(exc.detail, dict)
            else {"non_field_errors": exc.detail},
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = {"code": code, "message": _flatten(exc.detail)}
    return response
