"""Weights & Biases: artifact references on model versions, and the manifest importer (service,
``manage.py import_wandb_manifest`` and the API upload), in the format the W&B SDK writes."""

import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from aims.core.exceptions import PermissionRefused, ValidationFailed
from inventory import services
from inventory.models import ModelVersion
from inventory.rules import parse_wandb_reference
from inventory.services.wandb import manifest_digest, wandb_manifest_import

pytestmark = pytest.mark.django_db

# A version-1 manifest as ``wandb_manifest.json`` holds it: per-file base64 MD5 and size.
MANIFEST = {
    "version": 1,
    "storagePolicy": "wandb-storage-policy-v1",
    "storagePolicyConfig": {"storageLayout": "V2"},
    "contents": {
        "model.pkl": {"digest": "tBBnmKyPY7pXyP2XjLl/zQ==", "size": 104857},
        "config.yaml": {"digest": "1B2M2Y8AsgTpgAmY7PhCfg==", "size": 0},
    },
}
REFERENCE = "acme/credit-scoring/scorer:v3"


def expected_digest(manifest) -> str:
    """The artifact digest W&B documents: MD5 over a header and each 'path:digest' line."""
    lines = "".join(
        f"{p}:{manifest['contents'][p]['digest']}\n" for p in sorted(manifest["contents"])
    )
    return hashlib.md5(f"wandb-artifact-manifest-v1\n{lines}".encode()).hexdigest()  # noqa: S324


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("acme/credit/scorer:v3", "acme/credit/scorer:v3"),
        ("wandb-artifact://acme/credit/scorer:latest", "acme/credit/scorer:latest"),
        (
            "wandb-artifact:///acme/credit-scoring/scorer_2.pt:v12",
            "acme/credit-scoring/scorer_2.pt:v12",
        ),
        ("acme/credit/scorer", None),  # no version
        ("credit/scorer:v3", None),  # no entity
        ("s3://bucket/model.pkl", None),
        ("acme/cr edit/scorer:v3", None),
    ],
)
def test_reference_parsing(text, parsed):
    found = parse_wandb_reference(text)
    assert (str(found) if found else None) == parsed


def test_a_model_version_takes_a_reference_and_links_out(users, make_system):
    version = services.model_version_create(
        actor=users["engineer"],
        system=make_system(),
        data={
            "version_label": "v3",
            "wandb_artifact": "wandb-artifact://acme/credit/scorer:v3",
            "artifact_digest": "0" * 32,
        },
    )
    assert version.wandb_artifact == "acme/credit/scorer:v3"  # stored without the prefix
    assert version.wandb_url == "https://wandb.ai/acme/credit/artifacts/model/scorer/v3"


def test_a_bad_reference_or_digest_says_how_to_write_it(users, make_system):
    system = make_system()
    with pytest.raises(ValidationFailed) as bad_ref:
        services.model_version_create(
            actor=users["grc"],
            system=system,
            data={"version_label": "v1", "wandb_artifact": "scorer:v3"},
        )
    assert "entity/project/artifact-name:version" in bad_ref.value.fields["wandb_artifact"][0]
    with pytest.raises(ValidationFailed) as bad_digest:
        services.model_version_create(
            actor=users["grc"],
            system=system,
            data={
                "version_label": "v1",
                "wandb_artifact": REFERENCE,
                "artifact_digest": "sha256:abc",
            },
        )
    assert "32 hexadecimal" in bad_digest.value.fields["artifact_digest"][0]
    assert not ModelVersion.objects.exists()


def test_the_importer_records_the_version_once(users, make_system):
    system = make_system()
    version, created = wandb_manifest_import(
        actor=users["engineer"], system=system, reference=REFERENCE, manifest=json.dumps(MANIFEST)
    )
    assert created
    assert manifest_digest(MANIFEST) == expected_digest(MANIFEST)
    assert (version.version_label, version.wandb_artifact, version.artifact_digest) == (
        "scorer:v3",
        REFERENCE,
        expected_digest(MANIFEST),
    )
    assert version.artifact_reference == f"wandb-artifact://{REFERENCE}"
    assert version.tags == {
        "wandb.storage_policy": "wandb-storage-policy-v1",
        "wandb.files": 2,
        "wandb.bytes": 104857,
    }
    again, created_again = wandb_manifest_import(
        actor=users["engineer"],
        system=system,
        reference=f"wandb-artifact://{REFERENCE}",
        manifest=MANIFEST,
        digest=expected_digest(MANIFEST),
    )
    assert (again.pk, created_again) == (version.pk, False)
    assert ModelVersion.objects.filter(system=system).count() == 1
    assert version.history.count() == 1  # nothing changed, nothing written


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({**MANIFEST, "version": 2}), "version 1"),
        (json.dumps({**MANIFEST, "contents": {}}), "lists no files"),
        (json.dumps({"version": 1, "storagePolicy": "x"}), "lists no files"),
        (json.dumps({**MANIFEST, "contents": {"a": {"size": 1}}}), "has no digest"),
    ],
)
def test_bad_manifests_are_refused_with_the_reason(manifest, message, users, make_system):
    with pytest.raises(ValidationFailed) as refused:
        wandb_manifest_import(
            actor=users["grc"], system=make_system(), reference=REFERENCE, manifest=manifest
        )
    assert message in refused.value.message
    assert not ModelVersion.objects.exists()


def test_a_digest_that_does_not_match_is_refused(users, make_system):
    with pytest.raises(ValidationFailed) as refused:
        wandb_manifest_import(
            actor=users["grc"],
            system=make_system(),
            reference=REFERENCE,
            manifest=MANIFEST,
            digest="f" * 32,
        )
    assert expected_digest(MANIFEST) in refused.value.message


def test_only_owners_and_managers_import(users, make_system):
    with pytest.raises(PermissionRefused):
        wandb_manifest_import(
            actor=users["auditor"], system=make_system(), reference=REFERENCE, manifest=MANIFEST
        )


def test_the_command(users, make_system, tmp_path):
    system = make_system()
    path = tmp_path / "wandb_manifest.json"
    path.write_text(json.dumps(MANIFEST))
    out = io.StringIO()
    call_command(
        "import_wandb_manifest",
        system.reference,
        REFERENCE,
        str(path),
        "--as",
        "engineer",
        stdout=out,
    )
    assert out.getvalue().startswith("Recorded:")
    call_command(
        "import_wandb_manifest",
        system.reference,
        REFERENCE,
        str(path),
        "--as",
        "engineer",
        stdout=out,
    )
    assert "Already recorded" in out.getvalue()
    path.write_text("{broken")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_wandb_manifest", system.reference, REFERENCE, str(path), "--as", "grc")
    with pytest.raises(CommandError, match="No AI system"):
        call_command("import_wandb_manifest", "AIS-9999", REFERENCE, str(path), "--as", "grc")


def test_the_api_upload(users, make_system, api_client_for):
    system = make_system()
    url = f"/api/v1/systems/{system.pk}/wandb-manifest/"
    engineer = api_client_for(users["engineer"])
    first = engineer.post(url, {"artifact": REFERENCE, "manifest": MANIFEST}, format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["created"] is True
    assert body["model_version"]["wandb_url"].startswith("https://wandb.ai/acme/credit-scoring/")
    upload = SimpleUploadedFile("wandb_manifest.json", json.dumps(MANIFEST).encode())
    second = engineer.post(
        url, {"artifact": REFERENCE, "manifest_file": upload}, format="multipart"
    )
    assert second.status_code == 200 and second.json()["created"] is False

    bad = engineer.post(url, {"artifact": REFERENCE, "manifest": {"version": 1}}, format="json")
    assert bad.status_code == 400 and "lists no files" in bad.json()["message"]
    missing = engineer.post(url, {"artifact": REFERENCE}, format="json")
    assert missing.status_code == 400 and "manifest" in missing.json()["fields"]
    refused = api_client_for(users["auditor"]).post(
        url, {"artifact": REFERENCE, "manifest": MANIFEST}, format="json"
    )
    assert refused.status_code == 403
    assert "import W&B artifact manifests" in refused.json()["message"]
