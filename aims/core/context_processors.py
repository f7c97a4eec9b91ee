"""Role-aware navigation for the base layout."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import MANAGERS, Role

# Roles that file incidents (mirrors ``incidents.permissions.can_file_incident``).
FILING_ROLES = (*MANAGERS, Role.ENGINEER, Role.DPO, Role.LEGAL, Role.CISO)

# (label, url name, roles that see it; None = every signed-in user)
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Register"), "incidents:register", tuple(Role)),
    (_("New incident"), "incidents:incident-create", FILING_ROLES),
    (_("Systems"), "inventory:system-list", None),
    (_("Reports"), "reporting:reports", tuple(Role)),
    (
        _("Dashboard"),
        "reporting:dashboard",
        (*MANAGERS, Role.AUDITOR, Role.EXECUTIVE, Role.CISO, Role.DPO, Role.LEGAL),
    ),
    (_("Protected reports"), "protected:list", (Role.ETHICS, Role.GRC)),
    (_("Report a concern"), "report:report", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, url_name, roles in NAVIGATION:
        if roles is not None and not user.has_role(*roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": False})
    # The most specific entry is the current one (/incidents/new/ is "New incident", not also
    # "Register").
    matches = [
        item
        for item in items
        if request.path == item["url"]
        or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    if user.is_staff:
        items.append({"label": _("Admin"), "url": reverse("admin:index"), "active": False})
    from aims.notify.selectors import unread_count

    return {
        "nav_items": items,
        "user_roles": sorted(user.role_names),
        "unread_count": unread_count(user),
    }
