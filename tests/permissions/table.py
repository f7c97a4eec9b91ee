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
protected-channel report), ``signed`` (on the engineer's system, its disclosure assessment
signed off; the others' are assessed and confirmed, not signed off); systems ``own``/``other``; report runs and audit samples ``own``
(the caller's) and ``other`` (someone else's). See ``conftest.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy

from aims.accounts.choices import Role
from capa import permissions as cp
from disclosure import permissions as dp
from incidents import permissions as ip
from incidents.forms import IncidentCreateForm
from inventory import permissions as vp
from inventory.forms import AISystemForm
from risk import permissions as rp

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
DISCLOSERS = frozenset({"legal", "dpo", "grc", "risk_officer"})  # disclosure.permissions
RULE_EDITORS = frozenset({"legal", "grc"})
SIGNATORIES = frozenset({"legal"})
INDIVIDUALS_HANDLERS = frozenset({"legal", "dpo"})  # disclosure.permissions.INDIVIDUALS_ROLES
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
    "signed": EVERYONE - {"ethics"},  # on the engineer's system, like "own"
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


# The system of each incident scope: its monitoring rule is the one a threshold change names.
RULE_SYSTEM = {
    "own": "own",
    "restricted": "own",
    "signed": "own",
    "other": "other",
    "led": "other",
    "protected": "other",
}


def threshold_change_body(w, role, scope):
    return {
        "monitoring_rule": w.rules[RULE_SYSTEM[scope]].pk,
        "threshold": "0.05",
        "reason": "The incident slipped under 0.02.",
    }


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


# --- risk module: actions ---------------------------------------------------------------------
# Risks ``own`` (on the engineer's system) and ``other``; each treated with residual score 12,
# which only the AI risk officer may accept. Readers of the register are the oversight roles and
# engineers (their systems' risks); the SoA and the evidence map are for the oversight roles.

RISK_READERS = READ_ALL | {"engineer"}
RISK_SCOPES = ("own", "other")
RISK_VIEWERS = {"own": RISK_READERS, "other": READ_ALL}
OFFICER = frozenset({"risk_officer"})


def _risk_rule(rule):
    """The gate's words for a role the register refuses, else the action's own rule."""

    def words(user, w, scope):
        gate = rp.can_read_register(user)
        return gate if not gate else rule(user, w.risks[scope])

    return words


_RISK_ACTIONS = [
    Action("risk.list", "none", _everyone, gate=RISK_READERS),
    Action("risk.retrieve", "risk", _everyone, gate=RISK_READERS),
    Action(
        "risk.create",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_register(u),
        write=True,
    ),
    Action(
        "risk.update",
        "risk",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_register(u),
        write=True,
    ),
    Action(
        "risk.transition",
        "risk",
        _roles(OFFICER),
        gate=RISK_READERS,
        rule=_risk_rule(rp.can_accept),
        write=True,
    ),
    Action(
        "risk.review",
        "risk",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_register(u),
        write=True,
    ),
    Action("risk.atlas_techniques", "risk", _everyone, gate=RISK_READERS),
    Action(
        "risk.set_atlas_techniques",
        "risk",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_register(u),
        write=True,
    ),
    Action("risk.timeline", "risk", _everyone, gate=RISK_READERS),
    Action("risk.acceptances", "risk", _everyone, gate=RISK_READERS),
    Action("risk_tag.list", "none", _everyone, gate=RISK_READERS),
    Action("risk_methodology.list", "none", _everyone, gate=RISK_READERS),
    Action("risk_methodology.retrieve", "none", _everyone, gate=RISK_READERS),
    Action(
        "risk_methodology.create",
        "none",
        _roles(OFFICER),
        gate=OFFICER,
        rule=lambda u, w, s: rp.can_draft_methodology(u),
        write=True,
    ),
    Action(
        "risk_methodology.update",
        "none",
        _roles(OFFICER),
        gate=OFFICER,
        rule=lambda u, w, s: rp.can_draft_methodology(u),
        write=True,
    ),
    Action(
        "risk_methodology.approve",
        "none",
        _roles(OFFICER),
        gate=OFFICER,
        rule=lambda u, w, s: rp.can_approve_methodology(u),
        write=True,
    ),
    Action("control.list", "none", _everyone, gate=READ_ALL),
    Action("control.retrieve", "none", _everyone, gate=READ_ALL),
    Action(
        "control.statement",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_soa(u),
        write=True,
    ),
    Action("control.evidence", "none", _everyone, gate=READ_ALL),
    Action(
        "control.evidence_link",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_link_evidence(u),
        write=True,
    ),
    Action(
        "control.evidence_unlink",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_link_evidence(u),
        write=True,
    ),
    Action("evidence_map", "none", _everyone, gate=READ_ALL),
    Action("risk.export", "none", _everyone, gate=READ_ALL, write=True),
    Action(
        "capa.export",
        "none",
        _roles(READ_ALL),
        gate=READ_ALL,
        rule=lambda u, w, s: cp.can_export_capas(u),
        write=True,
    ),
    # From an incident (the incident's scopes): who sees it, and the register's editors.
    Action("incident.risks", "incident", _everyone, gate=RISK_READERS),
    Action(
        "incident.risk_change",
        "incident",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_link_incident(u),
        write=True,
    ),
    Action("soa.pdf", "none", _everyone, gate=READ_ALL, write=True),
]

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
    Action(
        "incident.threshold_change",
        "incident",
        lambda r, s: contributes(r, s) and owns_system(r, RULE_SYSTEM[s]),
        rule=lambda u, w, s: (
            ip.can_change_detection(u, w.incidents[s])
            and vp.can_record_for_system(
                u, w.systems[RULE_SYSTEM[s]], what=gettext_lazy("change monitoring rules")
            )
        ),
        write=True,
    ),
    Action("incident.threshold_changes", "incident", _everyone),
    Action("alert_link.list", "none", _everyone, gate=EVERYONE),
    Action("incident.timeline", "incident", _everyone),
    Action("incident.recent_changes", "incident", _everyone),
    Action("incident.clocks", "incident", _everyone),
    Action("incident.registry_rollbacks", "incident", _everyone),
    Action(
        "incident.registry_rollback_retry",
        "incident",
        manages,
        rule=_inc(ip.can_decide_containment),
        write=True,
    ),
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
    Action("system.registry_sync_log", "system", _everyone),
    Action(
        "system.registry_sync",
        "system",
        owns_system,
        rule=_sys(vp.can_sync_registry),
        write=True,
    ),
    Action(
        "system.wandb_manifest",
        "system",
        owns_system,
        rule=_sys(vp.can_import_wandb_manifest),
        write=True,
    ),
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
    # disclosure: the rules table and the what-if evaluation
    Action("regime.list", "none", _everyone, gate=EVERYONE),
    Action("regime.retrieve", "none", _everyone, gate=EVERYONE),
    Action(
        "regime.update",
        "none",
        _roles(RULE_EDITORS),
        gate=RULE_EDITORS,
        rule=lambda u, w, s: dp.can_edit_regimes(u),
        write=True,
    ),
    Action("disclosure.evaluate", "none", _everyone, gate=EVERYONE),  # stores nothing
    # disclosure: an incident's assessment (each rule asked before the incident is looked up)
    Action("disclosure.obligations", "incident", _everyone, gate=EVERYONE),
    Action("disclosure.retrieve", "incident", _everyone, gate=EVERYONE),
    Action(
        "disclosure.refresh",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_assess),
        write=True,
    ),
    Action(
        "disclosure.facts",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_assess),
        write=True,
    ),
    # Sign-off needs an assessment not signed off yet, reopening a signed-off one ("signed").
    Action(
        "disclosure.sign_off",
        "incident",
        lambda r, s: r in SIGNATORIES and s != "signed",
        gate=SIGNATORIES,
        rule=lambda u, w, s: dp.can_sign_off(u),
        write=True,
    ),
    Action(
        "disclosure.reopen",
        "incident",
        lambda r, s: r in SIGNATORIES and s == "signed",
        gate=SIGNATORIES,
        rule=lambda u, w, s: dp.can_sign_off(u),
        write=True,
    ),
    Action("obligation.list", "none", _everyone, gate=EVERYONE),
    Action("obligation.retrieve", "incident", _everyone, gate=EVERYONE),
    Action(
        "obligation.confirm",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_assess),
        write=True,
    ),
    Action(
        "obligation.submit",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=lambda u, w, s: dp.can_submit(u, w.obligations[s]),
        write=True,
    ),
    Action(
        "obligation.draft",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    Action("communication.list", "incident", _everyone, gate=EVERYONE),
    Action(
        "communication.draft",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    # The plan has legal approve a message to regulators; GRC drafted it (not its approver).
    Action(
        "communication.approve",
        "incident",
        _roles(SIGNATORIES),
        gate=EVERYONE,
        rule=lambda u, w, s: dp.can_approve_communication(u, w.communications[s]["draft"]),
        write=True,
    ),
    Action(
        "communication.send",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    Action("communication.retrieve", "incident", _everyone, gate=EVERYONE),
    # A draft's text (a report draft's gaps are filled in before legal approves it).
    Action(
        "communication.edit",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    # A report draft as PDF: a report run for whoever sees the incident's communications.
    Action("communication.draft_pdf", "incident", _everyone, write=True),
    # The list of affected individuals: legal and the DPO only, asked before the incident is
    # looked up. Reading the file or the export is recorded, so those are writes too.
    *(
        Action(
            f"individuals.{verb}",
            "incident",
            _roles(INDIVIDUALS_HANDLERS),
            gate=INDIVIDUALS_HANDLERS,
            rule=lambda u, w, s: dp.can_handle_individuals(u),
            write=verb != "read",
        )
        for verb in ("read", "upload", "status", "export", "file")
    ),
    Action("vendor_notice.list", "incident", _everyone, gate=EVERYONE),
    Action(
        "vendor_notice.record",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    Action(
        "vendor_notice.acknowledge",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    Action(
        "vendor_notice.fix",
        "incident",
        _roles(DISCLOSERS),
        gate=DISCLOSERS,
        rule=_inc(dp.can_communicate),
        write=True,
    ),
    # disclosure: an AI system's facts (who edits the system's regulatory flags edits them)
    Action("system_facts.retrieve", "system", _everyone, gate=EVERYONE),
    Action("system_facts.history", "system", _everyone),
    Action(
        "system_facts.update",
        "system",
        owns_system,
        rule=_sys(dp.can_edit_system_facts),
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
    # the MITRE ATLAS catalogue: reference data, read by everyone signed in
    Action("atlas.catalogue", "none", _everyone),
    # --- risk module (risk/permissions.py) ------------------------------------------------------
    *_RISK_ACTIONS,
]

# --- the learning loop: root cause, scope, remediation, recurrence ----------------------------
# Reads follow the incident. The incident's managers (GRC, the AI risk officer, the lead) write
# the analysis, confirm, record the scope and the plan; engineers who own an affected system
# (scope "own") add diagnostics and evidence links too; an item's owner (the helper, outside
# the matrix) marks it done — so in the matrix only the managers do.


def diagnoses(role, scope) -> bool:
    return manages(role, scope) or (role == "engineer" and scope == "own")


_A += [
    Action("root_cause.list", "incident", _everyone),
    Action("root_cause.retrieve", "incident", _everyone),
    Action("root_cause.propose", "incident", manages, rule=_inc(cp.can_analyse), write=True),
    Action("root_cause.update", "incident", manages, rule=_inc(cp.can_analyse), write=True),
    Action("root_cause.why", "incident", manages, rule=_inc(cp.can_analyse), write=True),
    Action(
        "root_cause.diagnostic",
        "incident",
        diagnoses,
        rule=_inc(cp.can_add_diagnostic),
        write=True,
    ),
    Action(
        "root_cause.evidence", "incident", diagnoses, rule=_inc(cp.can_add_diagnostic), write=True
    ),
    Action(
        "root_cause.confirm",
        "incident",
        manages,
        rule=_inc(cp.can_confirm_root_cause),
        write=True,
    ),
    Action(
        "root_cause.rule_out",
        "incident",
        manages,
        rule=_inc(cp.can_confirm_root_cause),
        write=True,
    ),
    Action("scope.retrieve", "incident", _everyone),
    Action("scope.record", "incident", manages, rule=_inc(cp.can_record_scope), write=True),
    Action("remediation.retrieve", "incident", _everyone),
    Action("remediation.item", "incident", manages, rule=_inc(cp.can_plan_remediation), write=True),
    Action(
        "remediation.item_done",
        "incident",
        manages,
        rule=lambda u, w, s: cp.can_complete_item(u, w.capa["items"][s]),
        write=True,
    ),
    Action(
        "remediation.reprocessing",
        "incident",
        manages,
        rule=_inc(cp.can_plan_remediation),
        write=True,
    ),
    Action(
        "remediation.verify", "incident", manages, rule=_inc(cp.can_plan_remediation), write=True
    ),
    Action(
        "remediation.restore", "incident", manages, rule=_inc(cp.can_plan_remediation), write=True
    ),
    Action("recurrence.list", "incident", _everyone),
    # ==== management review (capa/, clause 9.3): GRC and the AI risk officer prepare, record,
    # approve and raise its actions; management, auditors and the reading roles read it.
    *[
        Action(
            name,
            "none",
            _roles(READ_ALL),
            gate=READ_ALL,
            rule=lambda u, w, s: cp.can_read_reviews(u),
        )
        for name in ("review.list", "review.retrieve")
    ],
    *[
        Action(
            name,
            "none",
            _roles(MANAGERS),
            gate=MANAGERS,
            rule=lambda u, w, s: cp.can_manage_review(u),
            write=True,
        )
        for name in ("review.create", "review.update", "review.transition", "review.action")
    ],
]
# --- impact assessments and the incident's risk-register review (risk/permissions.py) ------
# Assessments ``own`` (of the engineer's system) and ``other``, seen like risks (kind "risk"):
# the oversight roles and, for their systems, engineers. GRC and the AI risk officer write and
# submit; the AI risk officer approves or sends back (GRC wrote them). Moves are asked by every
# reader, the lifecycle decides. The review of the register: the incident's managers.
_A += [
    Action("impact.list", "none", _everyone, gate=RISK_READERS),
    Action("impact.retrieve", "risk", _everyone, gate=RISK_READERS),
    Action(
        "impact.create",
        "none",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_impact(u),
        write=True,
    ),
    Action(
        "impact.update",
        "risk",
        _roles(MANAGERS),
        gate=MANAGERS,
        rule=lambda u, w, s: rp.can_edit_impact(u),
        write=True,
    ),
    Action(
        "impact.submit",
        "risk",
        _roles(MANAGERS),
        gate=RISK_READERS,
        rule=lambda u, w, s: rp.can_read_impact(u) and rp.can_edit_impact(u),
        write=True,
    ),
    Action(
        "impact.approve",
        "risk",
        _roles(OFFICER),
        gate=RISK_READERS,
        rule=lambda u, w, s: rp.can_read_impact(u) and rp.can_approve_impact(u),
        write=True,
    ),
    Action(
        "impact.send_back",
        "risk",
        _roles(OFFICER),
        gate=RISK_READERS,
        rule=lambda u, w, s: rp.can_read_impact(u) and rp.can_approve_impact(u),
        write=True,
    ),
    Action(
        "incident.risk_review",
        "incident",
        manages,
        gate=RISK_READERS,
        rule=lambda u, w, s: (
            rp.can_read_register(u) and rp.can_review_incident_risks(u, w.incidents[s])
        ),
        write=True,
    ),
]
# --- documented information and retention (risk) ---------------------------------------------
DOC_EDITORS = MANAGERS
HOLDERS = frozenset({"grc", "legal"})
RETENTION_EDITORS = frozenset({"grc"})


def _doc_write(name, roles, rule):
    return Action(name, "none", _roles(roles), gate=roles, rule=rule, write=True)


_A += [
    Action("document.list", "none", _everyone, gate=EVERYONE),
    Action("document.retrieve", "none", _everyone, gate=EVERYONE),
    Action("document.versions", "none", _everyone, gate=EVERYONE),
    Action("document_version.retrieve", "none", _everyone, gate=EVERYONE),
    Action("document_version.file", "none", _everyone, gate=EVERYONE),
    _doc_write("document.create", DOC_EDITORS, lambda u, w, s: rp.can_edit_documents(u)),
    _doc_write("document.update", DOC_EDITORS, lambda u, w, s: rp.can_edit_documents(u)),
    _doc_write("document.version_create", DOC_EDITORS, lambda u, w, s: rp.can_edit_documents(u)),
    _doc_write("document.generate", DOC_EDITORS, lambda u, w, s: rp.can_edit_documents(u)),
    _doc_write("document_version.approve", DOC_EDITORS, lambda u, w, s: rp.can_approve_document(u)),
    _doc_write("document_version.outdated", DOC_EDITORS, lambda u, w, s: rp.can_edit_documents(u)),
    Action("retention_rule.list", "none", _everyone, gate=READ_ALL),
    Action("retention_rule.retrieve", "none", _everyone, gate=READ_ALL),
    _doc_write(
        "retention_rule.update", RETENTION_EDITORS, lambda u, w, s: rp.can_edit_retention(u)
    ),
    Action("legal_hold.list", "none", _everyone, gate=READ_ALL),
    Action("legal_hold.retrieve", "none", _everyone, gate=READ_ALL),
    _doc_write("legal_hold.create", HOLDERS, lambda u, w, s: rp.can_hold(u)),
    _doc_write("legal_hold.release", HOLDERS, lambda u, w, s: rp.can_hold(u)),
    Action("purge_tombstone.list", "none", _everyone, gate=READ_ALL),
    Action("purge_tombstone.retrieve", "none", _everyone, gate=READ_ALL),
]


# --- the learning loop: post-incident reviews -----------------------------------------------
# Reads follow the incident. The incident's managers (GRC, the AI risk officer, the lead) write
# and submit the review; only the AI risk officer approves or returns it (the "signed" scope's
# review is the submitted one); GRC and the AI risk officer raise its CAPAs.


def _pir(rule):
    return lambda user, w, scope: rule(user, w.capa["reviews"][scope])


_A += [
    Action("pir.list", "none", _everyone, gate=EVERYONE),
    Action("pir.retrieve", "incident", _everyone),
    Action("pir.update", "incident", manages, rule=_pir(cp.can_edit_review), write=True),
    Action("pir.submit", "incident", manages, rule=_pir(cp.can_submit_review), write=True),
    Action(
        "pir.approve", "incident", _roles(OFFICER), rule=_pir(cp.can_approve_review), write=True
    ),
    Action("pir.return", "incident", _roles(OFFICER), rule=_pir(cp.can_approve_review), write=True),
    Action(
        "pir.raise_capa",
        "incident",
        _roles(MANAGERS),
        rule=_pir(cp.can_raise_review_capa),
        write=True,
    ),
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
    if action.kind == "risk":
        return role in RISK_VIEWERS[scope]
    if action.kind == "trail":  # a system's evidence trail: read-all roles, engineers their own
        return role in READ_ALL or (role == "engineer" and scope == "own")
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


def alibi_detect_body(w, role, scope):
    return {
        "data": {"is_drift": 1, "distance": 0.4, "p_val": 0.001, "threshold": 0.05},
        "meta": {
            "name": "KSDrift",
            "detector_type": "drift",
            "ai_system": w.systems["own"].reference,
        },
    }


def evidently_body(w, role, scope):
    return {
        "tests": [{"name": "Drifted columns", "status": "FAIL"}],
        "metadata": {"name": "nightly", "ai_system": w.systems["own"].reference},
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
SIGNED = ("signed",)
V1 = "/api/v1"
REVIEW_BODY = {
    "meeting_date": "2026-04-15",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
}


def review_held_body(w):
    """A full body for the recorded review: its meeting and period as held (frozen)."""
    r = w.review
    return {
        "meeting_date": r.meeting_date.isoformat(),
        "period_start": r.period_start.isoformat(),
        "period_end": r.period_end.isoformat(),
    }


def _mr(w, role, scope):
    return w.review.pk


def review_action_body(w, role, scope):
    return {
        "title": "Fund drift monitoring",
        "description": "Decided at the management review.",
        "action_type": "preventive",
        "horizon": "long_term",
        "owner": w.users["ciso"].pk,
    }


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


def _regime(w, role, scope):
    return w.regime.pk


def _obligation(w, role, scope):
    return w.obligations[scope].pk


def _notice(w, role, scope):
    return w.notices[scope].pk


def regime_put_body(w, role, scope):
    from disclosure.api.serializers import RegimeRuleUpdateSerializer

    return dict(RegimeRuleUpdateSerializer(w.regime).data)


def communication_body():
    return {
        "audience": "regulator",
        "channel": "portal",
        "subject": "Critical safety incident",
        "content": "What happened, when, and why it qualifies.",
    }


def individuals_csv(name="people.csv"):
    """A valid list of affected individuals (the people on the world's lists, and one more)."""
    rows = "".join(f"P{i:05d},Person {i},p{i}@example.org,CA,US,email\n" for i in range(3))
    return SimpleUploadedFile(
        name, ("identifier,name,contact,state,country,channel\n" + rows).encode(), "text/csv"
    )


def vendor_notice_body(w, scope):
    return {
        "system": w.incidents[scope].affected_systems.get().system_id,
        "basis": "contract",
        "channel": "e-mail",
        "content": "Your model produced the failing answers.",
    }


# --- risk module: the API -----------------------------------------------------------------------


def _rid(w, role, scope):
    return w.risks[scope].pk


def _draft(w, role, scope):
    return w.risk_draft.pk


def _ctl(w, role, scope):
    return w.control.pk


def risk_body(w, role, scope):
    return {
        "title": "Screener disadvantages older applicants",
        "description": "Age proxies in the CV features.",
        "category": "fairness",
        "owner": w.users["grc"].pk,
        "inherent_likelihood": 3,
        "inherent_impact": 4,
    }


RS = RISK_SCOPES
_RISK_API = [
    Api("risk.list", "GET", f"{V1}/risks/", 200),
    Api("risk.create", "POST", f"{V1}/risks/", 201, body=risk_body),
    Api("risk.retrieve", "GET", f"{V1}/risks/{{id}}/", 200, RS, _rid),
    Api(
        "risk.update",
        "PATCH",
        f"{V1}/risks/{{id}}/",
        200,
        RS,
        _rid,
        body=lambda w, r, s: {"title": "Renamed"},
    ),
    Api(
        "risk.transition",
        "POST",
        f"{V1}/risks/{{id}}/transition/",
        200,
        RS,
        _rid,
        body=lambda w, r, s: {"to": "accepted", "reason": "Manual check of large refunds"},
    ),
    Api(
        "risk.review",
        "POST",
        f"{V1}/risks/{{id}}/review/",
        200,
        RS,
        _rid,
        body=lambda w, r, s: {"next_review_date": "2031-01-01"},
    ),
    Api("risk.atlas_techniques", "GET", f"{V1}/risks/{{id}}/atlas-techniques/", 200, RS, _rid),
    Api(
        "risk.set_atlas_techniques",
        "PUT",
        f"{V1}/risks/{{id}}/atlas-techniques/",
        200,
        RS,
        _rid,
        body=lambda w, r, s: {"atlas_techniques": ["AML.T0051"]},
    ),
    Api("atlas.catalogue", "GET", f"{V1}/atlas/", 200),
    Api("risk.timeline", "GET", f"{V1}/risks/{{id}}/timeline/", 200, RS, _rid),
    Api("risk.acceptances", "GET", f"{V1}/risks/{{id}}/acceptances/", 200, RS, _rid),
    Api("risk_tag.list", "GET", f"{V1}/risk-tags/", 200),
    Api("risk_methodology.list", "GET", f"{V1}/risk-methodologies/", 200),
    Api(
        "risk_methodology.retrieve",
        "GET",
        f"{V1}/risk-methodologies/{{id}}/",
        200,
        target=_draft,
    ),
    Api(
        "risk_methodology.create",
        "POST",
        f"{V1}/risk-methodologies/",
        201,
        body=lambda w, r, s: {"title": "Another draft"},
    ),
    Api(
        "risk_methodology.update",
        "PATCH",
        f"{V1}/risk-methodologies/{{id}}/",
        200,
        target=_draft,
        body=lambda w, r, s: {"notes": "Threshold discussed with the board"},
    ),
    Api(
        "risk_methodology.approve",
        "POST",
        f"{V1}/risk-methodologies/{{id}}/approve/",
        200,
        target=_draft,
    ),
    Api("control.list", "GET", f"{V1}/controls/", 200),
    Api("control.retrieve", "GET", f"{V1}/controls/{{id}}/", 200, target=_ctl),
    Api(
        "control.statement",
        "PATCH",
        f"{V1}/controls/{{id}}/statement/",
        200,
        target=_ctl,
        body=lambda w, r, s: {"implementation_status": "planned"},
    ),
    Api("control.evidence", "GET", f"{V1}/controls/{{id}}/evidence/", 200, target=_ctl),
    Api(
        "control.evidence_link",
        "POST",
        f"{V1}/controls/{{id}}/evidence/",
        201,
        target=_ctl,
        body=lambda w, r, s: {"kind": "incident", "target_id": w.incidents["other"].pk},
    ),
    Api("evidence_map", "GET", f"{V1}/evidence-map/", 200),
    Api("incident.risks", "GET", f"{V1}/incidents/{{id}}/risks/", 200, INCIDENT_SCOPES, _i),
    Api(
        "incident.risk_change",
        "POST",
        f"{V1}/incidents/{{id}}/risks/materialised/",
        201,
        INCIDENT_SCOPES,
        _i,
        body=lambda w, r, s: {"risk": w.risks["other"].pk, "reason": "Same failure"},
    ),
    Api(
        "incident.risk_change",
        "POST",
        f"{V1}/incidents/{{id}}/risks/rerate/",
        201,
        INCIDENT_SCOPES,
        _i,
        body=lambda w, r, s: {
            "risk": w.risks["other"].pk,
            "which": "residual",
            "likelihood": 4,
            "impact": 4,
            "reason": "Happened twice",
        },
    ),
    Api(
        "incident.risk_change",
        "POST",
        f"{V1}/incidents/{{id}}/risks/raise/",
        201,
        INCIDENT_SCOPES,
        _i,
        body=lambda w, r, s: {
            "title": "Stale policy index",
            "description": "Retrieval index not refreshed.",
            "category": "performance",
        },
    ),
]


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
        "incident.registry_rollbacks",
        "GET",
        f"{V1}/incidents/{{id}}/registry-rollbacks/",
        200,
        INC,
        _i,
    ),
    # Each incident of the matrix has a failed rollback in a registry (conftest).
    Api(
        "incident.registry_rollback_retry",
        "POST",
        f"{V1}/incidents/{{id}}/registry-rollbacks/retry/",
        202,
        INC,
        _i,
    ),
    # The matrix's systems are linked to a registry (conftest): the sync is queued (202).
    Api("system.registry_sync_log", "GET", f"{V1}/systems/{{id}}/registry-sync/", 200, S, _s),
    Api("system.registry_sync", "POST", f"{V1}/systems/{{id}}/registry-sync/", 202, S, _s),
    Api(
        "system.wandb_manifest",
        "POST",
        f"{V1}/systems/{{id}}/wandb-manifest/",
        201,
        S,
        _s,
        body=lambda w, r, s: {
            "artifact": "acme/support/assistant:v9",
            "manifest": {
                "version": 1,
                "storagePolicy": "wandb-storage-policy-v1",
                "contents": {"model.bin": {"digest": "tBBnmKyPY7pXyP2XjLl/zQ==", "size": 10}},
            },
        },
    ),
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
        "incident.threshold_change",
        "POST",
        f"{V1}/incidents/{{id}}/threshold-changes/",
        201,
        INC,
        _i,
        body=threshold_change_body,
    ),
    Api(
        "incident.threshold_changes",
        "GET",
        f"{V1}/incidents/{{id}}/threshold-changes/",
        200,
        INC,
        _i,
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
    Api("alert_link.list", "GET", f"{V1}/alert-links/", 200),
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
    Api("alert.receive", "POST", f"{V1}/alerts/alibi-detect/", 200, body=alibi_detect_body),
    Api("alert.receive", "POST", f"{V1}/alerts/evidently/", 200, body=evidently_body),
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
    # management reviews
    Api("review.list", "GET", f"{V1}/management-reviews/", 200),
    Api(
        "review.create", "POST", f"{V1}/management-reviews/", 201, body=lambda w, r, s: REVIEW_BODY
    ),
    Api("review.retrieve", "GET", f"{V1}/management-reviews/{{id}}/", 200, target=_mr),
    Api(
        "review.update",
        "PUT",
        f"{V1}/management-reviews/{{id}}/",
        200,
        target=_mr,
        body=lambda w, r, s: {**review_held_body(w), "minutes": "Discussed the quarter."},
    ),
    Api(
        "review.update",
        "PATCH",
        f"{V1}/management-reviews/{{id}}/",
        200,
        target=_mr,
        body=lambda w, r, s: {"decisions": "Fund the fix."},
    ),
    Api(
        "review.transition",
        "POST",
        f"{V1}/management-reviews/{{id}}/transition/",
        200,
        target=_mr,
        body=lambda w, r, s: {"to": "approved"},
    ),
    Api(
        "review.action",
        "POST",
        f"{V1}/management-reviews/{{id}}/actions/",
        201,
        target=_mr,
        body=lambda w, r, s: review_action_body(w, r, s),
    ),
    # ==== end of the CAPA block =============================================================
    # disclosure
    Api("regime.list", "GET", f"{V1}/disclosure/regimes/", 200),
    Api("regime.retrieve", "GET", f"{V1}/disclosure/regimes/{{id}}/", 200, target=_regime),
    Api(
        "regime.update",
        "PUT",
        f"{V1}/disclosure/regimes/{{id}}/",
        200,
        target=_regime,
        body=regime_put_body,
    ),
    Api(
        "regime.update",
        "PATCH",
        f"{V1}/disclosure/regimes/{{id}}/",
        200,
        target=_regime,
        body=lambda w, r, s: {"needs_legal_review": True},
    ),
    Api(
        "disclosure.evaluate",
        "POST",
        f"{V1}/disclosure/evaluate/",
        200,
        body=lambda w, r, s: {"aware_at": "2026-03-01T10:00:00Z"},
    ),
    Api("disclosure.obligations", "GET", f"{V1}/incidents/{{id}}/obligations/", 200, INC, _i),
    Api("disclosure.retrieve", "GET", f"{V1}/incidents/{{id}}/disclosure/", 200, INC, _i),
    Api(
        "disclosure.refresh",
        "POST",
        f"{V1}/incidents/{{id}}/disclosure/refresh/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {},
    ),
    Api(
        "disclosure.facts",
        "PATCH",
        f"{V1}/incidents/{{id}}/disclosure/facts/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"nis2_significant": False},
    ),
    Api(
        "disclosure.sign_off",
        "POST",
        f"{V1}/incidents/{{id}}/disclosure/sign-off/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"comment": "Reviewed."},
    ),
    Api(
        "disclosure.reopen",
        "POST",
        f"{V1}/incidents/{{id}}/disclosure/reopen/",
        200,
        SIGNED,
        _i,
        body=lambda w, r, s: {"reason": "New facts from the supplier."},
    ),
    Api("communication.list", "GET", f"{V1}/incidents/{{id}}/communications/", 200, INC, _i),
    Api(
        "communication.draft",
        "POST",
        f"{V1}/incidents/{{id}}/communications/",
        201,
        INC,
        _i,
        body=lambda w, r, s: communication_body(),
    ),
    Api(
        "communication.approve",
        "POST",
        f"{V1}/communications/{{id}}/approve/",
        200,
        INC,
        lambda w, r, s: w.communications[s]["draft"].pk,
        body=lambda w, r, s: {},
    ),
    Api(
        "communication.send",
        "POST",
        f"{V1}/communications/{{id}}/send/",
        200,
        INC,
        lambda w, r, s: w.communications[s]["approved"].pk,
        body=lambda w, r, s: {},
    ),
    Api(
        "communication.retrieve",
        "GET",
        f"{V1}/communications/{{id}}/",
        200,
        INC,
        lambda w, r, s: w.communications[s]["report"].pk,
    ),
    Api(
        "communication.edit",
        "PATCH",
        f"{V1}/communications/{{id}}/",
        200,
        INC,
        lambda w, r, s: w.communications[s]["report"].pk,
        body=lambda w, r, s: {"channel": "Regulator's online form"},
    ),
    Api(
        "communication.draft_pdf",
        "GET",
        f"{V1}/communications/{{id}}/draft.pdf",
        202,  # no worker runs in the matrix: the run to follow (conftest sets no wait)
        INC,
        lambda w, r, s: w.communications[s]["report"].pk,
    ),
    # the list of affected individuals (every incident here has one: conftest)
    Api("individuals.read", "GET", f"{V1}/incidents/{{id}}/affected-individuals/", 200, INC, _i),
    Api(
        "individuals.read",
        "GET",
        f"{V1}/incidents/{{id}}/affected-individuals/people/",
        200,
        INC,
        _i,
    ),
    Api(
        "individuals.upload",
        "POST",
        f"{V1}/incidents/{{id}}/affected-individuals/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {"file": individuals_csv()},
        multipart=True,
    ),
    Api(
        "individuals.status",
        "POST",
        f"{V1}/incidents/{{id}}/affected-individuals/statuses/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"status": "notified", "identifiers": ["P00000"]},
    ),
    Api(
        "individuals.status",
        "POST",
        f"{V1}/affected-individuals/{{id}}/status/",
        200,
        INC,
        lambda w, r, s: w.individuals[s].pk,
        body=lambda w, r, s: {"status": "notified", "channel": "post"},
    ),
    Api(
        "individuals.export",
        "GET",
        f"{V1}/incidents/{{id}}/affected-individuals/export/",
        200,
        INC,
        _i,
    ),
    Api(
        "individuals.file", "GET", f"{V1}/incidents/{{id}}/affected-individuals/file/", 200, INC, _i
    ),
    Api("vendor_notice.list", "GET", f"{V1}/incidents/{{id}}/vendor-notices/", 200, INC, _i),
    Api(
        "vendor_notice.record",
        "POST",
        f"{V1}/incidents/{{id}}/vendor-notices/",
        201,
        INC,
        _i,
        body=lambda w, r, s: vendor_notice_body(w, s),
    ),
    Api(
        "vendor_notice.acknowledge",
        "POST",
        f"{V1}/vendor-notices/{{id}}/acknowledge/",
        200,
        INC,
        _notice,
        body=lambda w, r, s: {"vendor_reference": "ACME-1"},
    ),
    Api(
        "vendor_notice.fix",
        "POST",
        f"{V1}/vendor-notices/{{id}}/fix/",
        200,
        INC,
        _notice,
        body=lambda w, r, s: {"fix_description": "Guardrail added", "fixed_version": "2.1"},
    ),
    Api("obligation.list", "GET", f"{V1}/obligations/", 200),
    Api("obligation.retrieve", "GET", f"{V1}/obligations/{{id}}/", 200, INC, _obligation),
    Api(
        "obligation.confirm",
        "POST",
        f"{V1}/obligations/{{id}}/confirm/",
        200,
        INC,
        _obligation,
        body=lambda w, r, s: {"applies": "yes"},
    ),
    Api(
        "obligation.draft",
        "POST",
        f"{V1}/obligations/{{id}}/draft/",
        201,
        INC,
        _obligation,
        body=lambda w, r, s: {},
    ),
    Api(
        "obligation.submit",
        "POST",
        f"{V1}/obligations/{{id}}/submissions/",
        201,
        INC,
        _obligation,
        body=lambda w, r, s: {"phase": "initial", "reference": "OES-1"},
    ),
    Api("system_facts.retrieve", "GET", f"{V1}/systems/{{id}}/disclosure-facts/", 200, S, _s),
    Api(
        "system_facts.update",
        "PATCH",
        f"{V1}/systems/{{id}}/disclosure-facts/",
        200,
        S,
        _s,
        body=lambda w, r, s: {"medical_device": True},
    ),
    # --- risk module ----------------------------------------------------------------------------
    *_RISK_API,
]


# --- the learning loop ------------------------------------------------------------------------


def _rc(w, role, scope):
    return w.capa["root_causes"][scope].pk


def _item(w, role, scope):
    return w.capa["items"][scope].pk


SCOPE_BODY = {
    "period_start": "2026-11-01T00:00:00Z",
    "period_end": "2026-11-02T00:00:00Z",
    "population": 100,
    "classification_rule": "Empty field at the scoring call.",
    "sample_size": 10,
    "sample_failures": 1,
    "confirmed_count": 10,
    "lower_bound": 8,
    "upper_bound": 14,
    "confirm": True,
}
ROOT_CAUSE_BODY = {"category": "distribution_shift", "statement": "Inputs shifted."}
WHY_BODY = {"question": "Why empty?", "answer": "The regex expects digits."}
DIAGNOSTIC_BODY = {
    "method": "input_distribution",
    "description": "PSI of the inputs against training data.",
    "result": "PSI 0.31 on income.",
    "outcome": "inconclusive",
}
ITEM_BODY = {"horizon": "short_term", "kind": "monitoring", "description": "Alert on empty fields."}
REPROCESSING_BODY = {"affected_cases": 10, "reprocessed_cases": 4, "outcome_changed_cases": 1}

API += [
    Api("root_cause.list", "GET", f"{V1}/incidents/{{id}}/root-causes/", 200, INC, _i),
    Api(
        "root_cause.propose",
        "POST",
        f"{V1}/incidents/{{id}}/root-causes/",
        201,
        INC,
        _i,
        body=lambda w, r, s: ROOT_CAUSE_BODY,
    ),
    Api("root_cause.retrieve", "GET", f"{V1}/root-causes/{{id}}/", 200, INC, _rc),
    Api(
        "root_cause.update",
        "PATCH",
        f"{V1}/root-causes/{{id}}/",
        200,
        INC,
        _rc,
        body=lambda w, r, s: {"contributing_factors": "No input validation."},
    ),
    Api(
        "root_cause.why",
        "POST",
        f"{V1}/root-causes/{{id}}/whys/",
        201,
        INC,
        _rc,
        body=lambda w, r, s: WHY_BODY,
    ),
    Api(
        "root_cause.diagnostic",
        "POST",
        f"{V1}/root-causes/{{id}}/diagnostics/",
        201,
        INC,
        _rc,
        body=lambda w, r, s: DIAGNOSTIC_BODY,
    ),
    Api(
        "root_cause.evidence",
        "POST",
        f"{V1}/root-causes/{{id}}/evidence/",
        201,
        INC,
        _rc,
        body=lambda w, r, s: {"evidence": w.evidence[s].pk},
    ),
    Api("root_cause.confirm", "POST", f"{V1}/root-causes/{{id}}/confirm/", 200, INC, _rc),
    Api(
        "root_cause.rule_out",
        "POST",
        f"{V1}/root-causes/{{id}}/rule-out/",
        200,
        INC,
        _rc,
        body=lambda w, r, s: {"reason": "The trace shows no parser fault."},
    ),
    Api("scope.retrieve", "GET", f"{V1}/incidents/{{id}}/scope/", 200, INC, _i),
    Api(
        "scope.record",
        "PUT",
        f"{V1}/incidents/{{id}}/scope/",
        200,
        INC,
        _i,
        body=lambda w, r, s: SCOPE_BODY,
    ),
    Api("remediation.retrieve", "GET", f"{V1}/incidents/{{id}}/remediation/", 200, INC, _i),
    Api(
        "remediation.item",
        "POST",
        f"{V1}/incidents/{{id}}/remediation/items/",
        201,
        INC,
        _i,
        body=lambda w, r, s: {**ITEM_BODY, "owner": w.helper.pk, "due_on": "2026-12-20"},
    ),
    Api(
        "remediation.item_done",
        "POST",
        f"{V1}/remediation-items/{{id}}/done/",
        200,
        INC,
        _item,
        body=lambda w, r, s: {"note": "Done."},
    ),
    Api(
        "remediation.reprocessing",
        "PUT",
        f"{V1}/incidents/{{id}}/remediation/reprocessing/",
        200,
        INC,
        _i,
        body=lambda w, r, s: REPROCESSING_BODY,
    ),
    Api(
        "remediation.verify",
        "POST",
        f"{V1}/incidents/{{id}}/remediation/verify/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"verification": "Replayed the failing cases again."},
    ),
    Api(
        "remediation.restore",
        "POST",
        f"{V1}/incidents/{{id}}/remediation/restore/",
        200,
        INC,
        _i,
        body=lambda w, r, s: {"note": "Traffic back to the model."},
    ),
    Api("recurrence.list", "GET", f"{V1}/incidents/{{id}}/recurrences/", 200, INC, _i),
]


def _doc(name):
    return lambda w, r, s: w.documents[name].pk


API += [
    Api("document.list", "GET", f"{V1}/documented-information/", 200),
    Api(
        "document.create",
        "POST",
        f"{V1}/documented-information/",
        201,
        body=lambda w, r, s: {"kind": "other_procedure", "title": "Change procedure"},
    ),
    Api(
        "document.retrieve",
        "GET",
        f"{V1}/documented-information/{{id}}/",
        200,
        target=_doc("policy"),
    ),
    Api(
        "document.update",
        "PATCH",
        f"{V1}/documented-information/{{id}}/",
        200,
        target=_doc("policy"),
        body=lambda w, r, s: {"title": "AI policy (revised)"},
    ),
    Api(
        "document.versions",
        "GET",
        f"{V1}/documented-information/{{id}}/versions/",
        200,
        target=_doc("policy"),
    ),
    Api(
        "document.version_create",
        "POST",
        f"{V1}/documented-information/{{id}}/versions/",
        201,
        target=_doc("policy"),
        body=lambda w, r, s: {"body": "Version three."},
    ),
    Api(
        "document_version.retrieve",
        "GET",
        f"{V1}/document-versions/{{id}}/",
        200,
        target=_doc("draft"),
    ),
    Api(
        "document_version.approve",
        "POST",
        f"{V1}/document-versions/{{id}}/approve/",
        200,
        target=_doc("draft"),
    ),
    Api(
        "document_version.outdated",
        "POST",
        f"{V1}/document-versions/{{id}}/outdated/",
        200,
        target=_doc("approved"),
        body=lambda w, r, s: {"reason": "A new regulation applies."},
    ),
    Api("retention_rule.list", "GET", f"{V1}/retention-rules/", 200),
    Api(
        "retention_rule.retrieve",
        "GET",
        f"{V1}/retention-rules/{{id}}/",
        200,
        target=_doc("rule"),
    ),
    Api(
        "retention_rule.update",
        "PATCH",
        f"{V1}/retention-rules/{{id}}/",
        200,
        target=_doc("rule"),
        body=lambda w, r, s: {"period_days": 3000},
    ),
    Api("legal_hold.list", "GET", f"{V1}/legal-holds/", 200),
    Api("legal_hold.retrieve", "GET", f"{V1}/legal-holds/{{id}}/", 200, target=_doc("hold")),
    Api(
        "legal_hold.create",
        "POST",
        f"{V1}/legal-holds/",
        201,
        body=lambda w, r, s: {"incident": w.incidents["own"].pk, "reason": "Claim received"},
    ),
    Api(
        "legal_hold.release",
        "POST",
        f"{V1}/legal-holds/{{id}}/release/",
        200,
        target=_doc("hold"),
        body=lambda w, r, s: {"reason": "Claim withdrawn"},
    ),
    Api("purge_tombstone.list", "GET", f"{V1}/purge-tombstones/", 200),
    Api(
        "purge_tombstone.retrieve",
        "GET",
        f"{V1}/purge-tombstones/{{id}}/",
        200,
        target=_doc("tombstone"),
    ),
]

# The schema's own views are documentation, not operations. The PagerDuty webhook answers no
# role: it is authenticated by the signature of its body (incidents/tests/test_pagerduty_webhook.py
# tries it signed, unsigned, wrongly signed and switched off).
API_NOT_IN_MATRIX = {"/api/schema/", "/api/docs/", "/api/v1/paging/pagerduty/"}


# --- the HTML pages -------------------------------------------------------------------------


def _mrk(w, role, scope):
    return {"pk": w.review.pk}


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


def _ok(w, role, scope):
    """The incident's ca_sb53 obligation (it applies: confirm, submit and draft are offered)."""
    return {"pk": w.obligations[scope].pk}


def _history(app_label, model_name, objects):
    return lambda w, role, scope: {
        "app_label": app_label,
        "model_name": model_name,
        "pk": getattr(w, objects)[scope].pk,
    }


# --- risk module: the pages -----------------------------------------------------------------------


def _rpk(w, role, scope):
    return {"pk": w.risks[scope].pk}


def _risk_form(w, role, scope):
    return {
        "title": "Screener disadvantages older applicants",
        "description": "Age proxies in the CV features.",
        "category": "fairness",
        "owner": w.users["grc"].pk,
        "inherent_likelihood": "3",
        "inherent_impact": "4",
    }


def _methodology_form(w, role, scope):
    import json

    m = w.risk_draft
    return {
        "title": "Another draft",
        "acceptance_threshold": "9",
        "likelihood_scale": json.dumps(m.likelihood_scale),
        "impact_scale": json.dumps(m.impact_scale),
        "bands": json.dumps(m.bands),
        "notes": "",
    }


_RISK_HTML = [
    Html("risk.list", "risk:register"),
    Html("risk.create", "risk:risk-create", api=f"POST {V1}/risks/"),
    Html("risk.create", "risk:risk-create", "POST", 302, body=_risk_form, api=f"POST {V1}/risks/"),
    Html("risk.retrieve", "risk:risk-detail", scopes=RISK_SCOPES, kwargs=_rpk),
    Html("risk.update", "risk:risk-edit", scopes=RISK_SCOPES, kwargs=_rpk),
    Html("risk.set_atlas_techniques", "risk:risk-atlas", scopes=RISK_SCOPES, kwargs=_rpk),
    Html(
        "risk.set_atlas_techniques",
        "risk:risk-atlas",
        "POST",
        302,
        RISK_SCOPES,
        _rpk,
        body=lambda w, r, s: {"atlas_techniques": ["AML.T0051"], "version": "*"},
        api=f"PUT {V1}/risks/{{id}}/atlas-techniques/",
    ),
    Html(
        "risk.update",
        "risk:risk-edit",
        "POST",
        302,
        RISK_SCOPES,
        _rpk,
        body=_risk_form,
        api=f"PATCH {V1}/risks/{{id}}/",
    ),
    Html(
        "risk.transition",
        "risk:risk-transition",
        "POST",
        302,
        RISK_SCOPES,
        _rpk,
        body=lambda w, r, s: {"to": "accepted", "reason": "Manual check of large refunds"},
        api=f"POST {V1}/risks/{{id}}/transition/",
    ),
    Html(
        "risk.review",
        "risk:risk-review",
        "POST",
        302,
        RISK_SCOPES,
        _rpk,
        body=lambda w, r, s: {"next_review_date": "2031-01-01"},
        api=f"POST {V1}/risks/{{id}}/review/",
    ),
    Html("risk_methodology.list", "risk:methodology"),
    Html(
        "risk_methodology.retrieve",
        "risk:methodology-detail",
        kwargs=lambda w, r, s: {"pk": w.risk_draft.pk},
    ),
    Html(
        "risk_methodology.create",
        "risk:methodology-draft",
        api=f"POST {V1}/risk-methodologies/",
    ),
    Html(
        "risk_methodology.create",
        "risk:methodology-draft",
        "POST",
        302,
        body=_methodology_form,
        api=f"POST {V1}/risk-methodologies/",
    ),
    Html(
        "risk_methodology.approve",
        "risk:methodology-approve",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.risk_draft.pk},
        body=lambda w, r, s: {},
        api=f"POST {V1}/risk-methodologies/{{id}}/approve/",
    ),
    Html("control.list", "risk:soa"),
    Html("control.retrieve", "risk:control-detail", kwargs=lambda w, r, s: {"pk": w.control.pk}),
    Html(
        "control.statement",
        "risk:control-update",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.control.pk},
        body=lambda w, r, s: {"applicability": "undecided", "implementation_status": "planned"},
        api=f"PATCH {V1}/controls/{{id}}/statement/",
    ),
    Html(
        "control.evidence_link",
        "risk:evidence-add",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.control.pk},
        body=lambda w, r, s: {"kind": "incident", "reference": w.incidents["other"].reference},
        api=f"POST {V1}/controls/{{id}}/evidence/",
    ),
    Html(
        "control.evidence_unlink",
        "risk:evidence-remove",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.control.pk, "link_pk": w.evidence_link.pk},
        body=lambda w, r, s: {},
    ),
    Html("evidence_map", "risk:evidence-map"),
    Html(
        "risk.export",
        "reporting:risk-export",
        "POST",
        302,
        body=lambda w, r, s: {"format": "csv", "residual_band": "high"},
    ),
    Html(
        "capa.export",
        "reporting:capa-export",
        "POST",
        302,
        body=lambda w, r, s: {"format": "csv", "status": "implemented"},
    ),
    Html("soa.pdf", "reporting:soa-pdf", "POST", 302, body=lambda w, r, s: {}),
    Html(
        "incident.risk_change",
        "risk:incident-link",
        "POST",
        302,
        INCIDENT_SCOPES,
        _ik,
        body=lambda w, r, s: {"risk": w.risks["other"].reference, "reason": "Same failure"},
        api=f"POST {V1}/incidents/{{id}}/risks/materialised/",
    ),
    Html(
        "incident.risk_change",
        "risk:incident-rerate",
        "POST",
        302,
        INCIDENT_SCOPES,
        _ik,
        body=lambda w, r, s: {
            "risk": w.risks["other"].reference,
            "which": "residual",
            "likelihood": "4",
            "impact": "4",
            "reason": "Happened twice",
        },
        api=f"POST {V1}/incidents/{{id}}/risks/rerate/",
    ),
    Html(
        "incident.risk_change",
        "risk:incident-raise",
        "POST",
        302,
        INCIDENT_SCOPES,
        _ik,
        body=lambda w, r, s: {
            "title": "Stale policy index",
            "description": "Retrieval index not refreshed.",
            "category": "performance",
        },
        api=f"POST {V1}/incidents/{{id}}/risks/raise/",
    ),
]


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
        "incident.threshold_change",
        "incidents:incident-threshold-change",
        "POST",
        302,
        INC,
        _ik,
        body=threshold_change_body,
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/threshold-changes/",
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
        "system.registry_sync",
        "inventory:registry-sync",
        "POST",
        302,
        S,
        _sk,
        api=f"POST {V1}/systems/{{id}}/registry-sync/",
    ),
    Html(
        "incident.registry_rollbacks",
        "incidents:incident-registry-rollbacks",
        scopes=INC,
        kwargs=_ik,
        api=f"GET {V1}/incidents/{{id}}/registry-rollbacks/",
    ),
    Html(
        "incident.registry_rollback_retry",
        "incidents:incident-registry-rollback-retry",
        "POST",
        302,
        INC,
        _ik,
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/registry-rollbacks/retry/",
    ),
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
    # management reviews
    Html("review.list", "capa:reviews"),
    Html("review.create", "capa:review-create"),
    Html("review.create", "capa:review-create", "POST", 302, body=lambda w, r, s: REVIEW_BODY),
    Html("review.retrieve", "capa:review-detail", kwargs=_mrk),
    Html("review.update", "capa:review-edit", kwargs=_mrk),
    Html(
        "review.update",
        "capa:review-edit",
        "POST",
        302,
        kwargs=_mrk,
        body=lambda w, r, s: {"minutes": "Discussed the quarter.", "decisions": "Fund the fix."},
    ),
    Html(
        "review.transition",
        "capa:review-transition",
        "POST",
        302,
        kwargs=_mrk,
        body=lambda w, r, s: {"to": "approved", "reason": ""},
    ),
    Html(
        "review.action",
        "capa:review-action-add",
        "POST",
        302,
        kwargs=_mrk,
        body=lambda w, r, s: review_action_body(w, r, s),
    ),
    # ==== end of the CAPA block =============================================================
    # disclosure: the Obligations page and the section of the incident page
    Html("obligation.list", "disclosure:obligations", api=f"GET {V1}/obligations/"),
    Html(
        "disclosure.refresh",
        "disclosure:refresh",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {},
        # Offered only before the first proposal; every incident here is assessed.
        api=f"POST {V1}/incidents/{{id}}/disclosure/refresh/",
    ),
    Html(
        "disclosure.facts",
        "disclosure:facts",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"sb53_critical_safety_incident": "true", "nis2_significant": "false"},
        marker=True,
        api=f"PATCH {V1}/incidents/{{id}}/disclosure/facts/",
    ),
    Html(
        "disclosure.sign_off",
        "disclosure:sign-off",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"comment": "Reviewed."},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/disclosure/sign-off/",
    ),
    Html(
        "disclosure.reopen",
        "disclosure:reopen",
        "POST",
        302,
        SIGNED,
        _ik,
        body=lambda w, r, s: {"reason": "New facts from the supplier."},
        marker=True,  # on the incidents not signed off: offered to nobody
        api=f"POST {V1}/incidents/{{id}}/disclosure/reopen/",
    ),
    Html(
        "obligation.confirm",
        "disclosure:confirm",
        "POST",
        302,
        INC,
        _ok,
        body=lambda w, r, s: {"applies": "yes"},
        marker=True,
        api=f"POST {V1}/obligations/{{id}}/confirm/",
    ),
    Html(
        "obligation.submit",
        "disclosure:submit",
        "POST",
        302,
        INC,
        _ok,
        body=lambda w, r, s: {"phase": "initial", "reference": "OES-1"},
        marker=True,
        api=f"POST {V1}/obligations/{{id}}/submissions/",
    ),
    Html(
        "obligation.draft",
        "disclosure:draft",
        "POST",
        302,
        INC,
        _ok,
        body=lambda w, r, s: {},
        marker=True,
        api=f"POST {V1}/obligations/{{id}}/draft/",
    ),
    Html(
        "communication.draft",
        "disclosure:communication-draft",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: communication_body(),
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/communications/",
    ),
    Html(
        "communication.approve",
        "disclosure:communication-approve",
        "POST",
        302,
        INC,
        lambda w, r, s: {"pk": w.communications[s]["draft"].pk},
        body=lambda w, r, s: {},
        marker=True,
        api=f"POST {V1}/communications/{{id}}/approve/",
    ),
    Html(
        "communication.send",
        "disclosure:communication-send",
        "POST",
        302,
        INC,
        lambda w, r, s: {"pk": w.communications[s]["approved"].pk},
        body=lambda w, r, s: {},
        marker=True,
        api=f"POST {V1}/communications/{{id}}/send/",
    ),
    Html(
        "communication.edit",
        "disclosure:communication-edit",
        "POST",
        302,
        INC,
        lambda w, r, s: {"pk": w.communications[s]["report"].pk},
        body=lambda w, r, s: {
            "subject": "Critical safety incident",
            "channel": "Regulator's online form",
            "content": "What happened, when, and why it qualifies.",
        },
        marker=True,
        api=f"PATCH {V1}/communications/{{id}}/",
    ),
    Html(
        "communication.draft_pdf",
        "reporting:disclosure-draft-pdf",
        scopes=INC,
        kwargs=lambda w, r, s: {"pk": w.communications[s]["report"].pk},
        ok=302,  # always through a report run: to its progress page
        marker=True,  # a link, offered to everyone who sees the incident
        api=f"GET {V1}/communications/{{id}}/draft.pdf",
    ),
    # disclosure: the list of affected individuals (its own page, linked from the incident's)
    Html(
        "individuals.read",
        "disclosure:individuals",
        scopes=INC,
        kwargs=_ik,
        marker=True,
        api=f"GET {V1}/incidents/{{id}}/affected-individuals/",
    ),
    Html(
        "individuals.upload",
        "disclosure:individuals-upload",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"file": individuals_csv()},
        api=f"POST {V1}/incidents/{{id}}/affected-individuals/",
    ),
    Html(
        "individuals.status",
        "disclosure:individuals-status",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: {"status": "notified", "identifiers": "P00000"},
        api=f"POST {V1}/incidents/{{id}}/affected-individuals/statuses/",
    ),
    Html(
        "individuals.export",
        "disclosure:individuals-export",
        scopes=INC,
        kwargs=_ik,
        api=f"GET {V1}/incidents/{{id}}/affected-individuals/export/",
    ),
    Html(
        "individuals.file",
        "disclosure:individuals-file",
        scopes=INC,
        kwargs=_ik,
        api=f"GET {V1}/incidents/{{id}}/affected-individuals/file/",
    ),
    Html(
        "vendor_notice.record",
        "disclosure:vendor-notice-record",
        "POST",
        302,
        INC,
        _ik,
        body=lambda w, r, s: vendor_notice_body(w, s),
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/vendor-notices/",
    ),
    Html(
        "vendor_notice.acknowledge",
        "disclosure:vendor-notice-acknowledge",
        "POST",
        302,
        INC,
        lambda w, r, s: {"pk": w.notices[s].pk},
        body=lambda w, r, s: {"vendor_reference": "ACME-1"},
        marker=True,
        api=f"POST {V1}/vendor-notices/{{id}}/acknowledge/",
    ),
    Html(
        "vendor_notice.fix",
        "disclosure:vendor-notice-fix",
        "POST",
        302,
        INC,
        lambda w, r, s: {"pk": w.notices[s].pk},
        body=lambda w, r, s: {"fix_description": "Guardrail added", "fixed_version": "2.1"},
        marker=True,
        api=f"POST {V1}/vendor-notices/{{id}}/fix/",
    ),
    # disclosure: an AI system's facts, from the system's page
    Html(
        "system_facts.update",
        "disclosure:system-facts",
        scopes=S,
        kwargs=_sk,
        api=f"PATCH {V1}/systems/{{id}}/disclosure-facts/",
    ),
    Html(
        "system_facts.update",
        "disclosure:system-facts",
        "POST",
        302,
        S,
        _sk,
        body=lambda w, r, s: {"frontier_developer": "on", "medical_device": "on"},
        api=f"PATCH {V1}/systems/{{id}}/disclosure-facts/",
    ),
    Html(
        "system_facts.history",
        "object-history",
        scopes=S,
        kwargs=_history("disclosure", "systemfacts", "system_facts"),
    ),
    # --- risk module ----------------------------------------------------------------------------
    *_RISK_HTML,
]


# --- the learning loop: the forms of the root-cause section on the incident page -------------


def _rck(w, role, scope):
    return {"pk": w.capa["root_causes"][scope].pk}


def _itemk(w, role, scope):
    return {"pk": w.capa["items"][scope].pk}


def _capa_form(action, url_name, kwargs, body, api, ok=302):
    return Html(action, url_name, "POST", ok, INC, kwargs, body=body, marker=True, api=api)


HTML += [
    _capa_form(
        "root_cause.propose",
        "capa:root-cause-propose",
        _ik,
        lambda w, r, s: ROOT_CAUSE_BODY,
        f"POST {V1}/incidents/{{id}}/root-causes/",
    ),
    _capa_form(
        "root_cause.why",
        "capa:why-add",
        _rck,
        lambda w, r, s: WHY_BODY,
        f"POST {V1}/root-causes/{{id}}/whys/",
    ),
    _capa_form(
        "root_cause.diagnostic",
        "capa:diagnostic-add",
        _rck,
        lambda w, r, s: DIAGNOSTIC_BODY,
        f"POST {V1}/root-causes/{{id}}/diagnostics/",
    ),
    _capa_form(
        "root_cause.evidence",
        "capa:evidence-link",
        _rck,
        lambda w, r, s: {"evidence": w.evidence[s].pk},
        f"POST {V1}/root-causes/{{id}}/evidence/",
    ),
    _capa_form(
        "root_cause.confirm",
        "capa:root-cause-confirm",
        _rck,
        lambda w, r, s: {},
        f"POST {V1}/root-causes/{{id}}/confirm/",
    ),
    _capa_form(
        "root_cause.rule_out",
        "capa:root-cause-rule-out",
        _rck,
        lambda w, r, s: {"reason": "The trace shows no parser fault."},
        f"POST {V1}/root-causes/{{id}}/rule-out/",
    ),
    _capa_form(
        "scope.record",
        "capa:scope-record",
        _ik,
        lambda w, r, s: {
            **SCOPE_BODY,
            "period_start": "2026-11-01T00:00",
            "period_end": "2026-11-02T00:00",
            "confirm": "true",
        },
        f"PUT {V1}/incidents/{{id}}/scope/",
    ),
    _capa_form(
        "remediation.item",
        "capa:remediation-item-add",
        _ik,
        lambda w, r, s: {**ITEM_BODY, "owner": w.helper.pk, "due_on": "2026-12-20"},
        f"POST {V1}/incidents/{{id}}/remediation/items/",
    ),
    _capa_form(
        "remediation.item_done",
        "capa:remediation-item-done",
        _itemk,
        lambda w, r, s: {"note": "Done."},
        f"POST {V1}/remediation-items/{{id}}/done/",
    ),
    _capa_form(
        "remediation.reprocessing",
        "capa:reprocessing",
        _ik,
        lambda w, r, s: REPROCESSING_BODY,
        f"PUT {V1}/incidents/{{id}}/remediation/reprocessing/",
    ),
    _capa_form(
        "remediation.verify",
        "capa:fix-verify",
        _ik,
        lambda w, r, s: {"verification": "Replayed the failing cases again."},
        f"POST {V1}/incidents/{{id}}/remediation/verify/",
    ),
    _capa_form(
        "remediation.restore",
        "capa:restore",
        _ik,
        lambda w, r, s: {"note": "Traffic back to the model."},
        f"POST {V1}/incidents/{{id}}/remediation/restore/",
    ),
]


def _dock(name):
    return lambda w, r, s: {"pk": w.documents[name].pk}


def _versionk(name):
    return lambda w, r, s: {
        "pk": w.documents["policy"].pk,
        "version_pk": w.documents[name].pk,
    }


def _document_form(w, role, scope):
    return {
        "kind": "other_procedure",
        "title": "Change procedure",
        "owner": str(w.users["grc"].pk),
        "review_interval_days": "365",
        "process_links": "",
    }


def _rule_form(w, role, scope):
    pk = w.documents["rule"].pk
    return {f"r{pk}-period_days": "3000", f"r{pk}-legal_basis": "Limitation period"}


HTML += [
    Html("document.list", "risk:documents"),
    Html("document.retrieve", "risk:document-detail", kwargs=_dock("policy")),
    Html("document.create", "risk:document-create", api=f"POST {V1}/documented-information/"),
    Html(
        "document.create",
        "risk:document-create",
        "POST",
        302,
        body=_document_form,
        api=f"POST {V1}/documented-information/",
    ),
    Html("document.update", "risk:document-edit", kwargs=_dock("policy")),
    Html(
        "document.update",
        "risk:document-edit",
        "POST",
        302,
        kwargs=_dock("policy"),
        body=_document_form,
        api=f"PATCH {V1}/documented-information/{{id}}/",
    ),
    Html(
        "document.version_create",
        "risk:version-create",
        "POST",
        302,
        kwargs=_dock("policy"),
        body=lambda w, r, s: {"summary": "Three", "body": "Version three."},
        api=f"POST {V1}/documented-information/{{id}}/versions/",
    ),
    Html(
        "document_version.approve",
        "risk:version-approve",
        "POST",
        302,
        kwargs=_versionk("draft"),
        body=lambda w, r, s: {},
        api=f"POST {V1}/document-versions/{{id}}/approve/",
    ),
    Html(
        "document_version.outdated",
        "risk:version-outdated",
        "POST",
        302,
        kwargs=_versionk("approved"),
        body=lambda w, r, s: {"reason": "A new regulation applies."},
        api=f"POST {V1}/document-versions/{{id}}/outdated/",
    ),
    Html("document_version.file", "risk:version-file", kwargs=_versionk("approved")),
    Html(
        "document.generate",
        "reporting:procedure-pdf",
        "POST",
        302,
        kwargs=_dock("procedure"),
        body=lambda w, r, s: {},
    ),
    Html("retention_rule.list", "risk:retention"),
    Html(
        "retention_rule.update",
        "risk:retention-rule-update",
        "POST",
        302,
        kwargs=_dock("rule"),
        body=_rule_form,
        api=f"PATCH {V1}/retention-rules/{{id}}/",
    ),
    Html(
        "legal_hold.create",
        "risk:legal-hold-place",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.incidents["own"].pk},
        body=lambda w, r, s: {"hold-reason": "Claim received"},
        api=f"POST {V1}/legal-holds/",
    ),
    Html(
        "legal_hold.release",
        "risk:legal-hold-release",
        "POST",
        302,
        kwargs=lambda w, r, s: {"pk": w.incidents["led"].pk, "hold_pk": w.documents["hold"].pk},
        body=lambda w, r, s: {"hold-reason": "Claim withdrawn"},
        api=f"POST {V1}/legal-holds/{{id}}/release/",
    ),
]


# --- the learning loop: post-incident reviews --------------------------------------------------


def _pir_id(w, role, scope):
    return w.capa["reviews"][scope].pk


def _pirk(w, role, scope):
    return {"pk": w.capa["reviews"][scope].pk}


PIR_LESSONS = {"caught_sooner": "A segment-level evaluation before each retrain."}


def pir_capa_body(w, role, scope):
    return {
        "update_kind": "process",
        "action_type": "preventive",
        "title": "Segment evaluation gate",
        "description": "Block a retrain that worsens any segment.",
        "horizon": "long_term",
        "owner": w.users["engineer"].pk,
        "due_at": "2027-03-01T12:00:00Z",
    }


def pir_form_body(w, role, scope):
    from aims.core.concurrency import version_of
    from capa.models import PostIncidentReview

    review = PostIncidentReview.objects.get(pk=w.capa["reviews"][scope].pk)
    return {
        "version": version_of(review),
        "root_cause_review": "",
        "controls_failed": review.controls_failed,
        "controls_worked": review.controls_worked,
        "process_followed": review.process_followed,
        "process_notes": "",
        "caught_sooner": PIR_LESSONS["caught_sooner"],
    }


PIR = "/api/v1/post-incident-reviews"
API += [
    Api("pir.list", "GET", f"{PIR}/", 200),
    Api("pir.retrieve", "GET", f"{PIR}/{{id}}/", 200, INC, _pir_id),
    Api(
        "pir.update",
        "PUT",
        f"{PIR}/{{id}}/",
        200,
        INC,
        _pir_id,
        body=lambda w, r, s: PIR_LESSONS,
    ),
    Api(
        "pir.update",
        "PATCH",
        f"{PIR}/{{id}}/",
        200,
        INC,
        _pir_id,
        body=lambda w, r, s: PIR_LESSONS,
    ),
    Api("pir.submit", "POST", f"{PIR}/{{id}}/submit/", 200, INC, _pir_id),
    Api(
        "pir.approve",
        "POST",
        f"{PIR}/{{id}}/approve/",
        200,
        SIGNED,
        _pir_id,
        body=lambda w, r, s: {"comment": "Lessons accepted."},
    ),
    Api(
        "pir.return",
        "POST",
        f"{PIR}/{{id}}/return/",
        200,
        SIGNED,
        _pir_id,
        body=lambda w, r, s: {"comment": "Name the control owner."},
    ),
    Api("pir.retrieve", "GET", f"{PIR}/{{id}}/capas/", 200, INC, _pir_id),
    Api("pir.raise_capa", "POST", f"{PIR}/{{id}}/capas/", 201, INC, _pir_id, body=pir_capa_body),
]
HTML += [
    Html("pir.list", "capa:pir-list"),
    Html("pir.retrieve", "capa:pir-detail", scopes=INC, kwargs=_pirk),
    Html(
        "pir.update",
        "capa:pir-detail",
        "POST",
        302,
        INC,
        _pirk,
        body=pir_form_body,
        api=f"PATCH {PIR}/{{id}}/",
    ),
    Html(
        "pir.submit",
        "capa:pir-transition",
        "POST",
        302,
        INC,
        _pirk,
        body=lambda w, r, s: {"to": "submitted", "reason": ""},
        api=f"POST {PIR}/{{id}}/submit/",
    ),
    Html(
        "pir.approve",
        "capa:pir-transition",
        "POST",
        302,
        SIGNED,
        _pirk,
        body=lambda w, r, s: {"to": "approved", "reason": "Lessons accepted."},
        api=f"POST {PIR}/{{id}}/approve/",
    ),
    Html(
        "pir.raise_capa",
        "capa:pir-capa",
        "POST",
        302,
        INC,
        _pirk,
        body=lambda w, r, s: {**pir_capa_body(w, r, s), "due_at": "2027-03-01T12:00"},
        api=f"POST {PIR}/{{id}}/capas/",
    ),
]

# URL patterns outside the matrix: the admin, the API (its own matrix), static files, the schema.
# oidc/: the single sign-on flow, open to anyone by design (tests/test_sso.py drives it).
URL_PREFIXES_NOT_IN_MATRIX = ("admin/", "api/", "static/", "media/", "__debug__/", "oidc/")


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


# --- impact assessments and the incident's risk-register review: API and pages ---------------


def _aia(which):
    return lambda w, role, scope: w.impact[which][scope].pk


def _aiak(which):
    return lambda w, role, scope: {"pk": w.impact[which][scope].pk}


IMPACT_BODY = {
    "intended_use": "Answer customers' questions.",
    "foreseeable_misuse": "Legal advice.",
    "affected_groups": "Customers.",
    "societal_impact": "Low.",
    "result": "acceptable",
    "next_due_date": "2031-01-01",
}

API += [
    Api("impact.list", "GET", f"{V1}/impact-assessments/", 200),
    Api(
        "impact.create",
        "POST",
        f"{V1}/impact-assessments/",
        201,
        body=lambda w, r, s: {"system": w.systems["own"].pk, **IMPACT_BODY},
    ),
    Api("impact.retrieve", "GET", f"{V1}/impact-assessments/{{id}}/", 200, RS, _aia("draft")),
    Api(
        "impact.update",
        "PATCH",
        f"{V1}/impact-assessments/{{id}}/",
        200,
        RS,
        _aia("draft"),
        body=lambda w, r, s: {"societal_impact": "Moderate."},
    ),
    Api(
        "impact.submit",
        "POST",
        f"{V1}/impact-assessments/{{id}}/submit/",
        200,
        RS,
        _aia("draft"),
    ),
    Api(
        "impact.approve",
        "POST",
        f"{V1}/impact-assessments/{{id}}/approve/",
        200,
        RS,
        _aia("submitted"),
        body=lambda w, r, s: {"comment": "Checked with the owner."},
    ),
    Api(
        "impact.send_back",
        "POST",
        f"{V1}/impact-assessments/{{id}}/send-back/",
        200,
        RS,
        _aia("submitted"),
        body=lambda w, r, s: {"reason": "Add the groups."},
    ),
    Api(
        "incident.risk_review",
        "POST",
        f"{V1}/incidents/{{id}}/risk-review/",
        201,
        INCIDENT_SCOPES,
        _i,
        body=lambda w, r, s: {"outcome": "no_change", "reason": "Covered as rated."},
    ),
]


def _impact_form(w, role, scope):
    return {"system": str(w.systems["own"].pk), "trigger": "planned", **IMPACT_BODY}


HTML += [
    Html("impact.list", "risk:impact-list"),
    Html("impact.create", "risk:impact-create", api=f"POST {V1}/impact-assessments/"),
    Html(
        "impact.create",
        "risk:impact-create",
        "POST",
        302,
        body=_impact_form,
        api=f"POST {V1}/impact-assessments/",
    ),
    Html("impact.retrieve", "risk:impact-detail", scopes=RS, kwargs=_aiak("draft")),
    Html("impact.update", "risk:impact-edit", scopes=RS, kwargs=_aiak("draft")),
    Html(
        "impact.update",
        "risk:impact-edit",
        "POST",
        302,
        RS,
        _aiak("draft"),
        body=lambda w, r, s: {"trigger": "planned", **IMPACT_BODY},
        api=f"PATCH {V1}/impact-assessments/{{id}}/",
    ),
    Html(
        "impact.approve",
        "risk:impact-transition",
        "POST",
        302,
        RS,
        _aiak("submitted"),
        body=lambda w, r, s: {"to": "approved", "reason": "Checked with the owner."},
        api=f"POST {V1}/impact-assessments/{{id}}/approve/",
    ),
    Html(
        "incident.risk_review",
        "risk:incident-risk-review",
        "POST",
        302,
        INCIDENT_SCOPES,
        _ik,
        body=lambda w, r, s: {"outcome": "no_change", "reason": "Covered as rated."},
        marker=True,
        api=f"POST {V1}/incidents/{{id}}/risk-review/",
    ),
]


# --- evidence trails and the consistency check (risk.trail) -----------------------------------
# A system's trail ("trail" scope: every system for the read-all roles, their own for engineers);
# the consistency check lists the gaps of the systems the caller may read.

TRAIL_READERS = READ_ALL | {"engineer"}


def _trail_rule(user, w, scope):
    return rp.can_read_trail(user)


ACTIONS.update(
    {
        a.name: a
        for a in (
            Action("system.trail", "trail", _everyone, gate=TRAIL_READERS, rule=_trail_rule),
            Action("consistency", "none", _everyone, gate=TRAIL_READERS, rule=_trail_rule),
            Action(
                "system.trail_pdf",
                "trail",
                _everyone,
                gate=TRAIL_READERS,
                rule=_trail_rule,
                write=True,
            ),
        )
    }
)
API += [
    Api("system.trail", "GET", f"{V1}/systems/{{id}}/trail/", 200, S, _s),
    Api("consistency", "GET", f"{V1}/consistency/", 200),
    Api("system.trail_pdf", "POST", f"{V1}/systems/{{id}}/trail-pdf/", 202, S, _s),
    # the risk module's documents over the API (the register's exports, the SoA)
    Api("risk.export", "POST", f"{V1}/risk-exports/", 202, body=lambda w, r, s: {"format": "csv"}),
    Api("soa.pdf", "POST", f"{V1}/soa-pdf/", 202),
]
HTML += [
    Html(
        "system.trail",
        "risk:system-trail",
        scopes=S,
        kwargs=_sk,
        api=f"GET {V1}/systems/{{id}}/trail/",
    ),
    Html("consistency", "risk:consistency", api=f"GET {V1}/consistency/"),
    Html(
        "system.trail_pdf",
        "reporting:system-trail-pdf",
        scopes=S,
        kwargs=_sk,
        ok=302,
        api=f"POST {V1}/systems/{{id}}/trail-pdf/",
    ),
]
