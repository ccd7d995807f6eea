"""Fast start: help, argument errors, plugin listing and completion never import the heavy stack.

Checked by module presence, not by timing (the test machine's load would make timings flaky);
scripts/bench_startup.py measures the seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "torchvision", "cv2", "onnxruntime", "av", "scenedetect", "ray")

PROBE = """
import json, sys
from nst_pipeline.cli.app import main
try:
    rc = main(json.loads(sys.argv[1]))
except SystemExit as exc:
    rc = exc.code
heavy = [m for m in json.loads(sys.argv[2]) if m in sys.modules]
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
"""


def heavy_after(args: list[str], **env) -> tuple[list[str], str]:
    full_env = {**os.environ, "NST_DISABLE_PLUGIN_AUTOLOAD": "1", "COLUMNS": "100", **env}
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
                          capture_output=True, text=True, env=full_env, timeout=120)
    line = [l for l in proc.stderr.splitlines() if l.startswith("HEAVY=")]
    assert line, proc.stderr
    return json.loads(line[-1][len("HEAVY="):]), proc.stdout + proc.stderr


@pytest.mark.parametrize("args", [
    ["--help"],
    ["image", "--help"],
    ["video", "--help"],
    ["plugins", "--help"],
    ["image"],                         # argument error
    ["image", "x.png", "-o", "o.png"],  # missing --style
    ["image", "missing.png", "-s", "x.jpg", "-o", "o.png"],  # missing content: said before torch loads
    ["video", "in.mp4", "-s", "x.jpg", "-o", "o.mp4"],       # missing style
    ["plugins", "list"],
    ["--show-completion", "bash"],
])
def test_no_heavy_import(args):
    heavy, output = heavy_after(args)
    assert heavy == [], output


def test_completion_of_backbone_names_is_light():
    heavy, output = heavy_after([], _NST_COMPLETE="complete_bash", COMP_WORDS="nst image --backbone vg",
                                COMP_CWORD="3")
    assert "vgg19" in output
    assert heavy == [], output


def test_show_completion_prints_a_bash_script():
    # With shellingham installed, typer's --show-completion is a flag that detects the shell from the
    # parent processes (which one a test runner has varies: "Shell  not supported" when none is
    # found); typer's own switch for tests makes it take the shell as its value, as the README shows.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nst"), "--show-completion", "bash"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "complete" in proc.stdout and "_NST_COMPLETE" in proc.stdout
