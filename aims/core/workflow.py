"""Lifecycles as tables: the allowed moves, who may make each, what each needs.

Every lifecycle in the product (incident, CAPA, finding, risk acceptance, obligation, report
run) is a ``Lifecycle`` of ``Move`` rows written with keyword arguments. A move names:

- ``permission``: who may make it, a function ``(user, record) -> Decision``
  (``aims.core.permissions``); the same function tells the page whether to offer the move;
- ``guards``: functions ``(record, reason) -> message | None``, each answering what is missing;
- ``milestone``: the timestamp field it stamps;
- ``needs_reason`` and ``reason_hint``: a skip or reversal must say why.

``Lifecycle.check`` is what a service calls before changing the status: it raises the same
errors, with the same words, for every lifecycle (invalid move 409, refused 403, guard 409).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .exceptions import GuardFailed, InvalidTransition
from .permissions import ALLOWED, Decision, require

Guard = Callable[[object, str], str | None]
Permission = Callable[[object, object], Decision]


@dataclass(frozen=True, kw_only=True)
class Move:
    source: str
    target: str
    label: str
    permission: Permission | None = None
    guards: tuple[Guard, ...] = ()
    milestone: str | None = None
    needs_reason: bool = False
    reason_hint: str = ""


def failing_guards(move: Move, record, reason: str = "") -> list[str]:
    """The message of every guard of ``move`` that ``record`` does not pass yet."""
    return [message for guard in move.guards if (message := guard(record, reason))]


class Lifecycle:
    """One record type's moves. ``statuses`` is its TextChoices class; ``subject`` is how a
    refusal names the record ("An incident")."""

    def __init__(self, *, name: str, subject: str, statuses, moves: Iterable[Move]):
        self.name = name
        self.subject = subject  # how a refusal names the record: "An incident", "A CAPA"
        self.statuses = statuses
        self.moves: tuple[Move, ...] = tuple(moves)
        self._by_pair = {(m.source, m.target): m for m in self.moves}
        for move in self.moves:
            if move.source not in statuses.values or move.target not in statuses.values:
                raise ValueError(f"{name}: move {move.source} -> {move.target} names no status")
        if len(self._by_pair) != len(self.moves):
            raise ValueError(f"{name}: a (source, target) pair appears twice")

    def move_for(self, source: str, target: str) -> Move | None:
        return self._by_pair.get((str(source), str(target)))

    def moves_from(self, source: str) -> list[Move]:
        return [m for m in self.moves if m.source == source]

    def may(self, move: Move, user, record) -> Decision:
        return move.permission(user, record) if move.permission else ALLOWED

    def check(self, record, *, to: str, actor, reason: str = "", status_field="status") -> Move:
        """The move from ``record``'s status to ``to``, or the error that says why not.

        Order: the actor must be allowed (403), the move must exist (409), a reason must be
        given where the move needs one, then every guard must pass (409, all failures named).
        """
        source = getattr(record, status_field)
        move = self.move_for(source, to)
        if move is None:
            # Someone who may make no move of this lifecycle on the record is refused as such
            # (403) whatever they asked for, the same answer the API gives before the body.
            decisions = [self.may(m, actor, record) for m in self.moves_from(source) or self.moves]
            if decisions and not any(decisions):
                require(decisions[0])
            allowed = ", ".join(m.target for m in self.moves_from(source)) or _("none")
            raise InvalidTransition(
                _(
                    "%(subject)s cannot move from %(source)s to %(target)s. "
                    "From %(source)s it can move to: %(allowed)s."
                )
                % {"subject": self.subject, "source": source, "target": to, "allowed": allowed}
            )
        require(self.may(move, actor, record))
        if move.needs_reason and not (reason or "").strip():
            raise GuardFailed(
                _("This step needs a reason: %s") % (move.reason_hint or _("say why.")),
                fields={"reason": [_("required")]},
            )
        failures = failing_guards(move, record, reason)
        if failures:
            raise GuardFailed(" ".join(failures))
        return move
