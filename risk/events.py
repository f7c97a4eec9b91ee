"""Typed writers of the risk's timeline entries: the only code that adds to it."""

from django.utils import timezone

from aims.core.services import model_save

from .choices import RiskEntryKind
from .models import RiskEntry


def _entry(risk, kind, summary, *, actor=None, data=None) -> RiskEntry:
    entry = RiskEntry(
        risk=risk,
        kind=kind,
        summary=summary,
        actor=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
        data=data or {},
    )
    return model_save(entry, actor=actor, lookups=False)


def risk_created_event(*, risk, actor, ratings, controls):
    """One entry for a new risk: its ratings under the methodology in force and its controls."""
    parts = [f"{which} {_fmt(rating)}" for which, rating in ratings.items() if rating.get("score")]
    if controls:
        parts.append("controls " + ", ".join(controls))
    summary = f"{risk.reference} raised under methodology v{risk.methodology.version}"
    if parts:
        summary += ": " + "; ".join(parts)
    return _entry(
        risk,
        RiskEntryKind.CREATED,
        summary,
        actor=actor,
        data={"ratings": ratings, "controls": controls, "methodology": risk.methodology.version},
    )


def risk_updated_event(*, risk, actor, fields):
    names = ", ".join(sorted(fields))
    return _entry(
        risk,
        RiskEntryKind.UPDATED,
        f"Changed: {names}",
        actor=actor,
        data={"fields": sorted(fields)},
    )


def risk_rated_event(*, risk, actor, which, old, new, methodology, reason="", incident=None):
    """A rating changed: old and new likelihood, impact and score are kept."""
    summary = (
        f"{which.capitalize()} rating {_fmt(old)} -> {_fmt(new)} "
        f"(methodology v{methodology.version})"
    )
    if reason:
        summary += f": {reason}"
    data = {"which": which, "old": old, "new": new, "methodology": methodology.version}
    if incident is not None:
        data["incident"] = {"id": incident.pk, "reference": incident.reference}
    return _entry(risk, RiskEntryKind.RATED, summary, actor=actor, data=data)


def _fmt(rating) -> str:
    if not rating or rating.get("score") is None:
        return "unrated"
    return f"L{rating['likelihood']} x I{rating['impact']} = {rating['score']}"


def risk_status_event(*, risk, actor, source, target, reason=""):
    summary = f"Status {source} -> {target}" + (f": {reason}" if reason else "")
    return _entry(
        risk,
        RiskEntryKind.STATUS,
        summary,
        actor=actor,
        data={"from": str(source), "to": str(target), "reason": reason},
    )


def risk_accepted_event(*, risk, actor, acceptance):
    return _entry(
        risk,
        RiskEntryKind.ACCEPTED,
        f"Residual risk (score {acceptance.residual_score}, {acceptance.band}) accepted under "
        f"methodology v{acceptance.methodology.version}: {acceptance.rationale}",
        actor=actor,
        data={"acceptance": acceptance.pk},
    )


def risk_reviewed_event(*, risk, actor, note, next_review_date):
    return _entry(
        risk,
        RiskEntryKind.REVIEWED,
        f"Reviewed; next review {next_review_date:%Y-%m-%d}" + (f": {note}" if note else ""),
        actor=actor,
        data={"next_review_date": next_review_date.isoformat()},
    )


def risk_controls_event(*, risk, actor, added, removed):
    parts = []
    if added:
        parts.append("applied " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    return _entry(
        risk,
        RiskEntryKind.CONTROLS,
        "Controls: " + "; ".join(parts),
        actor=actor,
        data={"added": added, "removed": removed},
    )


def incident_link_event(*, risk, actor, link):
    """On the risk's timeline: which incident changed it, how and why."""
    incident = link.incident
    summary = f"{link.get_kind_display()} — incident {incident.reference}"
    if link.kind == "rerated":
        summary += f": {_fmt(link.old_rating)} -> {_fmt(link.new_rating)}"
    if link.reason:
        summary += f" ({link.reason})"
    return _entry(
        risk,
        RiskEntryKind.INCIDENT,
        summary,
        actor=actor,
        data={"incident": incident.pk, "reference": incident.reference, "link": link.pk},
    )


def incident_timeline_event(*, link, actor):
    """On the incident's timeline, through the incidents module's own event writer."""
    from incidents.choices import TimelineKind
    from incidents.events import module_event

    risk = link.risk
    words = {
        "materialised": f"Risk {risk.reference} ({risk.title}) marked as materialised",
        "rerated": (
            f"Risk {risk.reference} re-rated: {_fmt(link.old_rating)} -> {_fmt(link.new_rating)}"
        ),
        "raised": f"Risk {risk.reference} ({risk.title}) raised from this incident",
    }
    summary = words[link.kind] + (f": {link.reason}" if link.reason else "")
    return module_event(
        incident=link.incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=summary,
        data={"module": "risk", "risk": risk.pk, "reference": risk.reference, "link": link.kind},
    )


def legal_hold_event(*, hold, actor, released=False):
    """On the incident's timeline: a legal hold placed or released, and why."""
    from incidents.choices import TimelineKind
    from incidents.events import module_event

    if released:
        summary = f"Legal hold released: {hold.release_reason}"
    else:
        summary = f"Legal hold placed — no record of this incident is purged: {hold.reason}"
    return module_event(
        incident=hold.incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=summary,
        data={"module": "risk", "legal_hold": hold.pk, "released": released},
    )


def purge_event(*, incident, actor, tombstones):
    """On the incident's timeline: which of its records a purge deleted, under which rules."""
    from incidents.choices import TimelineKind
    from incidents.events import module_event

    names = ", ".join(t.record_label for t in tombstones)
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.EVIDENCE,
        summary=f"Purged past retention ({tombstones[0].rule_text}): {names}",
        data={
            "module": "risk",
            "purge_run": tombstones[0].run,
            "tombstones": [t.pk for t in tombstones],
        },
    )
