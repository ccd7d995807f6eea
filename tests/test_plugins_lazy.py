"""Installed plugins cost nothing until used: a plugin module is imported only for its own names,
for listing, or to probe frame sources; the plugin index says which plugin declares what.

The plugins are throwaway distributions on sys.path (``make_dist``), each module with a unique
name, so "imported" is simply "in sys.modules" (or, for a subprocess, a line in a marker file).
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import sys
from pathlib import Path

import pytest

from nst_pipeline.errors import ConfigError
from nst_pipeline.registry import Registry
from test_plugins_dists import make_dist, run_nst

SAMPLES = Path(__file__).resolve().parents[1] / "nst_pipeline" / "samples"

# light, as docs/plugins.md teaches: the term's module (torch) is imported by the factory
PLUGIN = '''
import os, time
from nst_pipeline.plugin import LossTermSpec, NoOptions, hookimpl

if os.environ.get("LAZY_MARKER"):  # a subprocess says it imported us
    with open(os.environ["LAZY_MARKER"], "a") as marker:
        marker.write(__name__ + "\\n")
time.sleep({sleep})


def build(options):
    from {module}_term import PixelDistance

    return PixelDistance()


@hookimpl
def nst_loss_terms():
    return [LossTermSpec(name, build, "mean squared pixel distance to the content", NoOptions) for name in {names}]
'''
TERM = '''
from nst_pipeline.plugin import LossTerm


class PixelDistance(LossTerm):
    def prepare(self, targets):
        self.content = targets.content

    def forward(self, feats, image):
        return (image - self.content).pow(2).mean()
'''
SOURCE_HOOK = '''

@hookimpl
def nst_frame_sources():
    from nst_pipeline.plugin import FrameSourceSpec

    return [FrameSourceSpec("{name}", lambda location, options: None, lambda location: False, "reads nothing")]
'''

_ids = itertools.count()


def add_plugin(site: Path, dist: str, entry: str, names: list[str], sleep: float = 0.0, version: str = "1.0") -> str:
    """A distribution ``dist`` whose entry point ``entry`` declares the loss terms ``names``; its module name."""
    module = f"lazy{next(_ids)}_{entry}"
    source = PLUGIN.format(sleep=sleep, module=module, names=names)
    make_dist(site, dist, {module: source, f"{module}_term": TERM}, {entry: module}, version)
    importlib.invalidate_caches()
    return module


def forget(*modules: str) -> None:
    """As in a new process: the next import of these modules runs them again."""
    for module in modules:
        sys.modules.pop(module, None)
        sys.modules.pop(f"{module}_term", None)


def imported(*modules: str) -> list[str]:
    return [m for m in modules if m in sys.modules]


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("NST_BLOCK_PLUGINS", "hed,meancov,gif")  # the real examples: tested elsewhere
    monkeypatch.setenv("NST_PLUGIN_INDEX", str(tmp_path / "plugin-index.json"))
    return folder


@pytest.fixture
def two(site) -> tuple[str, str]:
    """Plugins a (loss alpha) and b (loss beta), the index warm, neither module imported."""
    a = add_plugin(site, "lazy-a", "a", ["alpha"])
    b = add_plugin(site, "lazy-b", "b", ["beta"])
    Registry(autoload=True).load_all()
    assert index_file().is_file()
    forget(a, b)
    return a, b


def index_file() -> Path:
    return Path(os.environ["NST_PLUGIN_INDEX"])


def test_builtin_names_import_no_plugin_once_the_index_is_warm(two, make_image):
    reg = Registry(autoload=True)
    assert reg.method("gatys").name == "gatys" and reg.method("fast").name == "fast"
    assert reg.backbone("vgg19").name == "vgg19" and reg.loss("style").name == "style"
    with reg.open_source(str(make_image("c.png")), kind="image") as frames:
        assert next(iter(frames)).shape == (40, 48, 3)
    assert imported(*two) == []


def test_builtin_names_import_no_plugin_even_without_an_index(site):
    a = add_plugin(site, "lazy-a", "a", ["alpha"])
    reg = Registry(autoload=True)
    assert reg.method("fast").plugin == "nst_pipeline.builtins.fast" and reg.source("image").name == "image"
    assert imported(a) == [] and not index_file().exists()


def test_a_plugin_name_imports_only_the_plugin_that_declared_it(two):
    a, b = two
    reg = Registry(autoload=True)
    spec = reg.loss("alpha")
    assert reg.info(spec).distribution == "lazy-a" and reg.info(spec).import_seconds > 0
    assert imported(a, b) == [a]


def test_without_an_index_a_plugin_name_loads_all_once_and_writes_the_index(site):
    a = add_plugin(site, "lazy-a", "a", ["alpha"])
    b = add_plugin(site, "lazy-b", "b", ["beta", "gamma"])
    assert Registry(autoload=True).loss("alpha").plugin == "a"
    assert imported(a, b) == [a, b]
    declared = {name: entry["declares"] for name, entry in json.loads(index_file().read_text())["plugins"].items()}
    assert declared == {"a": {"loss": ["alpha"]}, "b": {"loss": ["beta", "gamma"]}}


def test_an_unknown_name_loads_all_and_suggests_their_names(two):
    reg = Registry(autoload=True)
    with pytest.raises(ConfigError, match=r"unknown loss term 'alpah'\. Did you mean 'alpha'\? Available: .*beta"):
        reg.loss("alpah")
    assert imported(*two) == list(two)


def test_asking_for_a_broken_plugin_with_a_warm_index_says_why(two, site):
    make_dist(site, "lazy-crash", {"lazy_crash_mod": "raise ZeroDivisionError('boom at import')"},
              {"crash": "lazy_crash_mod"})
    importlib.invalidate_caches()
    Registry(autoload=True).load_all()  # warm for this set of plugins
    forget(*two)
    with pytest.raises(ConfigError, match=r"plugin 'crash' is installed but broken: import failed: .*boom at import"):
        Registry(autoload=True).loss("crash")


def test_a_name_shared_by_two_plugins_goes_where_it_goes_when_all_load(site):
    a = add_plugin(site, "lazy-a", "a", ["same", "alpha"])
    b = add_plugin(site, "lazy-b", "b", ["same", "beta"])
    eager = Registry(autoload=True)
    eager.load_all()
    owner = eager.loss("same").plugin
    forget(a, b)
    lazy = Registry(autoload=True)
    lazy.loss("beta")  # the earlier plugin comes too when it shares a name with b
    assert lazy.loss("same").plugin == owner
    loser = {"a": "b", "b": "a"}[owner]
    assert any(x.name == loser and f"already provided by plugin '{owner}'" in x.error for x in lazy.broken)


def test_blocked_and_autoload_off_import_nothing(two, monkeypatch):
    monkeypatch.setenv("NST_BLOCK_PLUGINS", "lazy-a,hed,meancov,gif")
    reg = Registry(autoload=True)
    with pytest.raises(ConfigError, match="unknown loss term 'alpha'"):
        reg.loss("alpha")
    assert imported(*two) == [two[1]] and [p.name for p in reg.blocked][:1] == ["a"]
    forget(*two)
    monkeypatch.setenv("NST_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "alpha" not in Registry().names("loss") and imported(*two) == []


def test_a_new_version_invalidates_the_index(two, site):
    a, b = two
    info = site / "lazy_b-1.0.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lazy-b\nVersion: 2.0\n")
    info.rename(site / "lazy_b-2.0.dist-info")
    importlib.invalidate_caches()
    before = json.loads(index_file().read_text())["key"]
    reg = Registry(autoload=True)
    reg.loss("alpha")
    assert imported(a, b) == [a, b]  # the index was for version 1.0: nothing in it is trusted
    assert reg.info(reg.loss("beta")).version == "2.0"
    assert json.loads(index_file().read_text())["key"] != before
    forget(a, b)
    Registry(autoload=True).loss("alpha")  # rewritten: warm again
    assert imported(a, b) == [a]


def test_a_module_edited_in_place_is_asked_again(two, site):
    a, b = two
    path = site / f"{a}.py"
    path.write_text(path.read_text() + SOURCE_HOOK.format(name="alpha-frames"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # same version, new file
    importlib.invalidate_caches()
    assert "alpha-frames" in Registry(autoload=True).names("source")


@pytest.mark.parametrize("mangle", [
    lambda text: text[: len(text) // 2],
    lambda text: "\x00\xff not json",
    lambda text: json.dumps([1, 2]),
    lambda text: text.replace('"plugins": {', '"plugins": {"a": 7, "zz": {"declares": {"loss": "alpha"}}, '),
    lambda text: text.replace('"alpha"', "3"),
    lambda text: text.replace('"declares"', '"said"'),
    lambda text: text.replace('"loss"', '"weird-kind"'),
])
def test_a_corrupt_index_is_ignored_and_rewritten(two, mangle):
    a, b = two
    index_file().write_text(mangle(index_file().read_text()))
    reg = Registry(autoload=True)
    assert reg.loss("alpha").plugin == "a" and reg.loss("beta").plugin == "b"
    forget(a, b)
    Registry(autoload=True).loss("alpha")
    assert imported(a, b) == [a]


def test_an_unwritable_index_is_only_slower(two, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NST_PLUGIN_INDEX", str(blocker / "plugin-index.json"))  # its folder is a file
    assert Registry(autoload=True).loss("beta").plugin == "b"


def test_plugins_list_shows_it_cold_and_warm(two, site):
    for _ in range(2):
        done = run_nst(["plugins", "list"], site)
        assert done.returncode == 0, done.stderr
        rows = [line.split()[:5] for line in done.stdout.splitlines()]
        assert ["loss", "term", "alpha", "a", "lazy-a"] in rows and ["loss", "term", "beta", "b", "lazy-b"] in rows


def test_plugins_check_warns_about_a_slow_import(site):
    add_plugin(site, "lazy-slow", "slow", ["slowterm"], sleep=0.25)
    add_plugin(site, "lazy-quick", "quick", ["quickterm"])
    done = run_nst(["plugins", "check"], site)
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, done.stderr
    assert warnings[0].startswith("warning: plugin slow (lazy-slow) took 0.") and "inside the factory" in warnings[0]
    assert "ok   loss term slowterm (lazy-slow)" in done.stdout and "ok   loss term quickterm (lazy-quick)" in done.stdout


def test_nst_image_method_fast_imports_no_plugin(site, tmp_path):
    from nst_pipeline.fast import models

    if not all((models.cache_folder() / name).is_file() for name in models.PINS):
        pytest.skip("fast-method models not cached (tests never touch the network)")
    add_plugin(site, "lazy-a", "a", ["alpha"])
    marker = tmp_path / "imported.txt"
    warm = run_nst(["plugins", "list"], site, LAZY_MARKER=str(marker))
    assert warm.returncode == 0 and marker.read_text().strip(), warm.stderr  # it does import for a listing
    marker.unlink()
    out = tmp_path / "out.png"
    done = run_nst(["image", str(SAMPLES / "content" / "bbb_frame.jpg"), "-s", str(SAMPLES / "style" / "the_scream.jpg"),
                    "--method", "fast", "--size", "32", "-o", str(out), "--weights", str(models.cache_folder()), "-q"],
                   site, LAZY_MARKER=str(marker), NST_CACHE_DIR=str(tmp_path / "cache"))
    assert done.returncode == 0, done.stderr
    assert out.is_file() and not marker.exists()
