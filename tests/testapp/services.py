"""Writes on widgets, in the shape every domain service has."""

from aims.core.references import allocate_reference
from aims.core.services import audited_write, model_save

from .models import Widget


@audited_write
def widget_create(*, actor, name: str, owner=None, restricted: bool = False) -> Widget:
    widget = Widget(
        reference=allocate_reference("WID"), name=name, owner=owner, restricted=restricted
    )
    return model_save(widget, actor=actor)


@audited_write
def widget_rename(*, actor, widget: Widget, name: str) -> Widget:
    widget = Widget.objects.select_for_update().get(pk=widget.pk)
    widget.name = name
    return model_save(widget, actor=actor)
