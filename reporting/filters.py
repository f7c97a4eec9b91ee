"""What each report selects: the register's filters of an export, and an audit sample's
population filters, size and seed.

A register export's ``params`` are the register's filters exactly as query parameters (the names
of ``incidents.filters.IncidentFilter``), so the file holds what the register page showed the
person who asked. An audit sample's parameters are validated by ``AuditSampleParamsSerializer``
— the API, the Reports page and ``export_audit_sample`` all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django_filters.filters import MultipleChoiceFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aims.core.exceptions import ValidationFailed
from aims.core.instants import validate_instant
from incidents.choices import Kind, Severity, Status
from incidents.filters import IncidentFilter
from incidents.forms import end_of_day
from incidents.models import Incident
from inventory.models import AISystem

MAX_SAMPLE_SIZE = 500
MAX_SEED = 2**53 - 1  # exact in JSON numbers and JavaScript, so a seed survives every client

# --- the register's filters (exports) ---------------------------------------------------------

# The register's filters, by their query-parameter names; the multiple-choice ones may repeat.
FILTER_NAMES = tuple(IncidentFilter.base_filters)
MULTI_VALUE_FILTERS = frozenset(
    name
    for name, filt in IncidentFilter.base_filters.items()
    if isinstance(filt, MultipleChoiceFilter)
)


def filter_params(data, *, strict: bool = False) -> dict:
    """The register filters in ``data`` as a run's ``params``: known names only, empty values
    dropped, the multiple-choice filters as lists and the others as one string.

    ``data`` is a ``QueryDict`` (the register's query string, a form) or a plain mapping (API
    JSON, where a multiple-choice filter may be one value or a list). ``strict`` refuses names the
    register does not know — for the API, where a misspelt filter would silently export the
    whole register — instead of ignoring them (the page number of a register link).
    """
    params, errors = {}, {}
    for name in data:
        if name not in FILTER_NAMES:
            if strict:
                errors[name] = [
                    _("Unknown filter. The register's filters are: %s.") % ", ".join(FILTER_NAMES)
                ]
            continue
        raw = data.getlist(name) if hasattr(data, "getlist") else data[name]
        values = [
            str(v).strip()
            for v in (raw if isinstance(raw, list | tuple) else [raw])
            if v is not None
        ]
        values = [v for v in values if v]
        if not values:
            continue
        if name in MULTI_VALUE_FILTERS:
            params[name] = values
        elif len(values) > 1 and strict:
            errors[name] = [_("This filter takes one value.")]
        else:
            params[name] = values[-1]
    if errors:
        raise ValidationFailed(
            _("Unknown or repeated filters: %s.") % ", ".join(errors), fields=errors
        )
    return params


def _query_dict(params: Mapping) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, list(value) if isinstance(value, list | tuple) else [value])
    return data


def _bound_data(params: Mapping) -> QueryDict:
    """``params`` as the FilterSet reads them; an "until" date is inclusive, as on the register."""
    data = _query_dict(params)
    until = data.get("detected_before", "")
    if until and (bound := end_of_day(until)):
        data["detected_before"] = bound
    return data


def params_query(params: Mapping) -> str:
    """``params`` back as a query string, for a link to the register with the same filters."""
    return _query_dict(params).urlencode()


def register_filterset(params: Mapping, queryset) -> IncidentFilter:
    filterset = IncidentFilter(_bound_data(params), queryset=queryset)
    if not filterset.is_valid():
        errors = {name: [str(e) for e in msgs] for name, msgs in filterset.errors.items()}
        raise ValidationFailed(
            "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()), fields=errors
        )
    return filterset


def validate_filters(params: Mapping) -> None:
    """Raise ``ValidationFailed`` naming each filter whose value the register would refuse."""
    register_filterset(params, Incident.objects.none())


def describe_filters(params: Mapping) -> list[tuple[str, str]]:
    """(label, value in words) per filter, for the PDF's heading and the export page."""
    if not params:
        return []
    form = IncidentFilter(_bound_data(params), queryset=Incident.objects.none()).form
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    described = []
    for name in FILTER_NAMES:
        if name not in params:
            continue
        field, raw = form.fields[name], params[name]
        values = raw if isinstance(raw, list | tuple) else [raw]
        if name == "system" and cleaned.get("system") is not None:
            text = str(cleaned["system"])
        elif name == "lead":
            lead = get_user_model().objects.filter(pk=raw).first() if str(raw).isdigit() else None
            text = str(lead) if lead else str(raw)
        elif getattr(field, "choices", None) and name != "system":
            labels = {str(value): str(label) for value, label in field.choices}
            text = ", ".join(labels.get(v, v) for v in values)
        else:
            text = ", ".join(values)
        described.append((str(field.label), text))
    return described


# --- an audit sample's parameters -------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATETIME)
class PeriodBoundField(serializers.Field):
    """An ISO 8601 date or date-time. A date alone means the start of that day for the lower
    bound and its end for the upper bound, so "to 2026-03-31" includes the whole 31st."""

    default_error_messages = {
        "invalid": _("Give an ISO 8601 date (2026-03-31) or date-time (2026-03-31T14:00:00Z).")
    }

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)
        self.validators.append(validate_instant)  # no offset beyond ±15:59, no year 1

    def to_internal_value(self, data):
        if isinstance(data, datetime):
            value = data
        else:
            text = str(data).strip()
            try:
                # A date alone first: parse_datetime would read it as midnight.
                day = parse_date(text)
                value = None if day else parse_datetime(text)
            except ValueError:
                self.fail("invalid")
            if day is not None:
                value = datetime.combine(day, time.max if self.end_of_day else time.min)
            elif value is None:
                self.fail("invalid")
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def to_representation(self, value):
        return value.isoformat()


class AuditSampleParamsSerializer(serializers.Serializer):
    """What an auditor asks for: the population's filters, the sample size and (optionally) the
    seed. The API, the Reports page and ``export_audit_sample`` all validate with this."""

    detected_after = PeriodBoundField(
        required=False,
        allow_null=True,
        help_text=_("Detected on or after (ISO 8601 date or date-time)."),
    )
    detected_before = PeriodBoundField(
        required=False,
        allow_null=True,
        end_of_day=True,
        help_text=_("Detected on or before (ISO 8601; a date alone includes that whole day)."),
    )
    severity = serializers.MultipleChoiceField(
        choices=Severity.choices, required=False, help_text=_("Any of these severities.")
    )
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, allow_blank=True)
    system = serializers.PrimaryKeyRelatedField(
        queryset=AISystem.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Only incidents affecting this AI system (its id)."),
    )
    status = serializers.MultipleChoiceField(
        choices=Status.choices, required=False, help_text=_("Any of these statuses.")
    )
    size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SAMPLE_SIZE,
        help_text=_("How many incidents to draw (1 to 500)."),
    )
    seed = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        allow_null=True,
        help_text=_(
            "The random seed. Leave it out to have one generated; it is recorded either way, "
            "so the draw can be repeated."
        ),
    )

    def validate(self, attrs):
        after, before = attrs.get("detected_after"), attrs.get("detected_before")
        if after and before and after > before:
            raise serializers.ValidationError(
                {"detected_before": [_("The period cannot end before it starts.")]}
            )
        return attrs


def sample_filters(validated: dict) -> dict:
    """The population's filters in the plain JSON form kept in the run and the manifest."""
    system = validated.get("system")
    filters = {
        "detected_after": validated["detected_after"].isoformat()
        if validated.get("detected_after")
        else None,
        "detected_before": validated["detected_before"].isoformat()
        if validated.get("detected_before")
        else None,
        "severity": sorted(int(v) for v in validated.get("severity") or ()),
        "kind": validated.get("kind") or None,
        "system": system.pk if system else None,
        "system_reference": system.reference if system else None,
        "status": sorted(str(v) for v in validated.get("status") or ()),
    }
    return filters


def validation_failed(errors: dict) -> ValidationFailed:
    fields = {
        name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for name, msgs in errors.items()
    }
    text = "; ".join(
        " ".join(msgs) if name == "non_field_errors" else f"{name}: {' '.join(msgs)}"
        for name, msgs in fields.items()
    )
    return ValidationFailed(text, fields=fields)
