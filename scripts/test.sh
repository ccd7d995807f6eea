#!/usr/bin/env bash
# One command from a fresh clone: set up the environment (with test extras and the
# example plugins), then run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup_env.sh" --test
cd "$ROOT"
exec "${NST_VENV:-$ROOT/.venv}/bin/python" -m pytest "$@"
