"""What other modules do when a change is recorded in a system's model change log or its
monitoring rules, without the inventory importing them: a module registers a listener in its
AppConfig.ready() (the risk module marks the system's impact assessment due for review after a
retrain, a vendor update or a prompt change; the incident register links a threshold change to
the incident that prompted it). Listeners run inside the writing service's transaction, after
its write."""

from collections.abc import Callable

_DEPLOYMENT_LISTENERS: list[Callable] = []


def register_deployment_listener(listener: Callable) -> None:
    """``listener(*, deployment, actor)`` — called for every newly recorded deployment."""
    if listener not in _DEPLOYMENT_LISTENERS:
        _DEPLOYMENT_LISTENERS.append(listener)


def deployment_recorded(*, deployment, actor) -> None:
    for listener in _DEPLOYMENT_LISTENERS:
        listener(deployment=deployment, actor=actor)


_RULE_CHANGE_LISTENERS: list[Callable] = []


def register_rule_change_listener(listener: Callable) -> None:
    """``listener(*, rule, old_comparison, old_threshold, reason, actor)`` — called when a
    monitoring rule is added (``old_*`` are None) or its threshold or comparison changes. The
    incident register links the change to the incidents its reason names."""
    if listener not in _RULE_CHANGE_LISTENERS:
        _RULE_CHANGE_LISTENERS.append(listener)


def rule_changed(*, rule, old_comparison, old_threshold, reason, actor) -> None:
    for listener in _RULE_CHANGE_LISTENERS:
        listener(
            rule=rule,
            old_comparison=old_comparison,
            old_threshold=old_threshold,
            reason=reason,
            actor=actor,
        )
