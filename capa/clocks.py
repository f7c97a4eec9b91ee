"""A CAPA's clocks (DESIGN section 4, "CAPA horizons"): its due date, with the policy of its
horizon (immediate 2 days, short-term 30 days, long-term 90 days by default, reminders and
escalations as data), and its effectiveness check's due date."""

from aims.clocks import services as clocks

from .choices import DUE_KIND, CapaClockKind


def default_due(horizon: str, started_at):
    """The horizon's default due date from policy data, or None when no policy is active."""
    policy = clocks.policy_for(DUE_KIND[horizon], None)
    return clocks.due_time(started_at, policy) if policy else None


def start_due_clock(capa, *, actor, now):
    return clocks.clock_start(
        target=capa,
        kind=DUE_KIND[capa.horizon],
        label=f"{CapaClockKind(DUE_KIND[capa.horizon]).label} — {capa.reference}",
        started_at=now,
        due_at=capa.due_at,
        actor=actor,
        owner=capa.owner,
    )


def move_due_clock(capa, *, actor, now, previous_horizon=None):
    """The due date or the horizon changed: the running clock ends, a new one starts."""
    kind = DUE_KIND[previous_horizon or capa.horizon]
    clocks.clock_cancel(target=capa, kind=kind, reason="due date changed", actor=actor)
    return start_due_clock(capa, actor=actor, now=now)


def due_met(capa, *, actor, at):
    clocks.clock_met(target=capa, kind=DUE_KIND[capa.horizon], at=at, actor=actor)


def start_check_clock(capa, check, *, actor, now):
    clocks.clock_cancel(
        target=capa, kind=CapaClockKind.EFFECTIVENESS_CHECK, reason="check re-planned", actor=actor
    )
    return clocks.clock_start(
        target=capa,
        kind=CapaClockKind.EFFECTIVENESS_CHECK,
        label=f"{CapaClockKind.EFFECTIVENESS_CHECK.label} — {capa.reference}",
        started_at=now,
        due_at=check.due_at,
        actor=actor,
        owner=None,
        owner_role="risk_officer",
    )


def check_met(capa, *, actor, at):
    clocks.clock_met(target=capa, kind=CapaClockKind.EFFECTIVENESS_CHECK, at=at, actor=actor)


def end_all(capa, *, actor, reason):
    book = clocks.record_clocks(capa)
    for kind in CapaClockKind.values:
        book.cancel(kind=kind, reason=reason, actor=actor)


# --- what the clock mechanism needs to know about CAPAs (registered in apps.py) --------------


def resolve_role(capa, pseudo_role: str) -> list:
    if pseudo_role == "capa_owner":
        return [capa.owner]
    if pseudo_role == "capa_implementer":
        return [capa.implementer] if capa.implementer_id else []
    return []


def describe(capa) -> tuple[str, str]:
    return f"{capa.reference} {capa.title}", capa.get_absolute_url()


def card(capa) -> dict:
    incidents = ", ".join(capa.incidents.order_by("pk").values_list("reference", flat=True))
    return {
        "reference": capa.reference,
        "status": capa.get_status_display(),
        "incidents": incidents,
    }


# === post-incident reviews ==================================================================
# The review's deadline is the incident's own "post-incident review" clock (``incidents.clocks``
# starts it when the incident closes, 10 business days on the business calendar by the seeded
# policy, and cancels it when the incident is reopened): one clock, so an overdue review
# escalates once. The review reads its due time from it and meets it when approved.

REVIEW_CLOCK = "post_incident_review"  # incidents.choices.IncidentClockKind.POST_INCIDENT_REVIEW


def review_due(incident, now):
    """The due time of the incident's running review clock, else the policy's from ``now``."""
    clock = clocks.active_clock(incident, REVIEW_CLOCK)
    if clock is not None:
        return clock.due_at
    policy = clocks.policy_for(REVIEW_CLOCK, None)
    return clocks.due_time(now, policy) if policy else None


def review_met(incident, *, actor, at):
    clocks.clock_met(target=incident, kind=REVIEW_CLOCK, at=at, actor=actor)
