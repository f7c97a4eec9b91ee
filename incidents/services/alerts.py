"""Alert intake: monitoring alerts open incidents, and repeats join the incident they opened.

Two shapes arrive here. ``alertmanager_receive`` takes the Prometheus Alertmanager webhook
payload (version 4) exactly as Alertmanager sends it; ``generic_alert_receive`` takes one alert
in a small documented JSON shape, for any other monitor.

What always holds:

- A payload is validated whole before anything is written, and each service runs in one
  transaction: an invalid alert anywhere in a payload saves nothing, and the error names the
  alert (``alerts[1]: …``) and what is wrong with it.
- An alert is identified by its source and fingerprint. While an incident it is attached to is
  open, the same alert firing again is added to that incident's timeline instead of opening
  another one; once that incident is closed or rejected, the next firing opens a new incident.
- ``audited_write`` takes the audit-chain lock first, so concurrent deliveries of the same
  alert run one after the other and the check-then-create on a fingerprint cannot race.
- A resolved alert is noted on its open incident's timeline; it never closes the incident
  (people close incidents, through the lifecycle).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save
from inventory.models import AISystem

from .. import events, permissions
from ..choices import OPEN_STATUSES, AlertSource, AlertState, DetectionSource, Severity
from ..models import AlertLink
from . import detection
from .incidents import _incident_create

MAX_ALERTS = 500
MAX_FINGERPRINT = 200
MAX_SOURCE = 50
MAX_TITLE = 250
MAX_DESCRIPTION = 20000
FUTURE_TOLERANCE = timedelta(minutes=5)

# Alertmanager label ``severity`` -> suggested severity. Unknown values suggest nothing.
SEVERITY_LABELS = {
    "critical": Severity.P0,
    "high": Severity.P1,
    "error": Severity.P1,
    "warning": Severity.P2,
    "medium": Severity.P2,
    "info": Severity.P3,
    "low": Severity.P3,
}
SEVERITY_REASON = "Suggested by the alert's severity label"
GENERIC_FIELDS = frozenset(
    {
        "source",
        "fingerprint",
        "status",
        "system",
        "title",
        "description",
        "severity",
        "started_at",
        "url",
        "labels",
    }
)


def _require_poster(actor) -> None:
    require(permissions.can_post_alerts(actor))


@dataclass
class _Alert:
    """One alert, validated and normalised, whatever shape it arrived in."""

    source: str  # AlertSource
    source_label: str  # who sent it, shown on the timeline: "Alertmanager", "grafana", …
    fingerprint: str
    status: str  # AlertState
    system: AISystem
    name: str
    title: str
    description: str
    started_at: datetime
    ended_at: datetime | None
    url: str
    severity: Severity | None
    labels: dict = field(default_factory=dict)


class _Invalid(Exception):
    """What is wrong with one field of one alert; becomes ``ValidationFailed``."""

    def __init__(self, message, *, field_name="non_field_errors"):
        self.field_name = field_name
        super().__init__(message)


# --- field checks ------------------------------------------------------------------------


def _text(value, name: str, *, required: bool = True, max_length: int | None = None) -> str:
    if value is None or value == "":
        if required:
            raise _Invalid(_("%s is required") % name, field_name=name)
        return ""
    if not isinstance(value, str):
        raise _Invalid(_("%s must be a string") % name, field_name=name)
    value = value.strip()
    if required and not value:
        raise _Invalid(_("%s is required") % name, field_name=name)
    if max_length and len(value) > max_length:
        raise _Invalid(
            _("%(name)s is longer than %(max)d characters") % {"name": name, "max": max_length},
            field_name=name,
        )
    return value


def _time(value, name: str, *, required: bool) -> datetime | None:
    """An RFC 3339 / ISO 8601 time (Alertmanager sends nanoseconds; they are truncated).

    Alertmanager's zero time "0001-01-01T00:00:00Z" means "not set". A naive time is read in
    the server's time zone. A time in the future is refused: it would be a detection time that
    has not happened yet.
    """
    if value in (None, ""):
        if required:
            raise _Invalid(_("%s is required") % name, field_name=name)
        return None
    if not isinstance(value, str):
        raise _Invalid(_("%s must be an ISO 8601 time string") % name, field_name=name)
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Invalid(
            _("%(name)s is not a valid ISO 8601 time: %(value)r")
            % {"name": name, "value": value[:60]},
            field_name=name,
        )
    if parsed.year <= 1:
        if required:
            raise _Invalid(_("%s is not set") % name, field_name=name)
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > timezone.now() + FUTURE_TOLERANCE:
        raise _Invalid(
            _("%(name)s is in the future: %(value)s") % {"name": name, "value": value[:60]},
            field_name=name,
        )
    return parsed.astimezone(UTC)


def _http_url(value, name: str, *, strict: bool) -> str:
    """An http(s) URL, or "" when absent. Alertmanager's ``generatorURL`` is kept only when it
    is http(s) (``strict=False``); a generic alert's ``url`` must be one (``strict=True``)."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise _Invalid(_("%s must be a string") % name, field_name=name)
    value = value.strip()
    if value.startswith(("http://", "https://")) and len(value) <= 2000:
        return value
    if strict:
        raise _Invalid(_("%s must be an http(s) URL") % name, field_name=name)
    return ""


def _labels(value, name: str = "labels") -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(_("%s must be an object") % name, field_name=name)
    return {
        str(key): item if isinstance(item, str | int | float | bool) else str(item)
        for key, item in value.items()
    }


def _status(value) -> str:
    if not isinstance(value, str) or value not in AlertState.values:
        raise _Invalid(
            _("status must be 'firing' or 'resolved', not %r") % (value,), field_name="status"
        )
    return value


def _describe(*, text: str, labels: dict, started_at: datetime, extra: list[str]) -> str:
    lines = [text.strip(), ""] if text.strip() else []
    lines.append(_("Alert started at: %s") % started_at.isoformat())
    lines.extend(extra)
    if labels:
        lines += ["", _("Alert labels:")]
        lines.extend(f"- {key}: {value}" for key, value in sorted(labels.items()))
    return "\n".join(lines)[:MAX_DESCRIPTION]


# --- Alertmanager ------------------------------------------------------------------------


def _parse_alertmanager(payload) -> list[_Alert]:
    if not isinstance(payload, dict):
        raise ValidationFailed(
            _("The payload must be a JSON object: an Alertmanager webhook payload, version 4.")
        )
    version = payload.get("version")
    if version != "4":
        raise ValidationFailed(
            _('Unsupported Alertmanager payload version %r: version "4" is expected.') % (version,),
            fields={"version": ["unsupported"]},
        )
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise ValidationFailed(
            _("alerts must be a non-empty list."), fields={"alerts": ["required"]}
        )
    if len(alerts) > MAX_ALERTS:
        raise ValidationFailed(
            _("At most %d alerts per delivery; set max_alerts on the Alertmanager receiver.")
            % MAX_ALERTS,
            fields={"alerts": ["too many"]},
        )
    common = payload.get("commonAnnotations")
    common = common if isinstance(common, dict) else {}
    try:
        external_url = _http_url(payload.get("externalURL"), "externalURL", strict=False)
    except _Invalid as exc:
        raise ValidationFailed(str(exc), fields={exc.field_name: [str(exc)]}) from None
    references = {
        a["labels"]["ai_system"].strip()
        for a in alerts
        if isinstance(a, dict)
        and isinstance(a.get("labels"), dict)
        and isinstance(a["labels"].get("ai_system"), str)
    }
    systems = {s.reference: s for s in AISystem.objects.filter(reference__in=references)}
    parsed = []
    for index, raw in enumerate(alerts):
        try:
            parsed.append(_parse_alertmanager_alert(raw, systems, common, external_url))
        except _Invalid as exc:
            raise ValidationFailed(
                f"alerts[{index}]: {exc}", fields={f"alerts[{index}].{exc.field_name}": [str(exc)]}
            ) from None
    return parsed


def _parse_alertmanager_alert(raw, systems, common_annotations, external_url) -> _Alert:
    if not isinstance(raw, dict):
        raise _Invalid(_("an alert must be an object"))
    status = _status(raw.get("status"))
    fingerprint = _text(raw.get("fingerprint"), "fingerprint", max_length=MAX_FINGERPRINT)
    labels = _labels(raw.get("labels"))
    reference = labels.get("ai_system")
    if not isinstance(reference, str) or not reference.strip():
        raise _Invalid(
            _("label ai_system is required: the AI system's reference, e.g. AIS-0001"),
            field_name="labels",
        )
    system = systems.get(reference.strip())
    if system is None:
        raise _Invalid(
            _("unknown AI system %r in label ai_system") % reference.strip(), field_name="labels"
        )
    annotations = raw.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise _Invalid(_("annotations must be an object"), field_name="annotations")
    annotations = {**common_annotations, **annotations}
    started_at = _time(raw.get("startsAt"), "startsAt", required=True)
    ended_at = None
    if status == AlertState.RESOLVED:
        ended_at = _time(raw.get("endsAt"), "endsAt", required=False)
    name = str(labels.get("alertname") or "").strip()[:200]
    summary = str(annotations.get("summary") or "").strip()
    title = (summary or name or _("Alert %s") % fingerprint)[:MAX_TITLE]
    return _Alert(
        source=AlertSource.ALERTMANAGER,
        source_label="Alertmanager",
        fingerprint=fingerprint,
        status=status,
        system=system,
        name=name or title,
        title=title,
        description=_describe(
            text=str(annotations.get("description") or summary or name),
            labels=labels,
            started_at=started_at,
            extra=[_("Alertmanager: %s") % external_url] if external_url else [],
        ),
        started_at=started_at,
        ended_at=ended_at,
        url=_http_url(raw.get("generatorURL"), "generatorURL", strict=False),
        severity=SEVERITY_LABELS.get(str(labels.get("severity") or "").strip().lower()),
        labels=labels,
    )


# --- generic -----------------------------------------------------------------------------


def _generic_severity(value) -> Severity | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in Severity.values:
        return Severity(value)
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("P")
        if text in {"0", "1", "2", "3"}:
            return Severity(int(text))
    raise _Invalid(
        _("severity must be one of P0, P1, P2, P3 or 0 to 3, not %r") % (value,),
        field_name="severity",
    )


def _parse_generic(payload) -> _Alert:
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The payload must be a JSON object describing one alert."))
    unknown = set(payload) - GENERIC_FIELDS
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(unknown)s. Allowed: %(allowed)s.")
            % {"unknown": ", ".join(sorted(unknown)), "allowed": ", ".join(sorted(GENERIC_FIELDS))},
            fields={name: ["unknown field"] for name in sorted(unknown)},
        )
    try:
        return _parse_generic_alert(payload)
    except _Invalid as exc:
        raise ValidationFailed(str(exc), fields={exc.field_name: [str(exc)]}) from None


def _parse_generic_alert(payload) -> _Alert:
    source = _text(payload.get("source"), "source", max_length=MAX_SOURCE)
    fingerprint = _text(
        payload.get("fingerprint"), "fingerprint", max_length=MAX_FINGERPRINT - MAX_SOURCE - 1
    )
    status = _status(payload.get("status"))
    reference = _text(payload.get("system"), "system", max_length=16)
    system = AISystem.objects.filter(reference=reference).first()
    if system is None:
        raise _Invalid(_("unknown AI system %r in field system") % reference, field_name="system")
    firing = status == AlertState.FIRING
    title = _text(payload.get("title"), "title", required=firing, max_length=MAX_TITLE)
    description = _text(
        payload.get("description"), "description", required=False, max_length=MAX_DESCRIPTION
    )
    severity = _generic_severity(payload.get("severity"))
    started_at = _time(payload.get("started_at"), "started_at", required=False)
    url = _http_url(payload.get("url"), "url", strict=True)
    labels = _labels(payload.get("labels"))
    started_at = started_at or timezone.now()
    return _Alert(
        source=AlertSource.GENERIC,
        source_label=source,
        # Two monitors may use the same fingerprints, so the monitor's name is part of the key.
        fingerprint=f"{source}:{fingerprint}",
        status=status,
        system=system,
        name=title or fingerprint,
        title=title or fingerprint,
        description=_describe(
            text=description or title,
            labels=labels,
            started_at=started_at,
            extra=[_("Monitor: %s") % source],
        ),
        started_at=started_at,
        ended_at=None if firing else timezone.now(),
        url=url,
        severity=severity,
        labels=labels,
    )


# --- applying alerts ---------------------------------------------------------------------


def _open_links(alerts: list[_Alert]) -> dict[tuple[str, str], AlertLink]:
    """Each alert's link to an incident that is still open, keyed by (source, fingerprint): one
    query for the whole delivery. The most recently seen link wins."""
    keys = {(a.source, a.fingerprint) for a in alerts}
    found: dict[tuple[str, str], AlertLink] = {}
    candidates = (
        AlertLink.objects.select_related("incident")
        .filter(
            source__in={source for source, _fp in keys},
            fingerprint__in={fp for _source, fp in keys},
            incident__status__in=list(OPEN_STATUSES),
        )
        .order_by("-last_seen_at", "-id")
    )
    for link in candidates:
        key = (link.source, link.fingerprint)
        if key in keys:
            found.setdefault(key, link)
    return found


def _event_data(alert: _Alert, link: AlertLink) -> dict:
    return {
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "started_at": alert.started_at.isoformat(),
        "ended_at": alert.ended_at.isoformat() if alert.ended_at else None,
        "occurrences": link.occurrences,
        "url": alert.url,
        "monitoring_rule": link.monitoring_rule_id,
    }


def _open_incident(actor, alert: _Alert, rule) -> AlertLink:
    data = {
        "title": alert.title,
        "description": alert.description,
        "detection_source": DetectionSource.MONITORING,
        "detected_at": alert.started_at,
    }
    if alert.url:
        data["links"] = [{"label": "Alert source", "url": alert.url}]
    incident = _incident_create(
        actor=actor,
        data=data,
        systems=[alert.system],
        severity=alert.severity,
        severity_reason=SEVERITY_REASON,
        actor_label=alert.source_label,
    )
    now = timezone.now()
    link = model_save(
        AlertLink(
            incident=incident,
            source=alert.source,
            fingerprint=alert.fingerprint,
            alert_name=alert.name[:200],
            state=AlertState.FIRING,
            labels=alert.labels,
            first_seen_at=now,
            last_seen_at=now,
            monitoring_rule=rule,
        ),
        actor=actor,
        lookups=False,  # a new incident: no link of this alert on it yet
    )
    events.alert_event(
        incident=incident,
        source_label=alert.source_label,
        summary=_("Alert %(name)s fired (since %(start)s)")
        % {"name": alert.name, "start": alert.started_at.isoformat()},
        data=_event_data(alert, link),
    )
    return link


def _fired_again(actor, alert: _Alert, link: AlertLink, rule) -> None:
    if link.monitoring_rule_id is None and rule is not None:
        link.monitoring_rule = rule
    link.occurrences += 1
    link.last_seen_at = timezone.now()
    link.state = AlertState.FIRING
    model_save(link, actor=actor, lookups=False)
    events.alert_event(
        incident=link.incident,
        source_label=alert.source_label,
        summary=_("Alert %(name)s fired again (occurrence %(n)d, since %(start)s)")
        % {"name": alert.name, "n": link.occurrences, "start": alert.started_at.isoformat()},
        data=_event_data(alert, link),
    )


def _resolved(actor, alert: _Alert, link: AlertLink) -> None:
    link.state = AlertState.RESOLVED
    link.last_seen_at = timezone.now()
    model_save(link, actor=actor, lookups=False)
    ended = alert.ended_at or timezone.now()
    events.alert_event(
        incident=link.incident,
        source_label=alert.source_label,
        summary=_("Alert %(name)s resolved at %(end)s")
        % {"name": alert.name, "end": ended.isoformat()},
        data=_event_data(alert, link),
    )


def _apply(actor, alerts: list[_Alert], *, on_applied=None) -> dict:
    """Open, update or note each alert, in the order received. Counted as ignored: a resolved
    alert with no open incident (or already noted as resolved), and an alert repeated within
    the same delivery. ``on_applied(alert, link)`` runs after each alert that reached an
    incident (the monitor intakes preserve their report there)."""
    summary = {"opened": [], "updated": [], "resolved": [], "ignored": 0}
    seen = set()
    links = _open_links(alerts)
    rules = detection.rules_matching(alerts)
    for index, alert in enumerate(alerts):
        key = (alert.source, alert.fingerprint, alert.status)
        if key in seen:
            summary["ignored"] += 1
            continue
        seen.add(key)
        link = links.get((alert.source, alert.fingerprint))
        rule = rules.get((alert.system.pk, detection.alert_metric(alert)))
        try:
            if alert.status == AlertState.FIRING and link is None:
                link = links[(alert.source, alert.fingerprint)] = _open_incident(actor, alert, rule)
                summary["opened"].append(link.incident.reference)
            elif alert.status == AlertState.FIRING:
                _fired_again(actor, alert, link, rule)
                summary["updated"].append(link.incident.reference)
            elif link is None or link.state == AlertState.RESOLVED:
                summary["ignored"] += 1
                continue
            else:
                _resolved(actor, alert, link)
                summary["resolved"].append(link.incident.reference)
            if on_applied is not None:
                on_applied(alert, link)
        except ValidationFailed as exc:
            raise ValidationFailed(f"alerts[{index}]: {exc.message}", fields=exc.fields) from exc
    return summary


@audited_write
def alertmanager_receive(*, actor, payload: dict) -> dict:
    """Take one Alertmanager webhook delivery (payload version 4), all of it or nothing.

    Each alert names its AI system in label ``ai_system`` (e.g. ``AIS-0001``); label
    ``severity`` suggests a severity (critical P0; high, error P1; warning, medium P2; info,
    low P3). Returns ``{"opened": [refs], "updated": [refs], "resolved": [refs], "ignored": n}``.
    """
    _require_poster(actor)
    return _apply(actor, _parse_alertmanager(payload))


@audited_write
def generic_alert_receive(*, actor, payload: dict) -> dict:
    """Take one alert from any other monitor, in this shape::

        {"source": "grafana", "fingerprint": "drift-eu-1", "status": "firing" | "resolved",
         "system": "AIS-0001", "title": "...", "description": "...",
         "severity": "P0".."P3" or 0..3 (optional), "started_at": ISO 8601 (optional),
         "url": "https://..." (optional), "labels": {...} (optional)}

    ``title`` is required for a firing alert. ``source`` and ``fingerprint`` together identify
    the alert; de-duplication is as for Alertmanager. Returns the same summary.
    """
    _require_poster(actor)
    return _apply(actor, [_parse_generic(payload)])
