"""Weights & Biases: a model version recorded from a W&B artifact manifest.

A pipeline exports the artifact's manifest (``wandb_manifest.json``, as the W&B SDK writes it:
``version`` 1, ``storagePolicy``, ``storagePolicyConfig`` and ``contents`` — one entry per file
with its ``digest`` (base64 MD5) and ``size``) and sends it with the artifact's reference. The
version's digest is the manifest's: the MD5 of ``wandb-artifact-manifest-v1\\n`` followed by
``<path>:<digest>\\n`` for each file in path order, the digest W&B shows for the artifact. The
import is idempotent: the same reference updates the version it recorded before.
"""

import hashlib
import json

from django.utils.translation import gettext as _

from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save

from .. import permissions
from ..models import AISystem, ModelVersion
from ..rules import WANDB_PREFIX, WANDB_REFERENCE_HELP, is_wandb_digest, parse_wandb_reference

MANIFEST_MAX_BYTES = 5 * 1024 * 1024
MANIFEST_VERSION = 1


def manifest_read(raw) -> dict:
    """The manifest from bytes, text or an already-parsed object; a clear error otherwise."""
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MANIFEST_MAX_BYTES:
            raise ValidationFailed(
                _("The manifest is larger than 5 MB."), fields={"manifest": ["too large"]}
            )
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ValidationFailed(
                _("The manifest is not valid JSON: %(error)s.") % {"error": exc},
                fields={"manifest": ["not JSON"]},
            ) from exc
    if not isinstance(raw, dict):
        raise ValidationFailed(
            _("The manifest must be a JSON object, as wandb_manifest.json is."),
            fields={"manifest": ["not an object"]},
        )
    if raw.get("version") != MANIFEST_VERSION:
        raise ValidationFailed(
            _("Only W&B artifact manifests of version 1 are read; this one says %(v)r.")
            % {"v": raw.get("version")},
            fields={"manifest": ["unsupported version"]},
        )
    contents = raw.get("contents")
    if not isinstance(contents, dict) or not contents:
        raise ValidationFailed(
            _("The manifest lists no files: its 'contents' must map each path to its digest."),
            fields={"manifest": ["no contents"]},
        )
    for path, entry in contents.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            raise ValidationFailed(
                _("The manifest's entry %(path)s has no digest.") % {"path": path},
                fields={"manifest": ["entry without digest"]},
            )
        size = entry.get("size")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise ValidationFailed(
                _("The manifest's entry %(path)s has an invalid size.") % {"path": path},
                fields={"manifest": ["invalid size"]},
            )
    return raw


def manifest_digest(manifest: dict) -> str:
    """The artifact digest W&B computes from a version-1 manifest."""
    hasher = hashlib.md5(usedforsecurity=False)
    hasher.update(b"wandb-artifact-manifest-v1\n")
    for path in sorted(manifest["contents"]):
        hasher.update(f"{path}:{manifest['contents'][path]['digest']}\n".encode())
    return hasher.hexdigest()


@audited_write
def wandb_manifest_import(
    *, actor, system: AISystem, reference: str, manifest, digest: str = ""
) -> tuple[ModelVersion, bool]:
    """Record (or update) the model version the manifest describes. Returns (version, created)."""
    require(permissions.can_import_wandb_manifest(actor, system))
    artifact = parse_wandb_reference(reference)
    if artifact is None:
        raise ValidationFailed(
            _("Not a W&B artifact reference. Write it as %(format)s.")
            % {"format": WANDB_REFERENCE_HELP},
            fields={"reference": ["invalid"]},
        )
    manifest = manifest_read(manifest)
    computed = manifest_digest(manifest)
    digest = (digest or "").strip()
    if digest and (not is_wandb_digest(digest) or digest != computed):
        raise ValidationFailed(
            _(
                "The digest %(given)s does not match the manifest, whose digest is %(computed)s. "
                "Send the manifest of that artifact version, or leave the digest out."
            )
            % {"given": digest, "computed": computed},
            fields={"digest": ["does not match the manifest"]},
        )
    contents = manifest["contents"]
    fields = {
        "artifact_reference": f"{WANDB_PREFIX}{artifact}",
        "artifact_digest": computed,
        "tags": {
            "wandb.storage_policy": str(manifest.get("storagePolicy", "")),
            "wandb.files": len(contents),
            "wandb.bytes": sum(e.get("size") or 0 for e in contents.values()),
        },
    }
    version = (
        ModelVersion.objects.select_for_update(no_key=True)
        .filter(system=system, wandb_artifact=str(artifact))
        .first()
    )
    created = version is None
    if created:
        version = ModelVersion(
            system=system,
            version_label=f"{artifact.name}:{artifact.version}",
            wandb_artifact=str(artifact),
        )
    elif all(getattr(version, k) == v for k, v in fields.items()):
        return version, False
    for name, value in fields.items():
        setattr(version, name, value)
    return model_save(version, actor=actor), created
