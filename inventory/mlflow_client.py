"""A small client of MLflow's model-registry REST API (``/api/2.0/mlflow/...``).

The register talks to MLflow over HTTP only (no MLflow package in the application): every call
has a bounded time-out, and every failure is a typed error carrying MLflow's own ``error_code``
and ``message``. ``RegistryUnavailable`` (no answer, time-out, 5xx) is worth retrying;
``RegistryRefused`` (4xx: unknown model or version, bad credentials) is not.

Credentials come from the environment, as MLflow's own client reads them:
``MLFLOW_TRACKING_TOKEN`` (a bearer token) or ``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD`` (HTTP basic). They are never logged nor stored.
"""

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

API = "/api/2.0/mlflow"
PAGE_SIZE = 500
MAX_PAGES = 40  # 20,000 versions of one model: far beyond any real registry


class RegistryError(Exception):
    """The registry did not do what was asked. ``error_code`` is MLflow's, when it answered."""

    retryable = False

    def __init__(self, message: str, *, error_code: str = "", status: int | None = None):
        self.message = message
        self.error_code = error_code
        self.status = status
        super().__init__(message)

    def __str__(self):
        return f"{self.error_code}: {self.message}" if self.error_code else self.message


class RegistryUnavailable(RegistryError):
    """No answer in time, a refused connection or a server error: try again later."""

    retryable = True


class RegistryRefused(RegistryError):
    """The registry answered and refused (unknown model or version, not allowed, bad input)."""


@dataclass(frozen=True)
class RegistryVersion:
    """One model version as the registry describes it."""

    version: str
    run_id: str = ""
    source: str = ""
    description: str = ""
    status: str = ""
    tags: dict = field(default_factory=dict)
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data: dict) -> "RegistryVersion":
        stamp = data.get("creation_timestamp")
        return cls(
            version=str(data.get("version", "")),
            run_id=data.get("run_id") or "",
            source=data.get("source") or "",
            description=data.get("description") or "",
            status=data.get("status") or "",
            tags={t.get("key", ""): t.get("value", "") for t in data.get("tags") or []},
            created_at=datetime.fromtimestamp(int(stamp) / 1000, tz=UTC) if stamp else None,
        )


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    aliases: dict  # alias -> version
    versions: list


def timeout_seconds() -> float:
    return float(getattr(settings, "MLFLOW_TIMEOUT_SECONDS", 10))


def _auth_header() -> str | None:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return f"Bearer {token}"
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {pair}"
    return None


class MlflowClient:
    def __init__(self, tracking_uri: str, *, timeout: float | None = None):
        if urllib.parse.urlsplit(tracking_uri).scheme not in ("http", "https"):
            raise RegistryRefused(f"The tracking URI {tracking_uri} is not http(s).")
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout if timeout is not None else timeout_seconds()

    def _call(self, method: str, endpoint: str, *, params=None, body=None) -> dict:
        url = f"{self.base}{API}/{endpoint}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) only
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth := _auth_header():
            request.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._error_from(exc) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryUnavailable(
                f"MLflow at {self.base} did not answer within {self.timeout:g} s: {reason}"
            ) from exc
        try:
            return json.loads(raw or b"{}")
        except ValueError as exc:
            raise RegistryUnavailable(f"MLflow at {self.base} answered with no JSON.") from exc

    def _error_from(self, exc: urllib.error.HTTPError) -> RegistryError:
        try:
            payload = json.loads(exc.read() or b"{}")
        except ValueError:
            payload = {}
        code = payload.get("error_code", "") if isinstance(payload, dict) else ""
        message = (payload.get("message") if isinstance(payload, dict) else "") or exc.reason
        kind = RegistryUnavailable if exc.code >= 500 or exc.code == 429 else RegistryRefused
        return kind(f"MLflow answered {exc.code}: {message}", error_code=code, status=exc.code)

    # Reads

    def registered_model(self, name: str) -> RegisteredModel:
        """The model's aliases and every one of its versions (paged)."""
        model = self._call("GET", "registered-models/get", params={"name": name}).get(
            "registered_model", {}
        )
        aliases = {a["alias"]: str(a["version"]) for a in model.get("aliases") or []}
        versions, token = [], None
        for _page in range(MAX_PAGES):
            params = {"filter": f"name='{name}'", "max_results": PAGE_SIZE}
            if token:
                params["page_token"] = token
            answer = self._call("GET", "model-versions/search", params=params)
            versions += [RegistryVersion.from_json(v) for v in answer.get("model_versions") or []]
            token = answer.get("next_page_token")
            if not token:
                break
        return RegisteredModel(name=name, aliases=aliases, versions=versions)

    def version_by_alias(self, name: str, alias: str) -> str:
        answer = self._call("GET", "registered-models/alias", params={"name": name, "alias": alias})
        return str(answer.get("model_version", {}).get("version", ""))

    def model_version(self, name: str, version: str) -> RegistryVersion:
        answer = self._call(
            "GET", "model-versions/get", params={"name": name, "version": str(version)}
        )
        return RegistryVersion.from_json(answer.get("model_version", {}))

    # Writes

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call(
            "POST",
            "registered-models/alias",
            body={"name": name, "alias": alias, "version": str(version)},
        )
