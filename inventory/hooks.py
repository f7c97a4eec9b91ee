"""What other modules do when a change is recorded in a system's model change log, without the
inventory importing them: a module registers a listener in its AppConfig.ready() (the risk
module marks the system's impact assessment due for review after a retrain, a vendor update or
a prompt change). Listeners run inside the deployment service's transaction, after its write."""

from collections.abc import Callable

_DEPLOYMENT_LISTENERS: list[Callable] = []


def register_deployment_listener(listener: Callable) -> None:
    """``listener(*, deployment, actor)`` — called for every newly recorded deployment."""
    if listener not in _DEPLOYMENT_LISTENERS:
        _DEPLOYMENT_LISTENERS.append(listener)


def deployment_recorded(*, deployment, actor) -> None:
    for listener in _DEPLOYMENT_LISTENERS:
        listener(deployment=deployment, actor=actor)
