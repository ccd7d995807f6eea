#!/usr/bin/env bash
# Install every example plugin under plugins/ (editable) into the current venv.
# Usage: scripts/install_plugins.sh [PIP]   (default: .venv/bin/pip if present, else pip)
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="${1:-}"
if [ -z "$PIP" ]; then
    if [ -x .venv/bin/pip ]; then PIP=.venv/bin/pip; else PIP=pip; fi
fi
for pkg in plugins/*/; do
    [ -f "$pkg/pyproject.toml" ] || continue
    echo "installing ${pkg%/}" >&2
    "$PIP" install --quiet --disable-pip-version-check -e "${pkg%/}"
done
