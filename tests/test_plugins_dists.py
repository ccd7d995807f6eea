"""Throwaway plugin distributions on sys.path, and the CLI's view of broken ones.

``make_dist`` writes a ``*.dist-info`` folder with an ``entry_points.txt`` next to the plugin
modules, exactly what ``pip install`` leaves behind, so ``importlib.metadata`` finds it
without installing anything into the venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GOOD = '''
from nst_pipeline.plugin import LossTermSpec, NoOptions, LossTerm, hookimpl

class PixelDistance(LossTerm):
    def prepare(self, targets):
        self.content = targets.content

    def forward(self, feats, image):
        return (image - self.content).pow(2).mean()

@hookimpl
def nst_loss_terms():
    return [LossTermSpec("{name}", lambda o: PixelDistance(), "mean squared pixel distance to the content", NoOptions)]
'''

BROKEN = {
    "import": "raise ZeroDivisionError('boom at import')",
    "raises": '''
from nst_pipeline.plugin import hookimpl
@hookimpl
def nst_loss_terms():
    raise RuntimeError("boom in the hook")
''',
    "wrongtype": '''
from nst_pipeline.plugin import BackboneSpec, hookimpl
@hookimpl
def nst_loss_terms():
    return [BackboneSpec("oops", lambda o: None, "a backbone where a loss term belongs")]
''',
    "notalist": '''
from nst_pipeline.plugin import hookimpl
@hookimpl
def nst_loss_terms():
    return "meancov"
''',
    "misspelt": '''
from nst_pipeline.plugin import hookimpl
@hookimpl
def nst_loss_term():
    return []
''',
    "badargs": '''
from nst_pipeline.plugin import hookimpl
@hookimpl
def nst_loss_terms(config):
    return []
''',
    "clash": GOOD.replace("{name}", "style"),
}


def make_dist(site: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str], version: str = "1.0") -> Path:
    """A minimal installed distribution under ``site``: modules plus dist-info metadata."""
    site.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[nst_pipeline]\n{lines}")
    return site


def make_zoo(site: Path) -> Path:
    """One good plugin and one of each kind of broken plugin, each in its own distribution."""
    make_dist(site, "fake-good", {"fake_good": GOOD.replace("{name}", "zero")}, {"good": "fake_good"})
    for case, source in BROKEN.items():
        make_dist(site, f"fake-{case}", {f"fake_{case}": source}, {case: f"fake_{case}"})
    return site


def run_nst(args: list[str], site: Path | None = None, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NST_DISABLE_PLUGIN_AUTOLOAD", "NST_BLOCK_PLUGINS")}
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        # the plugin index (which plugin declares which names) beside the throwaway plugins, not in ~/.cache
        env.setdefault("NST_PLUGIN_INDEX", str(site.parent / "plugin-index.json"))
    # the real example plugins are tested elsewhere; here they would only slow the checks down
    env["NST_BLOCK_PLUGINS"] = "hed,meancov,gif"
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "nst_pipeline", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


@pytest.fixture
def zoo(tmp_path) -> Path:
    return make_zoo(tmp_path / "site")


def test_list_survives_every_broken_plugin_and_names_each(zoo):
    done = run_nst(["plugins", "list"], zoo)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "zero" in out and "fake-good" in out  # the good one is listed with its distribution
    for case in BROKEN:
        assert f"  {case} (fake-{case}): " in out, f"{case} missing from:\n{out}"
    assert "boom at import" in out and "boom in the hook" in out
    assert "'style' is already provided by plugin 'nst_pipeline.builtins.losses'" in out
    assert "Traceback" not in out


def test_check_fails_naming_the_broken_and_still_checks_the_good(zoo):
    done = run_nst(["plugins", "check"], zoo)
    assert done.returncode != 0
    assert "FAIL raises (fake-raises)" in done.stdout
    assert "ok   loss term zero (fake-good)" in done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")


def test_check_one_good_plugin_by_distribution_passes(zoo):
    done = run_nst(["plugins", "check", "fake-good"], zoo)
    assert done.returncode == 0, done.stderr
    assert "smallest at its target" in done.stdout


def test_env_vars_disable_autoload_and_block_by_name(zoo):
    off = run_nst(["plugins", "list"], zoo, NST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert "fake-" not in off.stdout and "zero" not in off.stdout
    nothing = run_nst(["plugins", "check"], zoo, NST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert nothing.returncode == 0 and "nothing to check" in nothing.stdout
    blocked = run_nst(["plugins", "list"], zoo, NST_BLOCK_PLUGINS="good, fake-raises,hed,meancov,gif")
    assert "blocked: good (fake-good)" in blocked.stdout and "blocked: raises (fake-raises)" in blocked.stdout
    assert "boom in the hook" not in blocked.stdout and " zero " not in blocked.stdout
