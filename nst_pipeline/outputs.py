"""Checks on everything a command will write besides its main output, made before any work.

A job that fails after an hour because its log folder is missing has wasted the hour; a
job that writes its frames between another clip's, or that deletes a folder of the user's
files as its "work folder" when it ends, has spoiled something. Each check raises an
:class:`~nst_pipeline.errors.OutputError` naming the option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from .errors import OutputError

#: the files a frame-folder sink writes (sinks/folder.py) and its atomic-write temp files
FRAME_FILE = re.compile(r"\.?frame_\d{6}(\..*)?\.png")
#: the file that marks a folder as an nst work folder (video/workdir.py writes it; defined
#: here, the light module, so that checking an output imports no numpy or Pillow)
MANIFEST = "manifest.json"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _existing_ancestor(path: Path) -> Path:
    parent = path.parent if str(path.parent) else Path(".")
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def check_file_target(path: str | os.PathLike, option: str, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """A file an option names for writing (``--log-json``): its folder exists and is
    writable, and it is neither a folder nor one of the inputs."""
    out = Path(path)
    for src in inputs:
        if src is not None and str(src) != "-" and _same_file(Path(src), out):
            raise OutputError(f"{option} {out} is the input {src}; refusing to overwrite an input")
    if out.is_dir():
        raise OutputError(f"cannot write {option} {out}: it is a folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {option} {out}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise OutputError(f"cannot write {option} {out}: permission denied")
    return out


def check_work_folder(path: str | os.PathLike, option: str = "--work-dir") -> Path:
    """A work folder is new, empty, or one nst made (it has a manifest): it is deleted when
    the job ends, so it must never be a folder holding the user's own files."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option} {folder} exists and is not a folder")
    if folder.is_dir():
        if not (folder / MANIFEST).is_file() and any(folder.iterdir()):
            raise OutputError(f"{option} {folder} already holds files and is not an nst work folder (no {MANIFEST}); "
                              "it is deleted when the job ends, so give a new or empty folder")
        base = folder
    else:
        base = _existing_ancestor(folder)
    if not base.is_dir():
        raise OutputError(f"cannot create {option} {folder}: {base} is not a folder")
    if not os.access(base, os.W_OK):
        raise OutputError(f"cannot create {option} {folder}: {base} is not writable")
    return folder


def check_frame_folder(folder: str | os.PathLike, resume: bool) -> None:
    """``-o FOLDER/`` must end up holding one clip: refuse a folder with files this job did
    not write (any file at all for a new job; anything but frames when resuming one)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    foreign = sorted(p.name for p in folder.iterdir() if not (resume and FRAME_FILE.fullmatch(p.name)))
    if not foreign:
        return
    shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    frames = any(FRAME_FILE.fullmatch(n) for n in foreign)
    hint = "; to continue the stopped job that wrote them, rerun it with --resume" if frames and not resume else ""
    raise OutputError(f"output folder {folder} already holds {len(foreign)} file{'s' if len(foreign) > 1 else ''} "
                      f"this job did not write ({shown}): the frames of two clips would mix. "
                      f"Give a new or empty folder{hint}")


def work_folder_for(output: str) -> Path | None:
    """The default work folder, ``OUTPUT.nst-work`` beside the output; None for stdout
    (a throw-away temp folder: nothing to resume into)."""
    if output == "-":
        return None
    out = _named(Path(output))
    return out.with_name(out.name + ".nst-work")


def snapshot_folder_for(output: str, work_dir: Path | None) -> Path:
    """Where ``nst video --save-every`` keeps its snapshots: ``OUTPUT-snapshots`` beside the
    output. Never inside the output folder (it must hold only frames, or --resume refuses it)
    nor the work folder (deleted on success). For stdout: ``WORK-snapshots`` beside a given
    --work-dir, else ``stdout-snapshots`` in the current folder."""
    if output != "-":
        out = _named(Path(output))
        return out.with_name(out.name + "-snapshots")
    if work_dir is not None:
        work = _named(Path(work_dir))
        return work.with_name(work.name + "-snapshots")
    return Path(STDOUT_SNAPSHOTS)


#: the snapshot folder of ``-o -`` without --work-dir (there is no output path to sit beside)
STDOUT_SNAPSHOTS = "stdout-snapshots"


def _named(path: Path) -> Path:
    return path if path.name else path.resolve()  # "." or "./" has no name to add to


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def check_snapshot_folder(folder: Path, *, inputs: Iterable[str | os.PathLike], resume: bool,
                          avoid: Iterable[tuple[str, Path | None]] = ()) -> Path:
    """The snapshot folder of a video job, before any work: a folder (or creatable), not an
    input, outside the folders in ``avoid`` (what, path), writable, and empty unless the job
    resumes (the snapshots of two jobs would mix)."""
    label = f"--save-every: snapshot folder {folder}"
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{label} exists and is not a folder")
    for src in inputs:
        if src is not None and str(src) != "-" and _inside(Path(src), folder) and Path(src).exists():
            raise OutputError(f"{label} holds the input {src}; refusing to write snapshots among inputs")
    for what, other in avoid:
        if other is not None and _inside(folder, Path(other)):
            raise OutputError(f"{label} is inside the {what} {other}; give another -o or --work-dir")
    if folder.is_dir() and not resume and any(folder.iterdir()):
        raise OutputError(f"{label} already holds files of an earlier job; move or delete it first "
                          "(or rerun the stopped job that wrote them with --resume)")
    base = folder if folder.is_dir() else _existing_ancestor(folder)
    if not base.is_dir():
        raise OutputError(f"cannot create {label}: {base} is not a folder")
    if not os.access(base, os.W_OK):
        raise OutputError(f"cannot create {label}: {base} is not writable")
    return folder
