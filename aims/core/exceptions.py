"""Application errors with stable codes.

Services raise these; one DRF exception handler (``aims.core.api.exceptions``) and one HTML
helper (``aims.core.views.report_application_error``) turn them into the right HTTP status
and a message a person can act on.
"""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base class. ``code`` is stable (clients may branch on it); ``message`` is for people."""

    code = "application_error"
    status_code = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, fields=None):
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    code = "validation_failed"
    status_code = 400
    default_message = _("Some fields are not valid.")


class PermissionRefused(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission to do this.")


class NotFound(ApplicationError):
    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class SignatureInvalid(ApplicationError):
    """A webhook whose signature is missing or does not match its body."""

    code = "signature_invalid"
    status_code = 401


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    status_code = 409
    default_message = _("That status change is not allowed from the current status.")


class GuardFailed(ApplicationError):
    code = "guard_failed"
    status_code = 409
    default_message = _("A precondition for this step is not met.")


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409
    default_message = _("The record is referenced elsewhere and cannot be changed this way.")


class StaleVersion(ApplicationError):
    """Someone else saved the record after you loaded it (ETag / form version mismatch)."""

    code = "stale_version"
    status_code = 412
    default_message = _(
        "This record was changed by someone else after you opened it. "
        "Reload it, re-apply your change and save again."
    )


class IdempotencyConflict(ApplicationError):
    code = "idempotency_conflict"
    status_code = 422
    default_message = _(
        "This Idempotency-Key was already used with a different request body. "
        "Use a new key for a different request."
    )


# A lost database connection: the request's transaction rolled back, nothing was written, and
# the next request reconnects (CONN_HEALTH_CHECKS). The API and the HTML pages say it the same
# way, with a 503 and Retry-After.
DATABASE_UNAVAILABLE_CODE = "database_unavailable"
DATABASE_UNAVAILABLE_MESSAGE = _(
    "The database is unavailable for a moment. Nothing was saved; retry."
)
DATABASE_UNAVAILABLE_RETRY_AFTER_S = 5
