#!/usr/bin/env bash
# One command from a fresh clone: set up the environment, then stylize the bundled samples.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup_env.sh"
exec "${NST_VENV:-$ROOT/.venv}/bin/nst" demo "$@"
