"""Typed timeline entries of the disclosure module, written on the incident's timeline."""

from incidents.choices import TimelineKind
from incidents.events import module_event


def facts_changed_event(*, incident, actor, fields):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.UPDATE,
        summary="Disclosure facts changed: " + ", ".join(fields),
        data={"module": "disclosure", "fields": fields},
    )


def assessment_reopened_event(*, incident, actor, reason):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=f"Disclosure assessment reopened: {reason}",
        data={"module": "disclosure", "reopened": True},
    )


def obligation_confirmed_event(*, incident, actor, obligation):
    summary = (
        f"Disclosure {obligation.code} ({obligation.stage}): {obligation.get_applies_display()}"
    )
    if obligation.confirmed_reason:
        summary += f" — {obligation.confirmed_reason}"
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=summary,
        data={
            "module": "disclosure",
            "code": obligation.code,
            "stage": obligation.stage,
            "applies": obligation.applies,
            "proposed": obligation.proposed,
        },
    )


def assessment_signed_off_event(*, incident, actor, assessment, owed):
    summary = "Disclosure assessment signed off by legal"
    summary += f": {owed} obligation(s) to meet" if owed else ": no notification required"
    if assessment.sign_off_comment:
        summary += f" — {assessment.sign_off_comment}"
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.APPROVAL,
        summary=summary,
        data={"module": "disclosure", "owed": owed},
    )


def submission_event(*, incident, actor, submission):
    obligation = submission.obligation
    summary = (
        f"{submission.get_phase_display()} report sent for {obligation.code} "
        f"({obligation.stage}) to {obligation.recipient}"
    )
    if submission.reference:
        summary += f", reference {submission.reference}"
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.COMMUNICATION,
        summary=summary,
        data={
            "module": "disclosure",
            "code": obligation.code,
            "stage": obligation.stage,
            "phase": submission.phase,
            "evidence": submission.document_id,
        },
    )


def communication_approved_event(*, incident, actor, communication):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.APPROVAL,
        summary=f"Communication to {communication.get_audience_display().lower()} approved: "
        f"{communication.subject}",
        data={"module": "disclosure", "communication": communication.pk},
    )


def communication_sent_event(*, incident, actor, communication):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.COMMUNICATION,
        summary=f"Sent to {communication.get_audience_display().lower()} by "
        f"{communication.channel}: {communication.subject}",
        data={
            "module": "disclosure",
            "communication": communication.pk,
            "audience": communication.audience,
        },
    )


def vendor_event(*, incident, actor, notice, what):
    kind = TimelineKind.COMMUNICATION if what == "notified" else TimelineKind.UPDATE
    summaries = {
        "notified": f"{notice.supplier} notified ({notice.get_basis_display()}) by {notice.channel}",
        "acknowledged": f"{notice.supplier} acknowledged the notice"
        + (f", reference {notice.vendor_reference}" if notice.vendor_reference else ""),
        "fixed": f"{notice.supplier} shipped a fix"
        + (f": version {notice.fixed_version}" if notice.fixed_version else ""),
    }
    return module_event(
        incident=incident,
        actor=actor,
        kind=kind,
        summary=summaries[what],
        data={"module": "disclosure", "vendor_notice": notice.pk, "what": what},
    )


# --- affected individuals (the timeline is read by everyone on the incident: counts only, never
# a person's identifier, name or contact) ---------------------------------------------------


def individuals_uploaded_event(*, incident, actor, upload, carried: int):
    summary = (
        f"List of affected individuals uploaded: {upload.row_count} people "
        f"(SHA-256 {upload.sha256[:12]}…)"
    )
    if carried:
        summary += f"; {carried} kept their notification status from the previous list"
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.EVIDENCE,
        summary=summary,
        data={"module": "disclosure", "individuals_upload": upload.pk, "people": upload.row_count},
    )


def individuals_status_event(*, incident, actor, status_label: str, count: int, status: str):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.COMMUNICATION if status == "notified" else TimelineKind.UPDATE,
        summary=f"Affected individuals: {count} marked {status_label.lower()}",
        data={"module": "disclosure", "individuals_status": status, "count": count},
    )


def individuals_exported_event(*, incident, actor, export):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.UPDATE,
        summary=(
            f"List of affected individuals exported for a mail merge: {export.row_count} people"
            if export.what == "mail_merge"
            else "Uploaded list of affected individuals downloaded"
            + (" (SHA-256 re-checked)" if export.hash_verified else " — SHA-256 check FAILED")
        ),
        data={"module": "disclosure", "individuals_export": export.pk},
    )


def communication_edited_event(*, incident, actor, communication, fields):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.UPDATE,
        summary=f"Draft communication edited ({', '.join(fields)}): {communication.subject}",
        data={"module": "disclosure", "communication": communication.pk, "fields": fields},
    )
