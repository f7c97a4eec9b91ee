"""``manage.py load_atlas [FILE]``: load a MITRE ATLAS release into the technique catalogue."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents import atlas
from incidents.models import AtlasTactic, AtlasTechnique


class Command(BaseCommand):
    help = (
        "Load MITRE ATLAS tactics and techniques from a catalogue file (default: the bundled "
        "incidents/data/atlas.json). Entries the release dropped are kept, marked not current."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(atlas.DATA_FILE))

    def handle(self, *args, file, **options):
        try:
            data = atlas.read_catalogue(file)
        except atlas.CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            loaded = atlas.load_catalogue(
                data, tactic_model=AtlasTactic, technique_model=AtlasTechnique
            )
        self.stdout.write(
            f"ATLAS {loaded.version}: {loaded.tactics} tactics, {loaded.techniques} techniques"
            f" loaded, {loaded.retired} no longer current."
        )
