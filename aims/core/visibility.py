"""Which records a user may see, per model, in one registry.

Each app registers its ``<things>_visible_to(user)`` selector here (in ``AppConfig.ready``), so
generic pages such as an object's History ask the same access rule as the app's own pages.
"""

from collections.abc import Callable

from django.db.models import Model, QuerySet

_SELECTORS: dict[str, Callable[[object], QuerySet]] = {}


def register(model: type[Model], selector: Callable[[object], QuerySet]) -> None:
    _SELECTORS[model._meta.label_lower] = selector


def visible_queryset(user, model: type[Model]) -> QuerySet | None:
    """The records of ``model`` the user may see, or None when the model is not exposed."""
    selector = _SELECTORS.get(model._meta.label_lower)
    return selector(user) if selector else None
