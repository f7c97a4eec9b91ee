"""Role-aware navigation for the base layout, built from what each app registered."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .registry import navigation_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for entry in navigation_for(user):
        url = entry.url()
        if url is not None:
            items.append({"label": entry.label, "url": url, "active": False})
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
