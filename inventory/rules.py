"""Pure rules of the inventory: no database, tested with plain values."""

import re
from dataclasses import dataclass

WANDB_PREFIX = "wandb-artifact://"
WANDB_APP = "https://wandb.ai"
# W&B names entities, projects and artifacts with letters, digits, dashes, underscores and dots;
# a version is ``v<N>`` or an alias such as ``latest`` or ``production``.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
WANDB_REFERENCE = re.compile(
    rf"^(?P<entity>{_NAME})/(?P<project>{_NAME})/(?P<name>{_NAME}):(?P<version>{_NAME})$"
)
# The digest W&B gives an artifact version: 32 hexadecimal characters (an MD5 of its manifest).
WANDB_DIGEST = re.compile(r"^[0-9a-f]{32}$")
WANDB_REFERENCE_HELP = "entity/project/artifact-name:version, e.g. acme/credit/scorer:v3"


@dataclass(frozen=True)
class WandbArtifact:
    entity: str
    project: str
    name: str
    version: str

    def __str__(self):
        return f"{self.entity}/{self.project}/{self.name}:{self.version}"

    def url(self, artifact_type: str = "model") -> str:
        """The artifact version's page on wandb.ai."""
        return (
            f"{WANDB_APP}/{self.entity}/{self.project}/artifacts/{artifact_type}/"
            f"{self.name}/{self.version}"
        )


def parse_wandb_reference(text: str) -> WandbArtifact | None:
    """``entity/project/name:version``, optionally ``wandb-artifact://``-prefixed; None when the
    text is not such a reference."""
    text = (text or "").strip()
    if text.startswith(WANDB_PREFIX):
        text = text[len(WANDB_PREFIX) :].lstrip("/")
    match = WANDB_REFERENCE.match(text)
    if not match:
        return None
    return WandbArtifact(**match.groupdict())


def is_wandb_digest(text: str) -> bool:
    return bool(WANDB_DIGEST.match((text or "").strip()))


def mlflow_change_reference(model_name: str, version: str) -> str:
    """How a change-log entry names an MLflow model version (MLflow's own URI scheme)."""
    return f"mlflow:models:/{model_name}/{version}"


def registry_version_order(version: str) -> tuple:
    """Sort key for registry version numbers: MLflow numbers versions 1, 2, 3 …"""
    return (0, int(version)) if str(version).isdigit() else (1, str(version))
