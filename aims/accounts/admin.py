from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from aims.core.admin import ReadOnlyAdmin

from .models import SingleSignOnIdentity, SingleSignOnRoleMapping, User


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Profile", {"fields": ("title",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")


@admin.register(SingleSignOnRoleMapping)
class SingleSignOnRoleMappingAdmin(SimpleHistoryAdmin):
    list_display = ("claim", "value", "role")
    list_filter = ("role", "claim")


@admin.register(SingleSignOnIdentity)
class SingleSignOnIdentityAdmin(ReadOnlyAdmin):
    """Written by sign-in only: matching is by subject, so an edit here could hand one person's
    identity at the provider to another account."""

    list_display = ("user", "subject", "issuer", "created_at")
    search_fields = ("user__username", "subject")
