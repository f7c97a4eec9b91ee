"""``manage.py load_demo``: demo users (one per role) and six realistic AI systems. Idempotent."""

import hashlib
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from aims.accounts.choices import Role
from aims.accounts.models import User
from aims.accounts.services import user_upsert_with_role
from aims.core.services import model_save
from incidents.models import Incident
from inventory import services
from inventory.models import AISystem, ModelRegistryLink

from ._demo_learning import load_learning_loop

DEMO_PASSWORD = "demo-Register-2026"

DEMO_USERS = [
    ("grace", Role.GRC, "Grace", "Okafor", "GRC lead"),
    ("rick", Role.RISK_OFFICER, "Ravi", "Krishnan", "AI risk officer"),
    ("dana", Role.DPO, "Dana", "Weber", "Data protection officer"),
    ("lena", Role.LEGAL, "Lena", "Moreau", "Counsel"),
    ("cyrus", Role.CISO, "Cyrus", "Tan", "CISO"),
    ("erin", Role.EXECUTIVE, "Erin", "Lindqvist", "COO"),
    ("audrey", Role.AUDITOR, "Audrey", "Novak", "Certification auditor"),
    ("eli", Role.ENGINEER, "Eli", "Santos", "ML engineer"),
    ("maya", Role.ENGINEER, "Maya", "Chen", "ML platform engineer"),
    ("ethan", Role.ETHICS, "Ethan", "Brooks", "Ethics officer"),
]

# name, purpose, owners, classification and flags, versions (label, digest, data, days ago deployed, change)
DEMO_SYSTEMS = [
    {
        "data": {
            "name": "Customer-service chatbot",
            "intended_purpose": "Answer retail customers' questions about orders, returns and delivery in chat.",
            "description": "LLM-based assistant with retrieval over the help centre; escalates to a human agent.",
            "organization_role": "deployer",
            "lifecycle_status": "production",
            "deployment_environment": "Vendor LLM API + in-house retrieval service (EU region)",
            "internal_risk_tier": "medium",
            "eu_ai_act_class": "limited",
            "data_categories": ["personal"],
            "affected_populations": "Retail customers in the EU and UK",
            "human_oversight": "on_the_loop",
            "eu_market": True,
            "gdpr_role": "controller",
            "supplier": "Frontier LLM vendor",
            "supplier_contract": "MSA-2025-117",
            "validation_status": "validated",
        },
        "owners": ("maya", "eli"),
        "versions": [
            ("2025.10-gpt", "prompt v14", 60, "deploy"),
            ("2026.11-gpt", "prompt v17", 6, "vendor_update"),
        ],
    },
    {
        "data": {
            "name": "Retail credit-risk scoring",
            "intended_purpose": "Score consumer loan applications for probability of default.",
            "description": "Gradient-boosted model; decisions above the cut-off are reviewed by an underwriter.",
            "organization_role": "provider",
            "lifecycle_status": "production",
            "deployment_environment": "On-premises model server, scoring API",
            "internal_risk_tier": "critical",
            "eu_ai_act_class": "high_risk",
            "annex_iii_area": "essential_services",
            "data_categories": ["personal", "financial"],
            "affected_populations": "Loan applicants (EU and US)",
            "human_oversight": "in_the_loop",
            "eu_market": True,
            "gdpr_role": "controller",
            "dora_financial_entity": True,
            "us_bank_model_risk": True,
            "colorado_consequential": True,
            "validation_status": "validated",
        },
        "owners": ("rick", "eli"),
        "versions": [
            ("pd-3.1.0", "bureau-2025Q2", 120, "deploy"),
            ("pd-3.2.0", "bureau-2025Q4", 20, "retrain"),
        ],
    },
    {
        "data": {
            "name": "Assembly-line visual defect detector",
            "intended_purpose": "Flag surface defects on stamped panels for removal from the line.",
            "organization_role": "provider",
            "lifecycle_status": "production",
            "deployment_environment": "Edge GPUs at plant 2, line 4",
            "internal_risk_tier": "high",
            "eu_ai_act_class": "minimal",
            "affected_populations": "Line workers; downstream customers of the panels",
            "human_oversight": "on_the_loop",
            "eu_market": True,
            "nis2_entity": "important",
            "validation_status": "in_validation",
        },
        "owners": ("maya", "maya"),
        "versions": [
            ("yolo-panels-7", "panels-2025-09", 90, "deploy"),
            ("yolo-panels-8", "panels-2026-10", 3, "deploy"),
        ],
    },
    {
        "data": {
            "name": "Résumé screener",
            "intended_purpose": "Rank incoming job applications for recruiter review.",
            "organization_role": "deployer",
            "lifecycle_status": "staging",
            "deployment_environment": "HR SaaS vendor",
            "internal_risk_tier": "high",
            "eu_ai_act_class": "high_risk",
            "annex_iii_area": "employment",
            "data_categories": ["personal", "special_category"],
            "affected_populations": "Job applicants",
            "human_oversight": "in_the_loop",
            "eu_market": True,
            "gdpr_role": "controller",
            "supplier": "TalentRank Ltd",
            "supplier_contract": "HR-2026-004",
            "validation_status": "not_validated",
        },
        "owners": ("grace", "eli"),
        "versions": [("vendor-2026.2", "vendor-managed", 14, "deploy")],
    },
    {
        "data": {
            "name": "Card fraud detector",
            "intended_purpose": "Score card transactions in real time and hold suspected fraud for review.",
            "organization_role": "provider",
            "lifecycle_status": "production",
            "deployment_environment": "Streaming scorer in the payments cluster",
            "internal_risk_tier": "high",
            "eu_ai_act_class": "minimal",
            "data_categories": ["personal", "financial"],
            "affected_populations": "Cardholders",
            "human_oversight": "on_the_loop",
            "eu_market": True,
            "gdpr_role": "controller",
            "dora_financial_entity": True,
            "validation_status": "validated",
        },
        "owners": ("rick", "maya"),
        "versions": [
            ("fraud-11", "txn-2025-07", 150, "deploy"),
            ("fraud-12", "txn-2026-08", 30, "retrain"),
        ],
    },
    {
        "data": {
            "name": "Clinical document summarizer",
            "intended_purpose": "Summarize discharge letters for the care-coordination team.",
            "organization_role": "integrator",
            "lifecycle_status": "development",
            "deployment_environment": "Private LLM endpoint, US region",
            "internal_risk_tier": "high",
            "eu_ai_act_class": "not_assessed",
            "data_categories": ["personal", "health"],
            "affected_populations": "Patients",
            "human_oversight": "in_the_loop",
            "hipaa_role": "business_associate",
            "validation_status": "not_validated",
        },
        "owners": ("dana", "eli"),
        "versions": [("sum-0.4", "notes-2026-06", 10, "deploy")],
    },
]


class Command(BaseCommand):
    help = "Load demo users (one per role) and six AI systems with versions and deployments. Safe to run twice."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for username, role, first, last, title in DEMO_USERS:
            existing = User.objects.filter(username=username).first()
            if existing is not None:
                users[username] = existing
                continue
            user, _ = user_upsert_with_role(
                username=username,
                role=role,
                email=f"{username}@example.org",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                title=title,
                admin=username == "grace",  # the GRC lead also keeps the reference data
            )
            users[username] = user
        grace = users["grace"]

        now = timezone.now()
        created = 0
        for spec in DEMO_SYSTEMS:
            if AISystem.objects.filter(name=spec["data"]["name"]).exists():
                continue
            business, technical = spec["owners"]
            data = {
                **spec["data"],
                "business_owner": users[business],
                "technical_owner": users[technical],
            }
            system = services.system_create(actor=grace, data=data)
            for label, training, days_ago, change in spec["versions"]:
                version = services.model_version_create(
                    actor=grace,
                    system=system,
                    data={
                        "version_label": label,
                        "training_data_version": training,
                        "artifact_reference": f"registry://models/{system.reference.lower()}/{label}",
                        "artifact_digest": "sha256:"
                        + hashlib.sha256(f"{system.reference}:{label}".encode()).hexdigest(),
                        "evaluation_summary": "Offline evaluation passed release criteria.",
                    },
                )
                services.model_version_approve(
                    actor=users["rick"], version=version, at=now - timedelta(days=days_ago + 1)
                )
                services.deployment_record(
                    actor=users[technical],
                    system=system,
                    data={
                        "model_version": version,
                        "deployed_at": now - timedelta(days=days_ago),
                        "change_type": change,
                        "change_reference": f"CHG-{1000 + days_ago}",
                    },
                )
            created += 1

        self._demo_registry_link(grace)

        incidents = 0
        if not Incident.objects.exists():
            incidents = self._demo_incidents(users)
            systems = {s.name: s for s in AISystem.objects.all()}
            incidents += load_learning_loop(users, systems)
        self.stdout.write(
            f"Demo data ready ({created} AI systems and {incidents} incidents added). "
            "Sign in at http://127.0.0.1:8000/ with:"
        )
        for username, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {role:<13} password: {DEMO_PASSWORD}")

    def _demo_registry_link(self, grace) -> None:
        """The card-fraud detector is linked to an MLflow registry. No server answers in the
        demo, so the link says it was never synced; with ``mlflow server`` on port 5000 and a
        registered model of that name, "Sync now" on the system page imports it."""
        system = AISystem.objects.filter(name="Card fraud detector").first()
        if system is None or ModelRegistryLink.objects.filter(system=system).exists():
            return
        model_save(
            ModelRegistryLink(
                system=system,
                tracking_uri="http://127.0.0.1:5000",
                model_name="card-fraud-detector",
                production_alias="champion",
                staging_alias="challenger",
                linked_by=grace,
                last_sync_summary=(
                    "Not synced yet: start an MLflow server at http://127.0.0.1:5000 with a "
                    "registered model card-fraud-detector, then press Sync now."
                ),
            ),
            actor=grace,
        )

    def _demo_incidents(self, users) -> int:
        """A few incidents at different stages, filed and moved through the real services."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from incidents import services as incidents

        grace, rick = users["grace"], users["rick"]
        systems = {s.name: s for s in AISystem.objects.all()}
        now = timezone.now()

        credit = incidents.incident_create(
            actor=users["eli"],
            systems=[systems["Retail credit-risk scoring"]],
            severity=1,
            severity_reason="Systematically wrong outputs for a defined group (applicants with thin credit files).",
            data={
                "title": "Approval rate for thin-file applicants fell by half after retraining",
                "description": "Monitoring shows the approval rate for applicants with under two years of credit "
                "history dropping from 41% to 19% since the pd-3.2.0 retrain.",
                "types": ["bias", "drift"],
                "failure_nature": "wrong_classification",
                "scope": "subset",
                "affected_inputs": "Applicants with less than two years of credit history",
                "detection_source": "downstream_metric",
                "detected_at": now - timedelta(hours=30),
                "failure_began_at": now - timedelta(days=19),
                "individuals_affected_estimate": 640,
                "outputs_affected_estimate": 1900,
                "jurisdictions": ["EU", "US-CO"],
            },
        )
        incidents.incident_assign_lead(actor=grace, incident=credit, lead=rick)
        incidents.incident_transition(actor=rick, incident=credit, to="triaged")
        incidents.evidence_add(
            actor=users["eli"],
            incident=credit,
            kind="sample_io",
            uploaded_file=SimpleUploadedFile(
                "declined-thin-file-sample.jsonl",
                b'{"applicant": "hash:91ac", "score": 0.71, "decision": "decline"}\n',
            ),
            description="200 declined applications from the affected segment, pseudonymised.",
        )
        incidents.containment_decide(
            actor=rick,
            incident=credit,
            option="reroute",
            rationale="Route thin-file applications to pd-3.1.0 while the retrain is investigated.",
        )
        incidents.incident_transition(actor=rick, incident=credit, to="contained")
        incidents.notification_record(
            actor=rick,
            incident=credit,
            recipients="AI system owner, CISO, DPO",
            channel="bridge call",
            summary="Containment agreed.",
        )

        chatbot = incidents.incident_create(
            actor=users["maya"],
            systems=[systems["Customer-service chatbot"]],
            data={
                "title": "Chatbot quotes a refund policy that does not exist",
                "description": "Two customers were told they could return opened software within 60 days.",
                "types": ["misinformation"],
                "failure_nature": "wrong_generation",
                "scope": "subset",
                "detection_source": "user_report",
                "detected_at": now - timedelta(hours=1),
            },
        )
        incidents.note_add(
            actor=users["maya"],
            incident=chatbot,
            body="Both conversations followed the vendor model update six days ago.",
        )

        defect = incidents.incident_create(
            actor=users["maya"],
            systems=[systems["Assembly-line visual defect detector"]],
            severity=3,
            severity_reason="Caught by the line inspector before any panel shipped.",
            data={
                "kind": "near_miss",
                "title": "Glare from new lighting hid scratches on two panels",
                "description": "The inspector caught both panels; the detector's confidence dropped under new LEDs.",
                "types": ["performance"],
                "scope": "subset",
                "detection_source": "employee",
                "detected_at": now - timedelta(days=12),
                "failure_began_at": now - timedelta(days=13),
                "outputs_affected_estimate": 2,
            },
        )
        incidents.incident_assign_lead(actor=grace, incident=defect, lead=users["maya"])
        return 3
