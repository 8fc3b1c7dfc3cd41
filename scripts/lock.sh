#!/usr/bin/env bash
# Regenerate the hashed dependency locks from pyproject.toml:
#   requirements-dev.lock  (the project with its dev extra: what scripts/test.sh installs)
#   requirements.lock      (the project alone, the same versions: scripts/demo.sh, deployments)
# Pins already in the lock files are kept unless pyproject.toml no longer allows them;
# extra arguments go to `uv pip compile` (e.g. --upgrade, --upgrade-package httpx).
# The compiler is uv, installed from PyPI at the version below into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
UV=.venv/bin/uv
if [[ ! -x $UV ]] || [[ "$("$UV" --version)" != "uv $UV_VERSION"* ]]; then
  [[ -x .venv/bin/python ]] || bash scripts/setup.sh --unlocked
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi

# One resolution for every platform and every Python the project supports (3.11+), so
# the same lock installs on a laptop, in CI and in a container; hashes of every file.
common=(--generate-hashes --universal --python-version 3.11 --no-progress --quiet
        --custom-compile-command "bash scripts/lock.sh")
"$UV" pip compile pyproject.toml --extra dev "${common[@]}" "$@" -o requirements-dev.lock
# The runtime lock takes its versions from the dev lock, so both install the same ones.
"$UV" pip compile pyproject.toml -c requirements-dev.lock "${common[@]}" -o requirements.lock
echo "lock.sh: wrote requirements-dev.lock and requirements.lock"
