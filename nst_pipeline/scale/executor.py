"""The Ray side: a cluster to run on, and actors that stylize whole segments.

Each actor builds the method once (backbone, style targets) and keeps it for every
segment it is given; a segment is stylized with the same in-order loop as a plain
run (:func:`nst_pipeline.pipeline.stylize_frames`). Frames travel as arrays through
Ray's object store, and so do the style images and other files the options name, so
the nodes of a cluster need no shared disk. A worker process that dies is restarted
by Ray and its segment retried (``max_restarts`` / ``max_task_retries``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, NSTWarning

#: times Ray restarts a dead worker and retries the segment it was running
RETRIES = 3


@dataclass(frozen=True)
class Cluster:
    actors: int          # segment workers to start
    threads: int         # torch threads per worker
    gpus: float          # GPUs per worker: 1, or a share when there are fewer GPUs than workers
    owned: bool          # started here (and stopped here)


def import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--workers > 1 and --ray-address need Ray: pip install 'nst_pipeline[ray]'") from None
    return ray


@contextlib.contextmanager
def cluster(workers: int, address: str | None = None) -> Iterator[Cluster]:
    """Start a local cluster of ``workers`` CPUs, or join ``address`` ("auto" or host:port).

    A cluster already running in this process (``ray.init`` by the caller) is reused and
    left running; one started here is shut down on the way out, Ctrl-C included.
    """
    ray = import_ray()
    owned = not ray.is_initialized()
    if owned:
        quiet = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=workers, num_gpus=_local_gpus(), **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
            raise ConfigError(f"cannot start or join {where}: {str(exc).splitlines()[0]}") from None
    try:
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
        # locally the CPUs are the machine's cores split fairly; a joined cluster's are its own
        cores = (os.cpu_count() or 1) if not address else cpus
        yield Cluster(workers, max(1, cores // workers), min(1.0, gpus / workers), owned)
    finally:
        if owned:
            ray.shutdown()


def _local_gpus() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0


def start_workers(info: Cluster, config, clip, registry_factory: Callable | None = None, steps=None,
                  step_images: int = 0):
    """An ``ActorPool`` of ``info.actors`` segment workers built from ``config`` and ``clip``;
    they put their step reports on the Ray queue ``steps`` (None: nobody listens)."""
    ray = import_ray()
    from ray.util import ActorPool

    files = pack_files(config, clip)
    options = dict(num_cpus=1 if info.owned else info.threads, num_gpus=info.gpus,
                   max_restarts=RETRIES, max_task_retries=RETRIES)
    remote = ray.remote(**options)(SegmentWorker)
    setup = _Setup(files, registry_factory, info.threads, steps, step_images)
    return ActorPool([remote.remote(config, clip, setup) for _ in range(info.actors)])


def submit(pool, segment, frames, reference) -> None:
    pool.submit(lambda actor, job: actor.run.remote(*job), (segment, frames, reference))


@dataclass(frozen=True)
class _Setup:
    """What every worker gets besides the options."""

    files: dict                       # the bytes of the files the options name (see pack_files)
    registry_factory: Callable | None
    threads: int                      # torch and OpenCV threads
    steps: object = None              # the Ray queue for step reports, or None
    step_images: int = 0              # every N-th step report carries the image (--save-every)


class SegmentWorker:
    """One Ray actor: the method, built once, and the loop over a segment's frames."""

    def __init__(self, config, clip, setup: _Setup) -> None:
        import ray
        import torch

        from ..methods.build import build_method
        from ..registry import get_registry

        torch.set_num_threads(setup.threads)
        with contextlib.suppress(ImportError):
            import cv2

            cv2.setNumThreads(setup.threads)
        self._files = tempfile.TemporaryDirectory(prefix="nst-worker-")
        config, self.clip = unpack_files(config, clip, setup.files, Path(self._files.name))
        registry = setup.registry_factory() if setup.registry_factory is not None else get_registry()
        with warnings.catch_warnings():   # the driver built the same method first and said its warnings
            warnings.simplefilter("ignore", NSTWarning)
            self.method = build_method(config, registry, video=True)
        self.steps, self.step_images = setup.steps, setup.step_images
        self.worker = ray.get_runtime_context().get_actor_id()[:8]

    def run(self, segment, frames: list, reference=None) -> tuple[int, list, list]:
        """Stylize the segment's frames in order: (segment index, 8-bit frames, reports).
        ``reference``: the first frame of the segment's shot (None: the segment's first)."""
        from ..pipeline import stylize_frames
        from .steps import portable

        on_step = None
        if self.steps is not None:
            def on_step(report) -> None:
                self.steps.put((segment.index, portable(report, self.step_images)))

        results, reports = [], []
        for result, report in stylize_frames(self.method, frames, self.clip, first_index=segment.start,
                                             reference=reference, on_step=on_step):
            results.append(result)
            reports.append((report, self.worker))
        return segment.index, results, reports


def pack_files(config, clip) -> dict:
    """The bytes of every local file the options name (styles, start image, weights, ONNX model)."""
    named = {f"styles.{i}": p for i, p in enumerate(config.styles)}
    named.update(weights=config.weights, onnx_model=config.onnx_model)
    if clip.first_init not in ("content", "noise"):
        named["first_init"] = clip.first_init
    packed = {}
    for key, path in named.items():
        if path is not None and Path(path).is_file():   # a folder of weights must exist on each node
            packed[key] = (Path(path).name, Path(path).read_bytes())
    return packed


def unpack_files(config, clip, packed: dict, folder: Path):
    """``config`` and ``clip`` naming this worker's copies of the packed files."""
    local = {}
    for key, (name, data) in packed.items():
        path = folder / key / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        local[key] = path
    styles = tuple(local.get(f"styles.{i}", p) for i, p in enumerate(config.styles))
    config = config.model_copy(update={"styles": styles, "weights": local.get("weights", config.weights),
                                       "onnx_model": local.get("onnx_model", config.onnx_model)})
    if "first_init" in local:
        clip = clip.model_copy(update={"first_init": str(local["first_init"])})
    return config, clip
