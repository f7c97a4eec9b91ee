from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "aims.clocks"
    label = "clocks"
    verbose_name = "Clocks and escalation"

    def ready(self):
        from aims.core.registry import HomePanel, register_home_panel

        from .selectors import clocks_owned_by, describe

        def my_work(user) -> dict:
            return {"my_clocks": [describe(c) for c in clocks_owned_by(user)[:10]]}

        register_home_panel(
            HomePanel(
                name="my_work", template="clocks/_home_my_work.html", order=10, context=my_work
            )
        )

        from django.db.models.signals import post_delete, post_save

        from .models import BusinessCalendar, CalendarException, ClockPolicy, EscalationStep
        from .services import forget_policy_data

        # Policies and the calendar are read once per transaction; an edit in this one (the
        # admin saves a calendar and its exceptions together) must be seen by the next clock.
        for model in (BusinessCalendar, CalendarException, ClockPolicy, EscalationStep):
            post_save.connect(
                forget_policy_data, sender=model, dispatch_uid=f"clocks-forget-{model.__name__}"
            )
            post_delete.connect(
                forget_policy_data, sender=model, dispatch_uid=f"clocks-forget-del-{model.__name__}"
            )
