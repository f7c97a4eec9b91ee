"""Form fields the apps' HTML pages share."""

from django import forms

from .instants import validate_recorded_instant


class RecordedInstantFormField(forms.DateTimeField):
    """When something happened, typed on a page: held to the rule the API holds it to (from
    1970 and before 2100, ``aims.core.instants``), in the same words
    (``aims.core.api.fields.RecordedInstantField``)."""

    default_validators = [validate_recorded_instant]
