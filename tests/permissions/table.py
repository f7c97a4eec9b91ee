"""The one table of who may do what (DESIGN section 6), for the API and the HTML pages alike.

``ACTIONS`` says, for each action, which roles it allows and under which scope rule, and which
permission rule (``<app>/permissions.py``) words its refusal. ``API`` says how each action is
exercised over the REST API (method, the OpenAPI path template, a valid body); ``HTML`` says how
the browser reaches it (the page, or the form's POST URL with a valid form body, and the marker
on the incident page that shows the form is offered). Both matrices are generated from here, so
the API and the pages cannot drift apart, and an endpoint or page without an entry fails.

Expectations are written as DESIGN says. Where the code disagrees, the case is listed in
``DEFECTS`` with the reason and runs as ``xfail(strict=True)``: it starts passing — and so fails
the suite — the day the code is fixed, and the entry is removed then.

Scopes: incidents ``own`` (on the engineer's system), ``other`` (on a system nobody in the
matrix owns), ``restricted`` (on the engineer's system, restricted; the DPO takes part),
``led`` (on the other system, the engineer leads it), ``protected`` (opened by GRC from a
protected-channel report); systems ``own``/``other``; report runs and audit samples ``own``
(the caller's) and ``other`` (someone else's). See ``conftest.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from aims.accounts.choices import Role
from capa import permissions as cp
from incidents import permissions as ip
from incidents.forms import IncidentCreateForm
from inventory import permissions as vp
from inventory.forms import AISystemForm

ROLES = tuple(Role.values)
ANONYMOUS = "anonymous"

MANAGERS = frozenset({"grc", "risk_officer"})
READ_ALL = frozenset({"grc", "risk_officer", "dpo", "legal", "ciso", "executive", "auditor"})
FILERS = MANAGERS | {"engineer", "dpo", "legal", "ciso"}
CONTRIBUTORS = frozenset({"engineer", "dpo", "legal", "ciso"})  # plus managers and the lead
EXPORTERS = MANAGERS | {"auditor", "dpo", "legal", "ciso", "executive"}
SAMPLERS = MANAGERS | {"auditor"}
REVIEWERS = MANAGERS | {"auditor", "executive", "ciso", "dpo", "legal"}
ALERT_POSTERS = MANAGERS | {"engineer"}
PROTECTED_HANDLERS = frozenset({"ethics", "grc"})
EVERYONE = frozenset(ROLES)

INCIDENT_SCOPES = ("own", "other", "restricted", "led", "protected")
SYSTEM_SCOPES = ("own", "other")
RUN_SCOPES = ("own", "other")

# Who sees which incident: restricted ones only their participants and GRC; ethics the ones from
# the protected channel; engineers those of systems they own, they reported or they lead.
INCIDENT_VIEWERS = {
    "own": EVERYONE - {"ethics"},
    "other": READ_ALL,
    "restricted": frozenset({"grc", "dpo"}),
    "led": READ_ALL | {"engineer"},
    "protected": READ_ALL | {"ethics"},
}


def manages(role, scope) -> bool:
    """GRC, the AI risk officer, and the incident lead."""
    return role in MANAGERS or (role == "engineer" and scope == "led")


def contributes(role, scope) -> bool:
    return manages(role, scope) or role in CONTRIBUTORS


def works_on_capa(role, scope) -> bool:
    """GRC, the AI risk officer, and the CAPA's owner (the engineer, for the ``own`` CAPA)."""
    return role in MANAGERS or (role == "engineer" and scope == "own")


def owns_system(role, scope) -> bool:
    return role in MANAGERS or (role == "engineer" and scope == "own")


# --- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    # "incident", "system", "run", "sample", "report" (protected report) or "none": how the
    # scope decides visibility (a record the caller cannot see answers 404).
    kind: str
    allowed: Callable[[str, str | None], bool]
    # Roles that pass the check made before any record is looked up; the others get 403 even
    # for a record they could not see.
    gate: frozenset | None = None
    # The permission rule whose Decision words the refusal: (user, world, scope) -> Decision.
    rule: Callable | None = None
    write: bool = False


def _roles(roles):
    return lambda role, scope: role in roles


def _everyone(role, scope):
    return True


def _inc(rule):
    return lambda user, w, scope: rule(user, w.incidents[scope])


def _capa(rule):
    return lambda user, w, scope: rule(user, w.capas[scope])


def _sys(rule):
    return lambda user, w, scope: rule(user, w.systems[scope])


def _record(what):
    """A system owner's recording rule, in the words of what is recorded."""
    return lambda user, w, scope: vp.can_record_for_system(user, w.systems[scope], what=what)


_A = [
    # incidents
    Action("incident.list", "none", _everyone, gate=EVERYONE),
    Action("incident.similar", "none", _everyone, gate=EVERYONE),
    Action("incident.retrieve", "incident", _everyone),
    Action(
        "incident.create",
        "none",
        _roles(FILERS),
        gate=FILERS,
        rule=lambda u, w, s: ip.can_file_incident(u),
        write=True,
    ),
    Action("incident.update", "incident", manages, rule=_inc(ip.can_edit_incident), write=True),
    Action("incident.transition", "incident", manages, rule=_inc(ip.can_move_incident), write=True),
    Action(
        "incident.severity", "incident", contributes, rule=_inc(ip.can_change_severity), write=True
    ),
    Action("incident.note", "incident", contributes, rule=_inc(ip.can_add_note), write=True),
    Action(
        "incident.lead",
        "incident",
        lambda r, s: r in MANAGERS,
        rule=_inc(ip.can_assign_lead),
        write=True,
    ),
    Action(
        "incident.participant",
        "incident",
        manages,
        rule=_inc(ip.can_add_participant),
        write=True,
    ),
    Action("incident.system", "incident", manages, rule=_inc(ip.can_add_system), write=True),
    Action(
        "incident.containment",
        "incident",
        manages,
        rule=_inc(ip.can_decide_containment),
        write=True,
    ),
    Action(
        "incident.waiver",
        "incident",
        lambda r, s: r == "risk_officer",
        rule=_inc(ip.can_approve_waiver),
        write=True,
    ),
    Action(
        "incident.notification",
        "incident",
        manages,
        rule=_inc(ip.can_record_notification),
        write=True,
    ),
    Action("incident.timeline", "incident", _everyone),
    Action("incident.recent_changes", "incident", _everyone),
    Action("incident.clocks", "incident", _everyone),
    Action("incident.case_file", "incident", _everyone),
    Action("incident.history", "incident", _everyone),
    Action(
        "incident.export",
        "none",
        _roles(EXPORTERS),
        gate=EXPORTERS,
        rule=lambda u, w, s: ip.can_export_register(u),
    ),
    Action("evidence.list", "incident", _everyone),
    Action("evidence.list_all", "none", _everyone, gate=EVERYONE),
    Action("evidence.retrieve", "incident", _everyone),
    Action("evidence.download", "incident", _everyone),
    Action("evidence.upload", "incident", contributes, rule=_inc(ip.can_add_evidence), write=True),
    Action(
        "alert.receive",
        "none",
        _roles(ALERT_POSTERS),
        gate=ALERT_POSTERS,
        rule=lambda u, w, s: ip.can_post_alerts(u),
        write=True,
    ),
    # inventory
    Action("system.list", "none", _everyone, gate=EVERYONE),
    Action("system.retrieve", "system", _everyone),
    Action("system.version_at", "system", _everyone),
    Action("system.history", "system", _everyone),
    Action(
        "system.create",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: vp.can_create_system(u),
        write=True,
    ),
    Action("system.update", "system", owns_system, rule=_sys(vp.can_change_system), write=True),
    Action(
        "system.delete",
        "system",
        lambda r, s: r in MANAGERS,
        rule=lambda u, w, s: vp.can_delete_system(u, w.systems[f"free_{s}"]),
        write=True,
    ),
    Action("model_version.list", "none", _everyone, gate=EVERYONE),
    Action("model_version.retrieve", "system", _everyone),
    Action(
        "model_version.create",
        "system",
        owns_system,
        rule=_record("add model versions"),
        write=True,
    ),
    Action(
        "model_version.update",
        "system",
        owns_system,
        rule=_record("edit model versions"),
        write=True,
    ),
    # Model versions are never deleted: who may change the inventory is told so (400).
    Action(
        "model_version.delete",
        "system",
        lambda r, s: r in MANAGERS,
        rule=lambda u, w, s: vp.can_manage_inventory(u),
        write=True,
    ),
    Action(
        "model_version.approve",
        "system",
        lambda r, s: r in MANAGERS,
        rule=lambda u, w, s: vp.can_approve_model_version(u),
        write=True,
    ),
    Action("deployment.list", "none", _everyone, gate=EVERYONE),
    Action("deployment.retrieve", "system", _everyone),
    Action(
        "deployment.create", "system", owns_system, rule=_record("record deployments"), write=True
    ),
    Action(
        "deployment.correct",
        "system",
        lambda r, s: r in MANAGERS,
        rule=lambda u, w, s: vp.can_correct_change_log(u),
        write=True,
    ),
    Action("monitoring_rule.list", "none", _everyone, gate=EVERYONE),
    Action("monitoring_rule.retrieve", "system", _everyone),
    Action(
        "monitoring_rule.create",
        "system",
        owns_system,
        rule=_record("add monitoring rules"),
        write=True,
    ),
    Action(
        "monitoring_rule.update",
        "system",
        owns_system,
        rule=_record("change monitoring rules"),
        write=True,
    ),
    # the signed-in person's own things
    Action("me.retrieve", "none", _everyone, gate=EVERYONE),
    Action("me.work", "none", _everyone, gate=EVERYONE),
    Action("me.inbox", "none", _everyone, gate=EVERYONE),
    Action("me.inbox_read", "none", _everyone, gate=EVERYONE, write=True),
    Action("me.notifications", "none", _everyone, gate=EVERYONE),
    Action("me.profile", "none", _everyone, gate=EVERYONE),
    Action("me.password", "none", _everyone, gate=EVERYONE),
    Action("home", "none", _everyone, gate=EVERYONE),
    # reports
    Action("report.home", "none", _everyone, gate=EVERYONE),
    Action("report_run.list", "none", _everyone, gate=EVERYONE),
    Action("report_run.retrieve", "run", _everyone),
    Action("report_run.download", "run", _everyone),
    Action("document.verify", "none", _everyone, gate=EVERYONE),
    Action(
        "report.register_export",
        "none",
        _roles(EXPORTERS),
        gate=EXPORTERS,
        rule=lambda u, w, s: ip.can_export_register(u),
        write=True,
    ),
    Action("report.audit_sample", "none", _roles(SAMPLERS), gate=SAMPLERS, write=True),
    Action("report.audit_sample_list", "none", _roles(SAMPLERS), gate=SAMPLERS),
    Action("report.audit_sample_retrieve", "sample", _roles(SAMPLERS), gate=SAMPLERS),
    Action("report.review_metrics", "none", _roles(REVIEWERS), gate=REVIEWERS),
    Action("report.review_pack", "none", _roles(REVIEWERS), gate=REVIEWERS, write=True),
    # the protected channel
    Action("concern.report", "public", _everyone),
    Action("concern.status", "public", _everyone),
    Action(
        "protected.list",
        "none",
        _roles(PROTECTED_HANDLERS),
        gate=PROTECTED_HANDLERS,
        rule=lambda u, w, s: ip.can_handle_protected_reports(u),
    ),
    Action(
        "protected.retrieve",
        "report",
        _roles(PROTECTED_HANDLERS),
        gate=PROTECTED_HANDLERS,
        rule=lambda u, w, s: ip.can_handle_protected_reports(u),
    ),
    Action(
        "protected.reply",
        "report",
        _roles(PROTECTED_HANDLERS),
        gate=PROTECTED_HANDLERS,
        rule=lambda u, w, s: ip.can_handle_protected_reports(u),
        write=True,
    ),
    Action(
        "protected.status",
        "report",
        _roles(PROTECTED_HANDLERS),
        gate=PROTECTED_HANDLERS,
        rule=lambda u, w, s: ip.can_handle_protected_reports(u),
        write=True,
    ),
    Action(
        "protected.convert",
        "report",
        _roles({"grc"}),
        gate=frozenset({"grc"}),
        rule=lambda u, w, s: ip.can_convert_protected_report(u),
        write=True,
    ),
    # ==== CAPA records, effectiveness checks, audit findings (capa/) =========================
    # CAPA scopes: ``own`` answers the own incident and the engineer owns it; ``other`` answers
    # the other incident and someone outside the matrix owns it (see conftest._capa_world).
    Action("capa.list", "none", _everyone, gate=EVERYONE),
    Action("capa.retrieve", "capa", _everyone),
    Action("capa.suggestions", "none", _everyone, gate=EVERYONE),
    Action(
        "capa.create",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: cp.can_create_capa(u),
        write=True,
    ),
    Action("capa.update", "capa", works_on_capa, rule=_capa(cp.can_edit_capa), write=True),
    Action("capa.transition", "capa", works_on_capa, rule=_capa(cp.can_work_on_capa), write=True),
    Action(
        "capa.evidence_upload",
        "capa",
        works_on_capa,
        rule=_capa(cp.can_add_capa_evidence),
        write=True,
    ),
    Action("capa.evidence_download", "capa", _everyone),
    Action(
        "capa.check_plan",
        "capa",
        lambda r, s: r in MANAGERS,
        rule=_capa(cp.can_plan_check),
        write=True,
    ),
    # The owner and the implementer never verify; the engineer owns the ``own`` CAPA.
    Action(
        "capa.check_result",
        "capa",
        lambda r, s: r in MANAGERS,
        rule=_capa(cp.can_verify),
        write=True,
    ),
    Action("incident.capas", "incident", _everyone),
    Action(
        "incident.no_capa",
        "incident",
        manages,
        rule=_inc(cp.can_decide_no_capa),
        write=True,
    ),
    Action("finding.list", "none", _everyone, gate=EVERYONE),
    Action("finding.retrieve", "none", _everyone, gate=EVERYONE),
    Action(
        "finding.create",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: cp.can_manage_findings(u),
        write=True,
    ),
    Action(
        "finding.update",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: cp.can_manage_findings(u),
        write=True,
    ),
    Action(
        "finding.transition",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: cp.can_manage_findings(u),
        write=True,
    ),
    # ==== end of the CAPA block =============================================================
    # signing in and out
    Action("session.login", "anonymous_only", lambda r, s: r == ANONYMOUS),
    Action("session.logout", "public", _everyone, write=True),
    Action("health", "public", _everyone),
]
ACTIONS = {a.name: a for a in _A}


def visible(action: Action, world, role, scope) -> bool:
    """Whether the record the case targets is one ``role`` may see."""
    if action.kind == "incident":
        return role in INCIDENT_VIEWERS[scope]
    if action.kind == "capa":  # whoever sees the incident a CAPA answers (or owns the CAPA)
        return role in INCIDENT_VIEWERS[scope]
    if action.kind == "run":
        return scope == "own" or role == "grc"
    if action.kind == "sample":
        return scope == "own" or role == "grc"
    return True


def expected_status(action: Action, world, role, scope, ok: int, *, refused: int = 403) -> int:
    """What a role gets: ``ok``, 403 (refused) or 404 (a record it may not see)."""
    if action.gate is not None and role not in action.gate:
        return refused
    if not visible(action, world, role, scope):
        return 404
    return ok if action.allowed(role, scope) else refused


# --- bodies ---------------------------------------------------------------------------------


def incident_body(w, role, scope):
    return {
        "title": "Chatbot gives dosage advice",
        "description": "The support assistant answered a medication dosage question.",
        "kind": "incident",
        "types": ["harmful_output"],
        "detection_source": "user_report",
        "systems": [w.systems["other"].reference],
    }


def incident_put_body(w, role, scope):
    body = incident_body(w, role, scope)
    body.pop("systems")
    return {**body, "title": "Edited title", "detected_at": "2026-03-01T10:00:00Z"}


def as_rendered(form_class, form_kwargs=None, **overrides) -> dict:
    """What the browser submits for an untouched form (each field's initial value), plus
    ``overrides``: a valid body that does not depend on the form's every default."""
    form = form_class(**(form_kwargs or {}))
    data = {}
    for name, field in form.fields.items():
        value = form.get_initial_for_field(field, name)
        if value is None or value == "" or value is False:
            continue
        if callable(getattr(value, "isoformat", None)):
            continue
        data[name] = value if not isinstance(value, list | tuple) else list(value)
    return {**data, **overrides}


def upload():
    return SimpleUploadedFile("log.txt", b"2026-03-01 request=... response=...\n", "text/plain")


def system_body(w, role, scope):
    return {
        "name": "Resume screener",
        "intended_purpose": "Rank applications",
        "business_owner": w.users["engineer"].pk,
    }


def alertmanager_body(w, role, scope):
    ref = w.systems["own"].reference
    return {
        "version": "4",
        "groupKey": '{}:{ai_system="' + ref + '"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "aims-register",
        "groupLabels": {"ai_system": ref},
        "commonLabels": {"ai_system": ref},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "ToxicityHigh", "ai_system": ref, "severity": "critical"},
                "annotations": {"summary": "Toxic answers above 2% for 10 minutes"},
                "startsAt": "2026-03-01T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com/graph",
                "fingerprint": "5e7d1c0f9a3b2e41",
            }
        ],
    }


def generic_alert_body(w, role, scope):
    return {
        "source": "grafana",
        "fingerprint": "drift-credit-eu",
        "status": "firing",
        "system": w.systems["own"].reference,
        "title": "Population stability index above 0.25",
        "description": "PSI 0.31 on applicant income over the last 24 h.",
        "severity": "P2",
        "started_at": "2026-03-01T10:00:00Z",
    }


# --- the API --------------------------------------------------------------------------------


def _i(w, role, scope):
    return w.incidents[scope].pk


def _s(w, role, scope):
    return w.systems[scope].pk


@dataclass(frozen=True)
class Api:
    action: str
    method: str
    path: str  # the OpenAPI path template
    ok: int
    scopes: tuple = (None,)
    target: Callable | None = None  # (world, role, scope) -> the {id}
    body: Callable | None = None  # (world, role, scope) -> the request body
    multipart: bool = False
    query: str = ""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _run(w, role, scope):
    run = w.run_for(role, scope)
    return run.pk if run else None


def _sample(w, role, scope):
    run = w.sample_for(role, scope)
    return run.pk if run else None


INC, S = INCIDENT_SCOPES, SYSTEM_SCOPES
CAPA_SCOPES = ("own", "other")
V1 = "/api/v1"


def _c(w, role, scope):
    return w.capas[scope].pk


def _f(w, role, scope):
    return w.finding.pk


def capa_body(w, role, scope):
    return {
        "action_type": "corrective",
        "source": "risk_treatment",
        "title": "Add input validation",
        "description": "Refuse inputs the model was not built for.",
        "owner": w.users["engineer"].pk,
        "horizon": "short_term",
    }


def finding_body(w, role, scope):
    return {
        "audit_kind": "internal",
        "audit_reference": "IA-2026-03",
        "classification": "minor",
        "clause": "10.2",
        "title": "CAPA closed without effectiveness check",
        "description": "One CAPA closed on paper.",
        "objective_evidence": "The CAPA record.",
    }


API = [
    # incidents
    Api("incident.list", "GET", f"{V1}/incidents/", 200),
    Api("incident.create", "POST", f"{V1}/incidents/", 201, body=incident_body),
    Api("incident.retrieve", "GET", f"{V1}/incidents/{{id}}/", 200, INC, _i),
    Api("incident.update", "PUT", f"{V1}/incidents/{{id}}/", 200, INC, _i, body=incident_put_body),
    Api(
        "incident.update",
        "PATCH",
        f"{V1}/incidents/{{id}}/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"title": "Edited title"},
    ),
    Api(
        "incident.case_file",
        "GET",
        f"{V1}/incidents/{{id}}/case-file.pdf",
        202,  # no worker runs in the matrix: the run to follow (conftest sets no wait)
        ("own", "restricted"),
        _i,
    ),
    Api("incident.clocks", "GET", f"{V1}/incidents/{{id}}/clocks/", 200, INC, _i),
    Api(
        "incident.containment",
        "POST",
        f"{V1}/incidents/{{id}}/containment/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"option": "pause", "rationale": "Human review until fixed"},
    ),
    Api("evidence.list", "GET", f"{V1}/incidents/{{id}}/evidence/", 200, INC, _i),
    Api(
        "evidence.upload",
        "POST",
        f"{V1}/incidents/{{id}}/evidence/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"file": upload(), "kind": "audit_log"},
        multipart=True,
    ),
    Api(
        "incident.waiver",
        "POST",
        f"{V1}/incidents/{{id}}/evidence-waiver/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"reason": "Logs are rotated; urgent rollback first"},
    ),
    Api(
        "incident.lead",
        "POST",
        f"{V1}/incidents/{{id}}/lead/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"user": w.helper.pk},
    ),
    Api(
        "incident.note",
        "POST",
        f"{V1}/incidents/{{id}}/notes/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"body": "Seen in production too."},
    ),
    Api(
        "incident.notification",
        "POST",
        f"{V1}/incidents/{{id}}/notifications/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"recipients": "AI risk officer", "channel": "phone"},
    ),
    Api(
        "incident.participant",
        "POST",
        f"{V1}/incidents/{{id}}/participants/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"user": w.helper.pk, "part": "scribe"},
    ),
    Api("incident.recent_changes", "GET", f"{V1}/incidents/{{id}}/recent-changes/", 200, INC, _i),
    Api(
        "incident.severity",
        "POST",
        f"{V1}/incidents/{{id}}/severity/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"severity": 1, "reason": "More customers affected"},
    ),
    Api(
        "incident.system",
        "POST",
        f"{V1}/incidents/{{id}}/systems/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"system": w.systems["free_other"].reference},
    ),
    Api("incident.timeline", "GET", f"{V1}/incidents/{{id}}/timeline/", 200, INC, _i),
    Api(
        "incident.transition",
        "POST",
        f"{V1}/incidents/{{id}}/transition/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"to": "rejected", "reason": "Not an AI incident"},
    ),
    # The CSV answer is a permanent redirect to the register export; followed.
    Api("incident.export", "GET", f"{V1}/incidents/export/", 200),
    Api("incident.similar", "GET", f"{V1}/incidents/similar/", 200, query="q=loan"),
    Api("evidence.list_all", "GET", f"{V1}/evidence/", 200),
    Api(
        "evidence.retrieve",
        "GET",
        f"{V1}/evidence/{{id}}/",
        200,
        INC,
        lambda w, r, s: w.evidence[s].pk,
    ),
    Api(
        "evidence.download",
        "GET",
        f"{V1}/evidence/{{id}}/download/",
        200,
        INC,
        lambda w, r, s: w.evidence[s].pk,
    ),
    Api("alert.receive", "POST", f"{V1}/alerts/alertmanager/", 200, body=alertmanager_body),
    Api("alert.receive", "POST", f"{V1}/alerts/generic/", 200, body=generic_alert_body),
    # inventory
    Api("system.list", "GET", f"{V1}/systems/", 200),
    Api("system.create", "POST", f"{V1}/systems/", 201, body=system_body),
    Api("system.retrieve", "GET", f"{V1}/systems/{{id}}/", 200, S, _s),
    Api(
        "system.update",
        "PUT",
        f"{V1}/systems/{{id}}/",
        200,
        S,
        _s,
        body=lambda w, r, s: {**system_body(w, r, s), "name": f"Renamed {s}"},
    ),
    Api(
        "system.update",
        "PATCH",
        f"{V1}/systems/{{id}}/",
        200,
        S,
        _s,
        body=lambda w, r, s: {"name": f"Renamed {s}"},
    ),
    Api(
        "system.delete",
        "DELETE",
        f"{V1}/systems/{{id}}/",
        204,
        S,
        lambda w, r, s: w.systems[f"free_{s}"].pk,
    ),
    Api(
        "system.version_at",
        "GET",
        f"{V1}/systems/{{id}}/version-at/",
        200,
        S,
        _s,
        query="at=2099-01-01T00:00:00Z",
    ),
    Api("model_version.list", "GET", f"{V1}/model-versions/", 200),
    Api(
        "model_version.create",
        "POST",
        f"{V1}/model-versions/",
        201,
        S,
        body=lambda w, r, s: {"system": w.systems[s].pk, "version_label": "2.0"},
    ),
    Api(
        "model_version.retrieve",
        "GET",
        f"{V1}/model-versions/{{id}}/",
        200,
        S,
        lambda w, r, s: w.versions[s].pk,
    ),
    Api(
        "model_version.update",
        "PUT",
        f"{V1}/model-versions/{{id}}/",
        200,
        S,
        lambda w, r, s: w.versions[s].pk,
        body=lambda w, r, s: {
            "version_label": w.versions[s].version_label,
            "evaluation_summary": "AUC 0.91",
        },
    ),
    Api(
        "model_version.update",
        "PATCH",
        f"{V1}/model-versions/{{id}}/",
        200,
        S,
        lambda w, r, s: w.versions[s].pk,
        body=lambda w, r, s: {"evaluation_summary": "AUC 0.91"},
    ),
    Api(
        "model_version.delete",
        "DELETE",
        f"{V1}/model-versions/{{id}}/",
        400,
        S,
        lambda w, r, s: w.versions[s].pk,
    ),
    Api(
        "model_version.approve",
        "POST",
        f"{V1}/model-versions/{{id}}/approve/",
        200,
        S,
        lambda w, r, s: w.versions[s].pk,
    ),
    Api("deployment.list", "GET", f"{V1}/deployments/", 200),
    Api(
        "deployment.create",
        "POST",
        f"{V1}/deployments/",
        201,
        S,
        body=lambda w, r, s: {
            "system": w.systems[s].pk,
            "model_version": w.versions[s].pk,
            "change_type": "config_change",
        },
    ),
    Api(
        "deployment.retrieve",
        "GET",
        f"{V1}/deployments/{{id}}/",
        200,
        S,
        lambda w, r, s: w.deployments[s].pk,
    ),
    Api(
        "deployment.correct",
        "PUT",
        f"{V1}/deployments/{{id}}/",
        200,
        S,
        lambda w, r, s: w.deployments[s].pk,
        body=lambda w, r, s: {
            "model_version": w.versions[s].pk,
            "change_type": "deploy",
            "change_reference": "CHG-9",
            "reason": "Ticket number typo",
        },
    ),
    Api(
        "deployment.correct",
        "PATCH",
        f"{V1}/deployments/{{id}}/",
        200,
        S,
        lambda w, r, s: w.deployments[s].pk,
        body=lambda w, r, s: {"change_reference": "CHG-9", "reason": "Ticket number typo"},
    ),
    Api("monitoring_rule.list", "GET", f"{V1}/monitoring-rules/", 200),
    Api(
        "monitoring_rule.create",
        "POST",
        f"{V1}/monitoring-rules/",
        201,
        S,
        body=lambda w, r, s: {
            "system": w.systems[s].pk,
            "metric": "latency_p95",
            "threshold": "4",
            "channel": "#ml-alerts",
        },
    ),
    Api(
        "monitoring_rule.retrieve",
        "GET",
        f"{V1}/monitoring-rules/{{id}}/",
        200,
        S,
        lambda w, r, s: w.rules[s].pk,
    ),
    Api(
        "monitoring_rule.update",
        "PUT",
        f"{V1}/monitoring-rules/{{id}}/",
        200,
        S,
        lambda w, r, s: w.rules[s].pk,
        body=lambda w, r, s: {
            "metric": "toxicity_ratio",
            "threshold": "0.01",
            "channel": "#ml-alerts",
            "change_reason": "Tightened after an incident",
        },
    ),
    Api(
        "monitoring_rule.update",
        "PATCH",
        f"{V1}/monitoring-rules/{{id}}/",
        200,
        S,
        lambda w, r, s: w.rules[s].pk,
        body=lambda w, r, s: {"threshold": "0.01", "change_reason": "Tightened after an incident"},
    ),
    # the signed-in person
    Api("me.retrieve", "GET", f"{V1}/me/", 200),
    Api("me.work", "GET", f"{V1}/me/work/", 200),
    Api("me.inbox", "GET", f"{V1}/inbox/", 200),
    Api("me.inbox_read", "POST", f"{V1}/inbox/read/", 200, body=lambda w, r, s: {}),
    Api("me.notifications", "GET", f"{V1}/notifications/", 200),
    # reports
    Api("report_run.list", "GET", f"{V1}/report-runs/", 200),
    Api("report_run.retrieve", "GET", f"{V1}/report-runs/{{id}}/", 200, RUN_SCOPES, _run),
    Api("report_run.download", "GET", f"{V1}/report-runs/{{id}}/download/", 200, RUN_SCOPES, _run),
    Api(
        "document.verify",
        "POST",
        f"{V1}/documents/verify/",
        200,
        body=lambda w, r, s: {"sha256": w.runs["grc"].sha256},
    ),
    Api(
        "report.register_export",
        "POST",
        f"{V1}/register-exports/",
        202,
        body=lambda w, r, s: {"format": "csv"},
    ),
    Api("incident.export", "GET", f"{V1}/register-exports/csv/", 200),
    Api("report.audit_sample_list", "GET", f"{V1}/audit-samples/", 200),
    Api(
        "report.audit_sample",
        "POST",
        f"{V1}/audit-samples/",
        202,
        body=lambda w, r, s: {"size": 1, "seed": 11},
    ),
    Api(
        "report.audit_sample_retrieve",
        "GET",
        f"{V1}/audit-samples/{{id}}/",
        200,
        RUN_SCOPES,
        _sample,
    ),
    Api("report.review_metrics", "GET", f"{V1}/review-metrics/", 200),
    Api("report.review_pack", "POST", f"{V1}/review-packs/", 202, body=lambda w, r, s: {}),
    # ==== CAPA records, effectiveness checks, audit findings ================================
    Api("capa.list", "GET", f"{V1}/capas/", 200),
    Api("capa.create", "POST", f"{V1}/capas/", 201, body=capa_body),
    Api("capa.retrieve", "GET", f"{V1}/capas/{{id}}/", 200, CAPA_SCOPES, _c),
    Api(
        "capa.update",
        "PUT",
        f"{V1}/capas/{{id}}/",
        200,
        CAPA_SCOPES,
        _c,
        body=lambda w, r, s: {"title": "Edited title"},
    ),
    Api(
        "capa.update",
        "PATCH",
        f"{V1}/capas/{{id}}/",
        200,
        CAPA_SCOPES,
        _c,
        body=lambda w, r, s: {"title": "Edited title"},
    ),
    Api(
        "capa.transition",
        "POST",
        f"{V1}/capas/{{id}}/transition/",
        200,
        CAPA_SCOPES,
        _c,
        body=lambda w, r, s: {"to": "in_progress", "reason": "One case type was missed"},
    ),
    Api("capa.retrieve", "GET", f"{V1}/capas/{{id}}/evidence/", 200, CAPA_SCOPES, _c),
    Api(
        "capa.evidence_upload",
        "POST",
        f"{V1}/capas/{{id}}/evidence/",
        201,
        CAPA_SCOPES,
        _c,
        body=lambda w, r, s: {"file": upload()},
        multipart=True,
    ),
    Api(
        "capa.check_plan",
        "POST",
        f"{V1}/capas/{{id}}/effectiveness-check/",
        200,
        CAPA_SCOPES,
        _c,
        body=lambda w, r, s: {"criterion": "No repeat in 60 days", "method": "Replay"},
    ),
    Api(
        "capa.check_result",
        "POST",
        f"{V1}/capas/{{id}}/effectiveness-check/result/",
        200,
        CAPA_SCOPES,
        _c,
        body=lambda w, r, s: {"result": "passed", "note": "No repeat"},
    ),
    Api(
        "capa.evidence_download",
        "GET",
        f"{V1}/capa-evidence/{{id}}/download/",
        200,
        CAPA_SCOPES,
        lambda w, r, s: w.capa_evidence[s].pk,
    ),
    Api(
        "capa.suggestions",
        "GET",
        f"{V1}/capa-suggestions/",
        200,
        query="category=vendor_model_change",
    ),
    Api("incident.capas", "GET", f"{V1}/incidents/{{id}}/capas/", 200, INC, _i),
    Api(
        "incident.no_capa",
        "POST",
        f"{V1}/incidents/{{id}}/no-capa-decision/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"reason": "A duplicate of another incident"},
    ),
    Api("finding.list", "GET", f"{V1}/findings/", 200),
    Api("finding.create", "POST", f"{V1}/findings/", 201, body=finding_body),
    Api("finding.retrieve", "GET", f"{V1}/findings/{{id}}/", 200, target=_f),
    Api(
        "finding.update",
        "PUT",
        f"{V1}/findings/{{id}}/",
        200,
        target=_f,
        body=finding_body,
    ),
    Api(
        "finding.update",
        "PATCH",
        f"{V1}/findings/{{id}}/",
        200,
        target=_f,
        body=lambda w, r, s: {"auditee_response": "Exercise planned"},
    ),
    Api(
        "finding.transition",
        "POST",
        f"{V1}/findings/{{id}}/transition/",
        200,
        target=_f,
        body=lambda w, r, s: {"to": "closed", "reason": "Noted; exercise planned"},
    ),
    # ==== end of the CAPA block =============================================================
]

# The schema's own views are documentation, not operations.
API_NOT_IN_MATRIX = {"/api/schema/", "/api/docs/"}

# The disclosure module arrived after this table was written. Its operations are tested both
# ways, per role, in disclosure/tests/ (test_api.py, test_incident_api.py, test_views.py, the
# refusal words included); each is named here exactly, so a new endpoint still fails the
# coverage test until it has an entry. Moving them into ACTIONS/API/HTML is the next step.
DISCLOSURE_PENDING_API = frozenset(
    {
        "GET /api/v1/disclosure/regimes/",
        "GET /api/v1/disclosure/regimes/{id}/",
        "PUT /api/v1/disclosure/regimes/{id}/",
        "PATCH /api/v1/disclosure/regimes/{id}/",
        "POST /api/v1/disclosure/evaluate/",
        "GET /api/v1/incidents/{id}/obligations/",
        "GET /api/v1/incidents/{id}/disclosure/",
        "POST /api/v1/incidents/{id}/disclosure/refresh/",
        "PATCH /api/v1/incidents/{id}/disclosure/facts/",
        "POST /api/v1/incidents/{id}/disclosure/sign-off/",
        "POST /api/v1/incidents/{id}/disclosure/reopen/",
        "GET /api/v1/incidents/{id}/communications/",
        "POST /api/v1/incidents/{id}/communications/",
        "GET /api/v1/incidents/{id}/vendor-notices/",
        "POST /api/v1/incidents/{id}/vendor-notices/",
        "GET /api/v1/obligations/",
        "GET /api/v1/obligations/{id}/",
        "POST /api/v1/obligations/{id}/confirm/",
        "POST /api/v1/obligations/{id}/draft/",
        "POST /api/v1/obligations/{id}/submissions/",
        "POST /api/v1/communications/{id}/approve/",
        "POST /api/v1/communications/{id}/send/",
        "POST /api/v1/vendor-notices/{id}/acknowledge/",
        "POST /api/v1/vendor-notices/{id}/fix/",
    }
)


# --- the HTML pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Html:
    """A page (GET) or a form's POST, named by its URL name."""

    action: str
    url_name: str
    method: str = "GET"
    ok: int = 200
    scopes: tuple = (None,)
    kwargs: Callable | None = None  # (world, role, scope) -> reverse() kwargs
    body: Callable | None = None  # (world, role, scope) -> form data
    marker: bool = False  # the incident page offers this form (its action URL is on the page)
    api: str | None = None  # "METHOD path": the API operation of the same action
    refused: int = 403  # what a refused role gets (login: signed-in people are sent home)
    fresh_client: bool = False  # signs the client out: use a client of its own

    @property
    def key(self) -> str:
        return f"{self.method} {self.url_name}"


def _ik(w, role, scope):
    return {"pk": w.incidents[scope].pk}


def _sk(w, role, scope):
    return {"pk": w.systems[scope].pk}


def _rk(w, role, scope):
    run = w.run_for(role, scope)
    return {"pk": run.pk} if run else None


def _pk(w, role, scope):
    return {"pk": w.report.pk}


def _ck(w, role, scope):
    return {"pk": w.capas[scope].pk}


def _history(app_label, model_name, objects):
    return lambda w, role, scope: {
        "app_label": app_label,
        "model_name": model_name,
        "pk": getattr(w, objects)[scope].pk,
    }


HTML = [
    Html("home", "home"),
    Html("health", "healthz"),
    Html("session.login", "login", refused=302),
    Html("session.logout", "logout", "POST", 302, fresh_client=True),
    Html("me.password", "password_change"),
    Html("me.password", "password_change_done"),
    Html("me.profile", "profile"),
    Html("me.work", "my-work"),
    Html("me.inbox", "inbox"),
    Html("me.inbox_read", "inbox-read", "POST", 302, body=lambda w, r, s: {}),
    # the register
    Html("incident.list", "incidents:register"),
    Html(
        "incident.create",
        "incidents:incident-create",
        api=f"POST {V1}/incidents/",
    ),
    Html(
        "incident.create",
        "incidents:incident-create",
        "POST",
        302,
        body=lambda w, r, s: as_rendered(
            IncidentCreateForm,
            {"user": w.users["grc"]},
            title="Chatbot gives dosage advice",
            description="The support assistant answered a medication dosage question.",
            kind="incident",
            types=["harmful_output"],
            detection_source="user_report",
            detected_at="2026-03-01T10:00",
            systems=[w.systems["other"].pk],
        ),
        api=f"POST {V1}/incidents/",
    ),
    Html("incident.create", "incidents:incident-assist", body=lambda w, r, s: {"title": "loan"}),
    Html("incident.retrieve", "incidents:incident-detail", scopes=INC, kwargs=_ik),
    Html("incident.update", "incidents:incident-edit", scopes=INC, kwargs=_ik, marker=True),
    Html(
        "incident.transition",
        "incidents:incident-transition",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"to": "rejected", "reason": "Not an AI incident"},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/transition/",
    ),
    Html(
        "incident.severity",
        "incidents:incident-severity",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"severity": 1, "reason": "More customers affected"},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/severity/",
    ),
    Html(
        "incident.note",
        "incidents:incident-note",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"body": "Seen in production too."},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/notes/",
    ),
    Html(
        "incident.lead",
        "incidents:incident-lead",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"lead": w.helper.pk},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/lead/",
    ),
    Html(
        "incident.participant",
        "incidents:incident-participant",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"user": w.helper.pk, "part": "scribe"},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/participants/",
    ),
    Html(
        "incident.system",
        "incidents:incident-system",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"system": w.systems["free_other"].pk},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/systems/",
    ),
    Html(
        "incident.containment",
        "incidents:incident-containment",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"option": "pause", "rationale": "Human review until fixed"},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/containment/",
    ),
    Html(
        "incident.waiver",
        "incidents:incident-waiver",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"reason": "Logs are rotated; urgent rollback first"},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/evidence-waiver/",
    ),
    Html(
        "incident.notification",
        "incidents:incident-notification",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {
            "recipients": "AI system owner",
            "channel": "email",
            "summary": "P1 declared; triage under way.",
        },
        marker=True,
    ),
    Html(
        "evidence.upload",
        "incidents:evidence-add",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"file": upload(), "kind": "audit_log"},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/evidence/",
    ),
    Html(
        "incident.history",
        "object-history",
        scopes=INC,
        kwargs=_history("incidents", "incident", "incidents"),
    ),
    Html(
        "incident.case_file",
        "reporting:incident-case-file",
        scopes=("own", "restricted"),
        kwargs=_ik,
        ok=302,  # always through a report run: to its progress page
    ),
    # the inventory
    Html("system.list", "inventory:system-list"),
    Html("system.create", "inventory:system-create", api=f"POST {V1}/systems/"),
    Html(
        "system.create",
        "inventory:system-create",
        "POST",
        302,
        body=lambda w, r, s: as_rendered(
            AISystemForm,
            name="Resume screener",
            intended_purpose="Rank applications",
            business_owner=w.users["engineer"].pk,
        ),
        api=f"POST {V1}/systems/",
    ),
    Html("system.retrieve", "inventory:system-detail", scopes=S, kwargs=_sk),
    Html(
        "system.update",
        "inventory:system-edit",
        scopes=S,
        kwargs=_sk,
        api=f"PATCH {V1}/systems/{{id}}/",
    ),
    Html(
        "system.history",
        "object-history",
        scopes=S,
        kwargs=_history("inventory", "aisystem", "systems"),
    ),
    Html(
        "model_version.create",
        "inventory:model-version-create",
        scopes=S,
        kwargs=_sk,
        api=f"POST {V1}/model-versions/",
    ),
    Html(
        "model_version.create",
        "inventory:model-version-create",
        "POST",
        302,
        S,
        _sk,
        body=lambda w, r, s: {"version_label": "2.0"},
        api=f"POST {V1}/model-versions/",
    ),
    Html(
        "model_version.approve",
        "inventory:model-version-approve",
        "POST",
        302,
        S,
        lambda w, r, s: {"pk": w.versions[s].pk},
        body=lambda w, r, s: {},
        api=f"POST {V1}/model-versions/{{id}}/approve/",
    ),
    Html(
        "deployment.create",
        "inventory:deployment-create",
        scopes=S,
        kwargs=_sk,
        api=f"POST {V1}/deployments/",
    ),
    Html(
        "monitoring_rule.create",
        "inventory:monitoring-rule-create",
        scopes=S,
        kwargs=_sk,
        api=f"POST {V1}/monitoring-rules/",
    ),
    Html(
        "monitoring_rule.update",
        "inventory:monitoring-rule-edit",
        scopes=S,
        kwargs=lambda w, r, s: {"pk": w.rules[s].pk},
        api=f"PATCH {V1}/monitoring-rules/{{id}}/",
    ),
    # the protected channel
    Html("concern.report", "report:report"),
    Html("concern.status", "report:status"),
    Html("protected.list", "protected:list"),
    Html("protected.retrieve", "protected:detail", kwargs=_pk),
    Html(
        "protected.reply",
        "protected:reply",
        "POST",
        302,
        kwargs=_pk,
        body=lambda w, r, s: {"body": "Thank you; we are looking into it."},
    ),
    Html(
        "protected.status",
        "protected:set-status",
        "POST",
        302,
        kwargs=_pk,
        body=lambda w, r, s: {"status": "under_review"},
    ),
    Html(
        "protected.convert",
        "protected:convert",
        "POST",
        302,
        kwargs=_pk,
        body=lambda w, r, s: {
            "title": "Human review switched off",
            "description": "Loan refusals are no longer reviewed.",
        },
    ),
    # reports
    Html("report.home", "reporting:reports"),
    Html("report_run.retrieve", "reporting:run-detail", scopes=RUN_SCOPES, kwargs=_rk),
    Html("report_run.download", "reporting:run-download", scopes=RUN_SCOPES, kwargs=_rk),
    Html(
        "report.register_export",
        "reporting:export-new",
        api=f"POST {V1}/register-exports/",
    ),
    Html("report.audit_sample", "reporting:sample-new", api=f"POST {V1}/audit-samples/"),
    Html("report.review_metrics", "reporting:dashboard", api=f"GET {V1}/review-metrics/"),
    Html(
        "report.review_pack",
        "reporting:review-new",
        "POST",
        302,
        body=lambda w, r, s: {},
        api=f"POST {V1}/review-packs/",
    ),
    # ==== CAPA records, effectiveness checks, audit findings ================================
    Html("capa.list", "capa:register"),
    Html("capa.create", "capa:capa-create", api=f"POST {V1}/capas/"),
    Html(
        "capa.create",
        "capa:capa-create",
        "POST",
        302,
        body=capa_body,
        api=f"POST {V1}/capas/",
    ),
    Html("capa.retrieve", "capa:capa-detail", scopes=CAPA_SCOPES, kwargs=_ck),
    Html(
        "capa.update",
        "capa:capa-edit",
        scopes=CAPA_SCOPES,
        kwargs=_ck,
        api=f"PATCH {V1}/capas/{{id}}/",
    ),
    Html(
        "capa.transition",
        "capa:capa-transition",
        "POST",
        302,
        CAPA_SCOPES,
        _ck,
        body=lambda w, r, s: {"to": "in_progress", "reason": "One case type was missed"},
        api=f"POST {V1}/capas/{{id}}/transition/",
    ),
    Html(
        "capa.check_plan",
        "capa:check-plan",
        "POST",
        302,
        CAPA_SCOPES,
        _ck,
        body=lambda w, r, s: {"criterion": "No repeat in 60 days", "method": "Replay"},
        api=f"POST {V1}/capas/{{id}}/effectiveness-check/",
    ),
    Html(
        "capa.check_result",
        "capa:check-result",
        "POST",
        302,
        CAPA_SCOPES,
        _ck,
        body=lambda w, r, s: {"result": "passed", "note": "No repeat"},
        api=f"POST {V1}/capas/{{id}}/effectiveness-check/result/",
    ),
    Html(
        "capa.evidence_upload",
        "capa:evidence-add",
        "POST",
        302,
        CAPA_SCOPES,
        _ck,
        body=lambda w, r, s: {"file": upload()},
        api=f"POST {V1}/capas/{{id}}/evidence/",
    ),
    Html(
        "capa.evidence_download",
        "capa:evidence-download",
        scopes=CAPA_SCOPES,
        kwargs=lambda w, r, s: {"pk": w.capa_evidence[s].pk},
    ),
    Html(
        "incident.no_capa",
        "capa:no-capa",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"reason": "A duplicate of another incident"},
        api=f"POST {V1}/incidents/{{id}}/no-capa-decision/",
    ),
    Html("finding.list", "capa:findings"),
    Html("finding.create", "capa:finding-create", api=f"POST {V1}/findings/"),
    Html(
        "finding.create",
        "capa:finding-create",
        "POST",
        302,
        body=finding_body,
        api=f"POST {V1}/findings/",
    ),
    Html("finding.retrieve", "capa:finding-detail", kwargs=lambda w, r, s: {"pk": w.finding.pk}),
    Html(
        "finding.transition",
        "capa:finding-transition",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.finding.pk},
        body=lambda w, r, s: {"to": "closed", "reason": "Noted; exercise planned"},
        api=f"POST {V1}/findings/{{id}}/transition/",
    ),
    # ==== end of the CAPA block =============================================================
]

# URL patterns outside the matrix: the admin, the API (its own matrix), static files, the schema.
URL_PREFIXES_NOT_IN_MATRIX = ("admin/", "api/", "static/", "media/", "__debug__/")
# See DISCLOSURE_PENDING_API: the disclosure pages are tested in disclosure/tests/test_views.py.
DISCLOSURE_PENDING_HTML = frozenset(
    {
        "disclosure:obligations",
        "disclosure:refresh",
        "disclosure:facts",
        "disclosure:sign-off",
        "disclosure:reopen",
        "disclosure:confirm",
        "disclosure:submit",
        "disclosure:draft",
        "disclosure:communication-draft",
        "disclosure:communication-approve",
        "disclosure:communication-send",
    }
)


# --- cases where the code disagrees with DESIGN (each runs as a strict xfail) ---------------

# (matrix, key, role, scope) -> reason. ``matrix`` is "api", "html", "offer" or "words".
DEFECTS: dict[tuple, str] = {}


def _refused_cases(page: Html):
    action = ACTIONS[page.action]
    for role in ROLES:
        for scope in page.scopes:
            if expected_status(action, None, role, scope, page.ok) == 403:
                yield role, scope


def _defect(matrix: str, url_names, reason: str, *, roles=None) -> None:
    for page in HTML:
        if page.url_name not in url_names:
            continue
        for role, scope in _refused_cases(page):
            if roles is None or role in roles:
                DEFECTS[(matrix, page.key, role, scope)] = reason
