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
