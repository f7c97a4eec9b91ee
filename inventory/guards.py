"""Checks other modules attach to changes of the model change log.

The incident register registers "preserve evidence first" here (DESIGN section 3, guard 1): a
rollback of a system with an open incident is refused until evidence is preserved. The
inventory stays independent of the modules that guard it.
"""

from collections.abc import Callable

_CHANGE_GUARDS: list[Callable] = []


def register_change_guard(guard: Callable) -> None:
    """``guard(system, change_type)`` raises an ApplicationError to refuse the change."""
    if guard not in _CHANGE_GUARDS:
        _CHANGE_GUARDS.append(guard)


def check_change_guards(system, change_type: str) -> None:
    for guard in _CHANGE_GUARDS:
        guard(system, change_type)
