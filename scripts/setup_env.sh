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
pip_install() {
    # some machines list local package indexes that are absent: drop pip's per-package noise about them
    "${PIP[@]}" install "$@" 2> >(grep -v "^WARNING: Location .* is ignored" >&2)
}

# Reinstall only when the declared dependencies changed (a stamp of their hash).
stamp() { { cat "$ROOT/pyproject.toml" "$ROOT"/plugins/*/pyproject.toml 2>/dev/null; echo "test=$1"; } | sha256sum | cut -c1-16; }
TEST_STAMP="$VENV/.nst-installed-$(stamp 1)"
STAMP="$VENV/.nst-installed-$(stamp $WITH_TEST)"
# The editable install leaves our modules uncompiled; with PYTHONDONTWRITEBYTECODE set (as on
# our machines) every `nst` run would compile them again (about 0.1 s of each start). compileall
# writes the bytecode a regular pip install writes, and skips files that are up to date.
precompile() { "$VENV/bin/python" -m compileall -q -j 0 "$ROOT/nst_pipeline" "$ROOT/plugins" >/dev/null || true; }
# a test install is a superset of the demo install
if [[ -f "$STAMP" || -f "$TEST_STAMP" ]]; then
    precompile
    exit 0
fi

if ! "$VENV/bin/python" -c "import torch, torchvision" 2>/dev/null; then
    # this exact pair imports together (PyPI's torchvision needs its matching torch)
    echo "installing torch 2.14.1 + torchvision 0.29.1 (large; once)" >&2
    pip_install "torch==2.14.1" "torchvision==0.29.1"
fi
echo "installing nst_pipeline" >&2
if [[ $WITH_TEST == 1 ]]; then
    pip_install -e "$ROOT[test,ray]"
    for plugin in "$ROOT"/plugins/*/; do
        if [[ -f "$plugin/pyproject.toml" ]]; then pip_install -e "$plugin"; fi
    done
else
    pip_install -e "$ROOT"
fi
rm -f "$VENV"/.nst-installed-*
touch "$STAMP"
precompile
