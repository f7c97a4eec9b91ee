"""The post-incident review's computed parts, as pure functions of plain values (tested
without a database): the timeline reconstruction and the documentation check.

Timeline: *began* is the failure's best-estimate start (else detection), then detected,
contained, resolved. Time to detect = began → detected; to contain = detected → contained; to
resolve = detected → resolved; total = began → resolved. A missing milestone leaves its
durations empty (a skipped containment, say).

Documentation check, for each affected system: its validation status was changed in the
inventory since the incident was detected; its link to the incident pins the model version
running at detection; where the root cause revealed a limitation, its model card link was
updated since detection; where a rollback was done, the change log shows a rollback entry since
detection.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Timeline:
    began: datetime | None
    detected: datetime | None
    contained: datetime | None
    resolved: datetime | None
    closed: datetime | None
    began_estimated: bool = True

    @staticmethod
    def _span(start, end) -> timedelta | None:
        if start is None or end is None:
            return None
        return max(end - start, timedelta(0))

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._span(self.began, self.detected)

    @property
    def time_to_contain(self) -> timedelta | None:
        return self._span(self.detected, self.contained)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._span(self.detected, self.resolved)

    @property
    def total(self) -> timedelta | None:
        return self._span(self.began, self.resolved)

    def as_dict(self) -> dict:
        def iso(value):
            return value.isoformat() if value else None

        def seconds(value):
            return int(value.total_seconds()) if value is not None else None

        return {
            "began": iso(self.began),
            "began_estimated": self.began_estimated,
            "detected": iso(self.detected),
            "contained": iso(self.contained),
            "resolved": iso(self.resolved),
            "closed": iso(self.closed),
            "time_to_detect_seconds": seconds(self.time_to_detect),
            "time_to_contain_seconds": seconds(self.time_to_contain),
            "time_to_resolve_seconds": seconds(self.time_to_resolve),
            "total_seconds": seconds(self.total),
        }


def timeline(*, failure_began, detected, contained, resolved, closed) -> Timeline:
    return Timeline(
        began=failure_began or detected,
        detected=detected,
        contained=contained,
        resolved=resolved,
        closed=closed,
        began_estimated=failure_began is not None,
    )


def last_change_since(rows, since) -> datetime | None:
    """The latest moment at or after ``since`` when the value changed, from ``rows`` of
    (when, value) in time order (a history); the first row counts as a change only when it is
    itself at or after ``since`` (the record was created then)."""
    found = None
    previous = object()
    for when, value in rows:
        if value != previous and when >= since:
            found = when
        previous = value
    return found


@dataclass(frozen=True)
class SystemFacts:
    """What the inventory says about one affected system, read by the selector."""

    reference: str
    name: str
    validation_status: str
    validation_changed_at: datetime | None
    version_pinned: bool
    model_card_url: str
    model_card_changed_at: datetime | None
    rollback_logged_at: datetime | None
    rolled_back: bool = False  # the containment rerouted this system to a known-good version


@dataclass(frozen=True)
class Check:
    code: str
    system: str
    ok: bool
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "system": self.system, "ok": self.ok, "message": self.message}


@dataclass(frozen=True)
class DocumentationCheck:
    items: list = field(default_factory=list)

    @property
    def gaps(self) -> list:
        return [item for item in self.items if not item.ok]

    @property
    def complete(self) -> bool:
        return not self.gaps

    def as_list(self) -> list[dict]:
        return [item.as_dict() for item in self.items]


def documentation_check(
    systems, *, limitation_revealed: bool, rollback_done: bool
) -> DocumentationCheck:
    """One line per system and duty; ``rollback_done`` is a done rollback remediation item
    (every affected system is then expected to log it unless the containment named which)."""
    items = []
    named = [s for s in systems if s.rolled_back]
    for system in systems:
        ref = system.reference
        items.append(
            Check(
                "validation_status",
                ref,
                system.validation_changed_at is not None,
                _("%(ref)s: validation status updated in the inventory (now %(status)s).")
                % {"ref": ref, "status": system.validation_status}
                if system.validation_changed_at
                else _(
                    "%(ref)s: the validation status was not updated since the incident was "
                    "detected (still %(status)s)."
                )
                % {"ref": ref, "status": system.validation_status},
            )
        )
        items.append(
            Check(
                "incident_link",
                ref,
                system.version_pinned,
                _("%(ref)s: linked to the incident with the model version at detection.")
                % {"ref": ref}
                if system.version_pinned
                else _(
                    "%(ref)s: the inventory link to the incident does not name the model "
                    "version running at detection."
                )
                % {"ref": ref},
            )
        )
        if limitation_revealed:
            ok = bool(system.model_card_url) and system.model_card_changed_at is not None
            items.append(
                Check(
                    "model_card",
                    ref,
                    ok,
                    _("%(ref)s: model card updated for the limitation the root cause revealed.")
                    % {"ref": ref}
                    if ok
                    else _(
                        "%(ref)s: the root cause revealed a limitation but the model card was "
                        "not updated since the incident was detected."
                    )
                    % {"ref": ref},
                )
            )
        expects_rollback = system.rolled_back or (rollback_done and not named)
        if expects_rollback:
            ok = system.rollback_logged_at is not None
            items.append(
                Check(
                    "rollback_logged",
                    ref,
                    ok,
                    _("%(ref)s: the change log shows the rollback.") % {"ref": ref}
                    if ok
                    else _(
                        "%(ref)s: a rollback was done but the change log shows no rollback "
                        "entry since the incident was detected."
                    )
                    % {"ref": ref},
                )
            )
    return DocumentationCheck(items)
