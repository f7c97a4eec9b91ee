from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """A stand-in domain app, installed only by the test settings.

    Shared apps (accounts, audit, clocks, notify, core) are tested on its ``Widget`` instead of
    a real domain model, so their tests prove they work for any app that registers itself —
    exactly as a new module would — and import no domain app.
    """

    name = "tests.testapp"
    label = "testapp"
    verbose_name = "Test-only app"

    def ready(self):
        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility

        from .models import Widget, WidgetClockKind, widgets_visible_to

        register_kinds(WidgetClockKind)
        visibility.register(Widget, widgets_visible_to)
        register_target(
            Widget,
            ClockTarget(
                resolve_role=lambda widget, role: [widget.owner] if role == "widget_owner" else [],
                describe=lambda widget: (f"{widget.reference} {widget.name}", f"/w/{widget.pk}/"),
                record_delivery=None,
                pseudo_roles=("widget_owner",),
            ),
        )
