"""The Django admin's two shapes: reference data edited there, records only read there.

Audited domain records (AI systems, model versions, the change log, incidents, clocks,
deliveries, report runs) are written only by their services, which check permissions, allocate
references, run guards ("preserve evidence first") and write the timeline. Their admin pages use
``ReadOnlyAdmin``: support staff can look, search and read the history, never add, change or
delete. Reference data with no rules of its own (clock policies, the business calendar, webhook
endpoints, users and their roles) stays editable; simple-history records the acting admin user.
"""

from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Look, never touch: every write to these records goes through its service."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def revert_url(self):  # no "revert to this version" either: that would be a write
        return None

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied


class ReadOnlyInline:
    """Mixin for inlines shown under a read-only admin."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
