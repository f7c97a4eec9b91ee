"""Role-aware navigation for the base layout."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, roles that see it; None = every signed-in user)
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Systems"), "inventory:system-list", None),
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
        items.append(
            {
                "label": label,
                "url": url,
                "active": request.path == url or (url != "/" and request.path.startswith(url)),
            }
        )
    if user.is_staff:
        items.append({"label": _("Admin"), "url": reverse("admin:index"), "active": False})
    return {"nav_items": items, "user_roles": sorted(user.role_names)}
