"""``manage.py import_wandb_manifest SYSTEM ARTIFACT MANIFEST --as USER``: record a model version
from a Weights & Biases artifact manifest a pipeline exported."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from aims.core.exceptions import ApplicationError
from inventory.models import AISystem
from inventory.services.wandb import wandb_manifest_import


class Command(BaseCommand):
    help = (
        "Record (or update) the model version a W&B artifact manifest (wandb_manifest.json) "
        "describes, for the system given by reference (AIS-0001) or id. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("system", help="The AI system: reference (AIS-0001) or id.")
        parser.add_argument("artifact", help="entity/project/artifact-name:version")
        parser.add_argument("manifest", help="Path of the manifest JSON file.")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The user recorded as the importer (a system owner, GRC or the risk officer).",
        )
        parser.add_argument("--digest", default="", help="The artifact digest W&B shows.")

    def handle(self, *args, system, artifact, manifest, username, digest, **options):
        found = AISystem.objects.filter(reference=system.upper()).first()
        if found is None and system.isdigit():
            found = AISystem.objects.filter(pk=int(system)).first()
        if found is None:
            raise CommandError(f"No AI system {system}.")
        actor = get_user_model().objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {username}.")
        try:
            raw = Path(manifest).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {manifest}: {exc.strerror}.") from exc
        try:
            version, created = wandb_manifest_import(
                actor=actor, system=found, reference=artifact, manifest=raw, digest=digest
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{'Recorded' if created else 'Already recorded'}: {version} "
            f"(digest {version.artifact_digest})."
        )
