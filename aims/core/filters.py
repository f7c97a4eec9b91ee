"""django-filter pieces shared by every app's FilterSets."""

import django_filters
from django.db.models import Case, IntegerField, Value, When
from django_filters.fields import IsoDateTimeField

from .instants import validate_instant


class ChoiceOrderingFilter(django_filters.OrderingFilter):
    """An OrderingFilter that sorts choice fields in the order of their choices, not the alphabet.

    ``choice_orders`` maps a model field to its choices class: "tier" sorts low, medium, high,
    critical — not critical, high, low, medium.
    """

    def __init__(self, *args, choice_orders=None, **kwargs):
        self.choice_orders = choice_orders or {}
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return super().filter(qs, value)
        ordering = []
        for param in value:
            descending = param.startswith("-")
            field = self.param_map.get(param.lstrip("-"))
            if field is None:
                continue
            if field in self.choice_orders:
                alias = f"_order_{field}"
                whens = [
                    When(**{field: v}, then=Value(i))
                    for i, v in enumerate(self.choice_orders[field].values)
                ]
                qs = qs.alias(
                    **{alias: Case(*whens, default=Value(len(whens)), output_field=IntegerField())}
                )
                ordering.append(f"-{alias}" if descending else alias)
            else:
                ordering.append(f"-{field}" if descending else field)
        return qs.order_by(*ordering, "pk") if ordering else qs


class LenientMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Ignores empty values (``?status=``) that a plain HTML form submits for 'any'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_class = _lenient_field(self.field_class)


def _lenient_field(base):
    class Field(base):
        def clean(self, value):
            if isinstance(value, list | tuple):
                value = [v for v in value if v not in ("", None)]
            return super().clean(value)

    return Field


class InstantField(IsoDateTimeField):
    """An ISO 8601 date-time the database can compare with: see ``aims.core.instants``."""

    default_validators = [validate_instant]


class InstantFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` refusing, as a form error, an instant PostgreSQL cannot read
    (a UTC offset beyond ±15:59, a year out of range)."""

    field_class = InstantField
