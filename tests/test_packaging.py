"""What pyproject.toml pulls in: one OpenCV build, the headless one.

``opencv-python`` (GUI) and ``opencv-python-headless`` both write ``cv2/``; whichever pip
installs last wins, and uninstalling one breaks the other. ``scenedetect`` depends on the
GUI build, ``scenedetect-headless`` (the same package) on the headless one.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
GUI_OPENCV = {"opencv-python", "opencv-contrib-python"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def declared() -> list[str]:
    return [_name(r) for r in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]]


def test_no_gui_opencv_declared():
    deps = declared()
    assert "opencv-python-headless" in deps
    assert not GUI_OPENCV & set(deps)
    assert "scenedetect" not in deps, "scenedetect requires the GUI opencv-python; use scenedetect-headless"
    assert "scenedetect-headless" in deps


@pytest.mark.parametrize("dist", ["scenedetect-headless"])
def test_declared_dependency_does_not_pull_gui_opencv(dist):
    try:
        requires = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        pytest.skip(f"{dist} is not installed here")
    pulled = {_name(r) for r in requires if "extra ==" not in r}
    assert "opencv-python-headless" in pulled
    assert not GUI_OPENCV & pulled
