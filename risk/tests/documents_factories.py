"""Documents and retention set up through the real services."""

from django.core.files.uploadedfile import SimpleUploadedFile

from risk import services
from risk.choices import DocumentKind


def register_document(actor, *, kind=DocumentKind.AI_POLICY, title="AI policy", **data):
    values = {"kind": kind, "title": title, "owner": actor, "review_interval_days": 365, **data}
    return services.document_create(actor=actor, data=values)


def approved_policy(actor, approver=None, body="We use AI responsibly."):
    document = register_document(actor)
    version = services.version_draft(actor=actor, document=document, body=body)
    services.version_approve(actor=approver or actor, version=version)
    return document, version


def pdf_upload(content=b"%PDF-1.4 scope\n", name="scope.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")
