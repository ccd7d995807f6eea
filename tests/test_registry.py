"""Registry isolation: each way a plugin can be broken is reported by name and skipped."""

from __future__ import annotations

import importlib

import pytest

from nst_pipeline.config import make_config
from nst_pipeline.errors import ConfigError
from nst_pipeline.gatys.job import build_terms
from nst_pipeline.plugin import (BackboneSpec, FrameSourceSpec, LossTerm, LossTermSpec, MethodSpec, NoOptions,
                                 PluginOptions, hookimpl)
from nst_pipeline.registry import Registry
from test_plugins_dists import BROKEN, GOOD, make_dist, make_zoo

BUILTIN_LOSSES = "nst_pipeline.builtins.losses"


@pytest.fixture
def on_path(tmp_path, monkeypatch):
    """Put a folder of throwaway distributions on sys.path (and only those: real ones blocked)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("NST_BLOCK_PLUGINS", "hed,meancov,gif")
    monkeypatch.setenv("NST_PLUGIN_INDEX", str(tmp_path / "plugin-index.json"))
    importlib.invalidate_caches()
    return site


def broken_by_name(reg: Registry) -> dict[str, str]:
    return {b.name: f"{b.distribution}: {b.error}" for b in reg.broken}


def test_every_broken_plugin_is_named_and_skipped_and_the_rest_works(on_path):
    make_zoo(on_path)
    reg = Registry(autoload=True)
    broken = broken_by_name(reg)
    assert set(broken) == set(BROKEN)
    assert broken["import"].startswith("fake-import: import failed: ZeroDivisionError: boom at import")
    assert "RuntimeError: boom in the hook" in broken["raises"]
    assert "expected LossTermSpec records, got BackboneSpec" in broken["wrongtype"]
    assert "must return a list" in broken["notalist"]
    assert "unknown hook 'nst_loss_term'" in broken["misspelt"]
    assert "config" in broken["badargs"]
    assert f"'style' is already provided by plugin '{BUILTIN_LOSSES}'" in broken["clash"]
    assert reg.loss("style").plugin == BUILTIN_LOSSES  # built-ins keep their names
    assert reg.loss("zero").plugin == "good" and reg.plugins["good"].distribution == "fake-good"
    assert "oops" not in reg.names("backbone") and "oops" not in reg.names("loss")


def test_half_broken_plugin_contributes_nothing(on_path):
    source = GOOD.replace("{name}", "half") + '''
@hookimpl
def nst_frame_sources():
    raise ValueError("sources are broken")
'''
    make_dist(on_path, "fake-half", {"fake_half": source}, {"half": "fake_half"})
    reg = Registry(autoload=True)
    assert "half" not in reg.names("loss")
    assert "ValueError: sources are broken" in broken_by_name(reg)["half"]
    assert "half" not in reg.plugins


def test_two_third_party_plugins_with_one_name_first_wins_and_both_are_named(on_path):
    make_dist(on_path, "fake-a", {"fake_a": GOOD.replace("{name}", "same")}, {"a": "fake_a"})
    make_dist(on_path, "fake-b", {"fake_b": GOOD.replace("{name}", "same")}, {"b": "fake_b"})
    reg = Registry(autoload=True)
    owner = reg.loss("same").plugin
    loser = "b" if owner == "a" else "a"
    assert f"'same' is already provided by plugin '{owner}' (fake-{owner})" in broken_by_name(reg)[loser]


def test_same_entry_point_name_in_two_distributions(on_path):
    make_dist(on_path, "fake-one", {"fake_one": GOOD.replace("{name}", "one")}, {"twin": "fake_one"})
    make_dist(on_path, "fake-two", {"fake_two": GOOD.replace("{name}", "two")}, {"twin": "fake_two"})
    reg = Registry(autoload=True)
    (twin,) = [b for b in reg.broken if b.name == "twin"]
    assert "already taken" in twin.error
    assert len({"one", "two"} & set(reg.names("loss"))) == 1


def test_block_by_plugin_or_distribution_and_disable_autoload(on_path, monkeypatch):
    make_zoo(on_path)
    monkeypatch.setenv("NST_BLOCK_PLUGINS", "good,fake-raises,hed,meancov,gif")
    reg = Registry(autoload=True)
    assert {b.name for b in reg.blocked} >= {"good", "raises"}
    assert "zero" not in reg.names("loss") and "raises" not in broken_by_name(reg)
    monkeypatch.setenv("NST_DISABLE_PLUGIN_AUTOLOAD", "1")
    off = Registry()
    assert not off.broken and "zero" not in off.names("loss")
    monkeypatch.setenv("NST_DISABLE_PLUGIN_AUTOLOAD", "0")
    monkeypatch.setenv("NST_BLOCK_PLUGINS", "hed,meancov,gif")
    assert "zero" in Registry().names("loss")


def test_asking_for_a_broken_plugin_by_name_says_why(on_path):
    make_zoo(on_path)
    reg = Registry(autoload=True)
    with pytest.raises(ConfigError, match=r"plugin 'raises' is installed but broken: .*boom in the hook"):
        reg.loss("raises")


@pytest.mark.parametrize("bad_name", ["a:b", "a.b", "", "with space"])
def test_names_that_the_cli_cannot_express_are_refused(bad_name):
    class Plugin:
        __name__ = "badname"

        @hookimpl
        def nst_loss_terms(self):
            return [LossTermSpec(bad_name, lambda o: None, "x")]

    reg = Registry(autoload=False, extra_plugins=[Plugin()])
    assert "must be letters, digits" in broken_by_name(reg)["badname"]


def test_options_must_be_a_plugin_options_model():
    class Plugin:
        __name__ = "badopts"

        @hookimpl
        def nst_loss_terms(self):
            return [LossTermSpec("x", lambda o: None, "x", options=dict)]

    assert "PluginOptions subclass" in broken_by_name(Registry(autoload=False, extra_plugins=[Plugin()]))["badopts"]


class ScaledOptions(PluginOptions):
    scale: float = 1.0
    layers: list[str] | None = None


class Scaled(LossTerm):
    def __init__(self, options):
        super().__init__(options.layers)
        self.scale = options.scale

    def forward(self, feats, image):
        return self.scale * image.mean()


class ScaledPlugin:
    __name__ = "scaled"

    @hookimpl
    def nst_loss_terms(self):
        return [LossTermSpec("scaled", Scaled, "scale times the mean pixel", ScaledOptions, default_weight=7.0)]


def test_plugin_terms_are_selected_weighted_and_configured_like_builtins(tmp_path):
    reg = Registry(autoload=False, extra_plugins=[ScaledPlugin()])
    style = tmp_path / "s.png"
    style.write_bytes(b"")  # build_terms never opens it

    def terms(losses, options=()):
        config = make_config(styles=(style,), losses=tuple(losses), loss_options=tuple(options))
        return {t.name: t for t in build_terms(config, reg)}

    picked = terms(["scaled"])
    assert picked["scaled"].weight == 7.0 and set(picked) == {"content", "style", "tv", "scaled"}
    instead = terms(["scaled:2.5", "style:0"], ["scaled.scale=3", "scaled.layers=relu1_1,relu2_1"])
    assert instead["scaled"].weight == 2.5 and instead["style"].weight == 0
    assert instead["scaled"].term.scale == 3.0 and instead["scaled"].term.layers == ("relu1_1", "relu2_1")
    with pytest.raises(ConfigError, match="unknown option 'scal' for loss 'scaled'; valid options: scale, layers"):
        terms(["scaled"], ["scaled.scal=3"])
    with pytest.raises(ConfigError, match="Did you mean 'scaled'"):
        terms(["scaledd"])


def test_generator_hooks_and_class_instance_plugins_work():
    class Plugin:
        __name__ = "gen"

        @hookimpl
        def nst_loss_terms(self):
            yield LossTermSpec("gen-term", lambda o: None, "declared by a generator", NoOptions)

    reg = Registry(autoload=False, extra_plugins=[Plugin()])
    assert reg.loss("gen-term").plugin == "gen" and not reg.broken


def test_typed_lookups_return_their_kind_of_record_and_no_other(registry):
    assert isinstance(registry.backbone("tiny"), BackboneSpec) and isinstance(registry.loss("style"), LossTermSpec)
    assert isinstance(registry.source("image"), FrameSourceSpec) and isinstance(registry.method("fast"), MethodSpec)
    assert registry.get("loss", "tv") is registry.loss("tv")
    with pytest.raises(ConfigError, match=r"unknown backbone 'style'\. Available: .*tiny"):
        registry.backbone("style")
