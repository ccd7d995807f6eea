"""What an installed plugin that imports torch at its top costs runs that never use it (issue 18).

A throwaway distribution ``nst-heavyloss`` (entry point ``heavy``: a loss term whose module does
``import torch`` first) is put on ``PYTHONPATH``; the plugin index is warmed once (``nst plugins
list``), as any earlier run would. Then, as whole processes, ``--runs`` rounds that alternate
which variant goes first, the plugin installed against blocked (``NST_BLOCK_PLUGINS=heavy``):

1. ``nst image SAMPLE --method fast --size 256 -o OUT --device cpu``: should not import the plugin
   (falls back to ``nst image --help`` when the fast method's model files cannot be had);
2. ``nst --help``: CPU seconds of the child;
3. ``nst plugins list``: the control, which must import the plugin (torch) to list it.

Median wall and CPU seconds (user + sys of the child) per variant and the installed / blocked
ratios. Usage::

    .venv/bin/python scripts/bench_plugin_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_fast import DEVICE, timed  # noqa: E402  (one way to time a whole process)

NST = str(Path(sys.executable).parent / "nst")
SAMPLE = ROOT / "nst_pipeline" / "samples" / "content" / "bbb_frame.jpg"

HEAVY = '''
import torch  # the pattern docs/plugins.md warns against: every import of this module loads torch

from nst_pipeline.plugin import LossTerm, LossTermSpec, NoOptions, hookimpl


class Brightness(LossTerm):
    def forward(self, feats, image):
        return (image.mean() - torch.tensor(0.5)).pow(2)


@hookimpl
def nst_loss_terms():
    return [LossTermSpec("heavy", lambda options: Brightness(), "mean brightness near grey", NoOptions)]
'''


def install_heavy(site: Path) -> None:
    """The plugin as ``pip install`` leaves it: its module beside a dist-info folder."""
    site.mkdir(parents=True)
    (site / "nst_heavyloss.py").write_text(textwrap.dedent(HEAVY))
    info = site / "nst_heavyloss-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nst-heavyloss\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[nst_pipeline]\nheavy = nst_heavyloss\n")


def with_env(cmd: list[str], **env: str) -> list[str]:
    # `env` execs the command in place: the child's resource usage is the command's own. The
    # caller's autoload switch and block list are dropped: each variant says its own.
    return ["env", "-u", "NST_DISABLE_PLUGIN_AUTOLOAD", "-u", "NST_BLOCK_PLUGINS",
            *(f"{k}={v}" for k, v in env.items()), *cmd]


def fast_or_help(tmp: Path, env: dict) -> tuple[str, list[str]]:
    """The fast-method run, once to fetch its model files; ``nst image --help`` when they can't be had."""
    fast = [NST, "image", str(SAMPLE), "--method", "fast", "-o", str(tmp / "x.png"), "--size", "256", *DEVICE, "-q"]
    try:
        timed(with_env(fast, **env))
        return "nst image --method fast --size 256", fast
    except SystemExit as exc:
        print(json.dumps({"note": f"fast method unavailable, timing `nst image --help` instead: {exc}"[:500]}))
        return "nst image --help", [NST, "image", "--help"]


def compare(cmd: list[str], env: dict, runs: int) -> dict:
    variants = {"installed": with_env(cmd, **env), "blocked": with_env(cmd, **env, NST_BLOCK_PLUGINS="heavy")}
    names, measured = list(variants), {name: [] for name in variants}
    for r in range(runs):
        for name in names[r % 2:] + names[:r % 2]:
            measured[name].append(timed(variants[name]))
    out = {name: {"wall_s": round(statistics.median(w for w, _ in ms), 3),
                  "cpu_s": round(statistics.median(c for _, c in ms), 3)} for name, ms in measured.items()}
    out["wall_ratio"] = round(out["installed"]["wall_s"] / out["blocked"]["wall_s"], 3)
    out["cpu_ratio"] = round(out["installed"]["cpu_s"] / out["blocked"]["cpu_s"], 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="rounds per command (each runs both variants)")
    args = p.parse_args()
    print(json.dumps({"load": os.getloadavg()[0], "cpus": len(os.sched_getaffinity(0)), "runs": args.runs}), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-plugin-start-") as tmp:
        tmp = Path(tmp)
        install_heavy(tmp / "site")
        pythonpath = os.pathsep.join(filter(None, [str(tmp / "site"), os.environ.get("PYTHONPATH")]))
        env = {"PYTHONPATH": pythonpath, "NST_PLUGIN_INDEX": str(tmp / "plugin-index.json"), "COLUMNS": "100"}
        timed(with_env([NST, "plugins", "list"], **env))  # warms the index, as any earlier run would
        name, run_cmd = fast_or_help(tmp, env)
        for label, cmd in {name: run_cmd, "nst --help": [NST, "--help"], "nst plugins list": [NST, "plugins", "list"]}.items():
            print(json.dumps({label: compare(cmd, env, args.runs)}), flush=True)


if __name__ == "__main__":
    main()
