"""The MITRE ATLAS catalogue: tactics and techniques of the adversarial-AI threat matrix.

The catalogue is data, kept in ``incidents/data/atlas.json``: the IDs, names, tactic membership
and parent technique of every entry of one ATLAS release, copied from the published matrix
(``dist/ATLAS.yaml`` of the public ``mitre-atlas/atlas-data`` repository; the file names the
release and the exact source). Long descriptions are not copied: atlas.mitre.org has them.

``load_catalogue`` puts a release into ``AtlasTactic`` / ``AtlasTechnique``: the data migration
loads the bundled file and ``manage.py load_atlas [FILE]`` loads a newer one. Loading is an
upsert by ATLAS ID: names and tactics follow the release; an entry the release no longer has
is kept (incidents and risks may name it) and marked not ``current``, so forms stop offering it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "atlas.json"
TACTIC_ID = re.compile(r"^AML\.TA\d{4}$")
TECHNIQUE_ID = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")


class CatalogueError(ValueError):
    """The file is not an ATLAS catalogue this loader understands."""


@dataclass(frozen=True)
class Loaded:
    version: str
    tactics: int
    techniques: int
    retired: int


def read_catalogue(path: Path | str = DATA_FILE) -> dict:
    """Read and check a catalogue file (the shape of ``incidents/data/atlas.json``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not str(data.get("version", "")).strip():
        raise CatalogueError("the catalogue names no ATLAS version")
    tactics = {t.get("id") for t in data.get("tactics", [])}
    if not tactics or not all(isinstance(t, str) and TACTIC_ID.match(t) for t in tactics):
        raise CatalogueError("tactic IDs look like AML.TA0004")
    ids = set()
    for entry in data.get("techniques", []):
        tid = entry.get("id")
        if not isinstance(tid, str) or not TECHNIQUE_ID.match(tid) or not entry.get("name"):
            raise CatalogueError(f"bad technique entry: {entry!r}")
        ids.add(tid)
        unknown = set(entry.get("tactics") or []) - tactics
        if unknown:
            raise CatalogueError(f"{tid} names unknown tactics {sorted(unknown)}")
    for entry in data["techniques"]:
        if entry.get("parent") and entry["parent"] not in ids:
            raise CatalogueError(f"{entry['id']} has an unknown parent {entry['parent']}")
    return data


def load_catalogue(data: dict, *, tactic_model, technique_model) -> Loaded:
    """Upsert one release. The models are passed in so the data migration can use its
    historical ones; simple-history records every change (the release is audited data)."""
    version = str(data["version"]).strip()
    tactics = {}
    for position, entry in enumerate(data["tactics"]):
        tactic, _ = tactic_model.objects.update_or_create(
            atlas_id=entry["id"],
            defaults={
                "name": entry["name"],
                "position": position,
                "atlas_version": version,
                "current": True,
            },
        )
        tactics[entry["id"]] = tactic
    techniques = {}
    for entry in data["techniques"]:  # parents come before their sub-techniques in the file
        technique, _ = technique_model.objects.update_or_create(
            atlas_id=entry["id"],
            defaults={
                "name": entry["name"],
                "parent": techniques.get(entry.get("parent")) if entry.get("parent") else None,
                "atlas_version": version,
                "current": True,
            },
        )
        techniques[entry["id"]] = technique
    for entry in data["techniques"]:
        # A sub-technique belongs to its parent's tactics (the published matrix lists them there).
        names = entry.get("tactics") or next(
            (p.get("tactics") for p in data["techniques"] if p["id"] == entry.get("parent")), []
        )
        techniques[entry["id"]].tactics.set([tactics[t] for t in names])
    retired = 0
    for model, kept in ((tactic_model, tactics), (technique_model, techniques)):
        for row in model.objects.filter(current=True).exclude(atlas_id__in=list(kept)):
            row.current = False
            row.save(update_fields=["current", "updated_at"])
            retired += 1
    return Loaded(
        version=version, tactics=len(tactics), techniques=len(techniques), retired=retired
    )


def catalogue_version() -> str:
    """The ATLAS release the register's catalogue comes from ("" before any is loaded)."""
    from .models import AtlasTechnique

    return (
        AtlasTechnique.objects.filter(current=True)
        .order_by("-updated_at")
        .values_list("atlas_version", flat=True)
        .first()
        or ""
    )


def techniques_for_choice():
    """Current techniques with their tactics, for the grouped select of forms."""
    from .models import AtlasTechnique

    return (
        AtlasTechnique.objects.filter(current=True)
        .select_related("parent")
        .prefetch_related("tactics")
        .order_by("atlas_id")
    )


def grouped_choices(techniques) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(tactic label, [("AML.T0051", "AML.T0051 LLM Prompt Injection"), …]), …]`` in matrix order. A
    technique under several tactics is offered under each; choosing it once is enough."""
    groups: dict = {}
    for technique in techniques:
        for tactic in technique.tactics.all():
            groups.setdefault((tactic.position, tactic.atlas_id, tactic.name), []).append(
                (technique.atlas_id, technique.label)
            )
    return [(f"{tid} {name}", items) for (_, tid, name), items in sorted(groups.items())]
