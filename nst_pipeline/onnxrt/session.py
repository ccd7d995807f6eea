"""How an onnxruntime session is set up, for both of its users: the execution providers for a
``--device``, the session options, the thread count.

No torch here (and onnxruntime only inside the functions): the fast method runs without torch,
and the torch-side encoder (:mod:`.runtime`) passes in what torch knows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import ConfigError

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def thread_count() -> int:
    """Cores this process may use: onnxruntime's default counts the machine's, not the cgroup's
    or affinity mask's, and oversubscribes a shared box."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def has_cuda_driver() -> bool:
    """Whether a CUDA driver is installed: onnxruntime-gpu lists its CUDA provider on any machine
    and, without a GPU, prints two error paragraphs before falling back to the CPU."""
    import ctypes

    for name in ("libcuda.so.1", "nvcuda.dll"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def providers_for(device: str, available: Sequence[str], fallback: bool = False) -> list:
    """onnxruntime providers for a device name (auto, cpu, cuda, cuda:N).

    ``auto`` takes CUDA when this onnxruntime has it and a driver is installed. A named GPU
    that this onnxruntime cannot serve is an error, or the CPU with ``fallback`` (targets
    beside a torch optimization: slower there, not wrong).
    """
    if device == "cpu":
        return [CPU]
    if device == "auto":
        return [CUDA, CPU] if CUDA in available and has_cuda_driver() else [CPU]
    if CUDA not in available:
        if fallback:
            return [CPU]
        raise ConfigError(f"--device {device}: this onnxruntime has no CUDA provider "
                          f"(it has {', '.join(available)}); use --device cpu")
    return [(CUDA, {"device_id": int(device.partition(":")[2] or 0)}), CPU]


def session_options(threads: int, spinning: bool = True, level=None):
    """Options for a chain of convolutions on ``threads`` cores (``level``: the graph optimization
    level, default all). ``spinning`` (onnxruntime's default) keeps idle workers busy-waiting:
    right alone, wrong beside torch, whose threads need those cores."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1  # one chain of layers: nothing to run side by side
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL if level is None else level
    options.log_severity_level = 3  # errors only: the core never prints
    return options
