#!/usr/bin/env bash
# Create or reuse the project's virtual environment and install what it needs.
# Usage: scripts/setup_env.sh [--test]   (--test also installs pytest and the example plugins)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${NST_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating virtual environment in $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# Reinstall only when the declared dependencies changed (a stamp of their hash).
stamp_src() { cat "$ROOT/pyproject.toml" "$ROOT"/plugins/*/pyproject.toml 2>/dev/null; echo "test=$WITH_TEST"; }
STAMP="$VENV/.nst-installed-$(stamp_src | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" ]]; then
    exit 0
fi

if ! "$VENV/bin/python" -c "import torch, torchvision" 2>/dev/null; then
    # this exact pair imports together (PyPI's torchvision needs its matching torch)
    echo "installing torch 2.14.1 + torchvision 0.29.1 (large; once)" >&2
    "${PIP[@]}" install "torch==2.14.1" "torchvision==0.29.1"
fi
echo "installing nst_pipeline" >&2
if [[ $WITH_TEST == 1 ]]; then
    "${PIP[@]}" install -e "$ROOT[test]"
    for plugin in "$ROOT"/plugins/*/; do
        [[ -f "$plugin/pyproject.toml" ]] && "${PIP[@]}" install -e "$plugin"
    done
else
    "${PIP[@]}" install -e "$ROOT"
fi
rm -f "$VENV"/.nst-installed-*
touch "$STAMP"
