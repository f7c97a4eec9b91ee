"""The History page every object has: who changed which field from what to what, and when."""

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from aims.core.visibility import visible_queryset

from .selectors import history_with_related as history_of


@login_required
def object_history(request, app_label, model_name, pk):
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise Http404("No such kind of record.") from exc
    queryset = visible_queryset(request.user, model)
    if queryset is None:
        raise Http404("This kind of record has no history page.")
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404("No such record, or you may not see it.")
    return render(
        request,
        "audit/object_history.html",
        {"object": obj, "model_name": model._meta.verbose_name, "entries": history_of(obj)},
    )
