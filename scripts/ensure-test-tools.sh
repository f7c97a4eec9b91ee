#!/usr/bin/env bash
# Install the system tools the test suite needs, when missing:
#   - Debian's chromium (/usr/bin/chromium) for the Playwright browser tests
#   - poppler-utils (pdftotext) for reading generated PDFs back
# Never runs `playwright install`: browser downloads cannot work on this machine.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        echo "ensure-test-tools: need root to run: $*" >&2
        exit 1
    fi
}

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
command -v pdftotext >/dev/null 2>&1 || packages+=(poppler-utils)

if [ "${#packages[@]}" -gt 0 ]; then
    echo "test tools: installing ${packages[*]} (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${packages[@]}"
fi
echo "test tools: ready (chromium, pdftotext)"

# A real MLflow tracking server for the model-registry tests, in its own virtualenv: MLflow is
# not a dependency of the register (it talks to MLflow over HTTP).
MLFLOW_VERSION=3.17.2
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$here/.venv-mlflow/bin/mlflow" ]; then
    echo "test tools: installing mlflow==$MLFLOW_VERSION into .venv-mlflow"
    python3 -m venv "$here/.venv-mlflow"
    "$here/.venv-mlflow/bin/pip" install -q "mlflow==$MLFLOW_VERSION"
fi
echo "test tools: ready (mlflow $MLFLOW_VERSION in .venv-mlflow)"
