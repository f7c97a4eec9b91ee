"""A real MLflow tracking server for the registry tests, started from ``.venv-mlflow``.

``scripts/ensure-test-tools.sh`` creates that virtualenv (MLflow is not a dependency of the
register, which talks to it over HTTP). One server per test module: SQLite backend store and a
temporary artifact root, polled until it answers (bounded), killed with its workers at the end.
The tests register models and versions through its REST API, as a pipeline would.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MLFLOW = ROOT / ".venv-mlflow" / "bin" / "mlflow"
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MlflowServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        if not MLFLOW.exists():
            pytest.fail(
                f"{MLFLOW} is missing: run scripts/ensure-test-tools.sh to create .venv-mlflow."
            )
        (self.workdir / "artifacts").mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        self.process = subprocess.Popen(  # noqa: S603 - our own virtualenv's binary
            [
                str(MLFLOW),
                "server",
                "--backend-store-uri",
                f"sqlite:///{self.workdir / 'mlflow.db'}",
                "--default-artifact-root",
                str(self.workdir / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
            ],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"mlflow server exited: {(self.workdir / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"mlflow server did not answer within {START_TIMEOUT_S} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    # The REST calls a training pipeline makes.

    def call(self, method: str, endpoint: str, body: dict) -> dict:
        request = urllib.request.Request(  # noqa: S310 - the test's own server
            f"{self.url}/api/2.0/mlflow/{endpoint}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read() or b"{}")

    def create_model(self, name: str) -> None:
        self.call("POST", "registered-models/create", {"name": name})

    def create_version(self, name: str, *, run_id: str, source: str, description="", tags=None):
        body = {"name": name, "source": source, "run_id": run_id, "description": description}
        body["tags"] = [{"key": k, "value": v} for k, v in (tags or {}).items()]
        return self.call("POST", "model-versions/create", body)["model_version"]

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.call(
            "POST", "registered-models/alias", {"name": name, "alias": alias, "version": version}
        )

    def alias(self, name: str, alias: str) -> str:
        url = f"{self.url}/api/2.0/mlflow/registered-models/alias?name={name}&alias={alias}"
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read())["model_version"]["version"]

    def delete_version(self, name: str, version: str) -> None:
        self.call("DELETE", "model-versions/delete", {"name": name, "version": version})


def dead_url() -> str:
    """A URL where nothing listens: a registry that is down."""
    return f"http://127.0.0.1:{free_port()}"
