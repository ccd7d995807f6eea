"""Options a method does not use are said in one warning line, never silently dropped."""

from __future__ import annotations

import warnings

from nst_pipeline.config import split_options
from nst_pipeline.errors import NSTWarning
from nst_pipeline.fast.method import FastMethod
from nst_pipeline.gatys.method import GatysMethod
from nst_pipeline.methods import build
from nst_pipeline.methods.base import Method

STYLE = {"styles": ["s.png"], "method": "fast"}


def ignored(command, **options):
    config, clip = split_options({**STYLE, **options}, command)
    return build.ignored_options(FastMethod.__new__(FastMethod), config, clip, video=command == "video")


def test_fast_names_each_gatys_option_the_user_set_as_the_command_spells_it():
    assert ignored("image") == []
    assert ignored("image", size=64, seed=3, original_colors=True, style_blend=[1.0]) == []   # honoured
    assert ignored("image", style_scale=2.0, levels=2, init="noise", backbone="vgg16") == \
        ["--levels", "--backbone", "--style-scale", "--init"]
    assert ignored("image", steps=20, lr=0.5, tol=0.0, optimizer="adam", losses=["tv:2"], content_weight=3.0,
                   loss_options=["style.layers=relu1_1"], pooling="avg", targets="onnx") == \
        ["--optimizer", "--lr", "--tol", "--content-weight", "--loss", "--loss-option", "--pooling", "--targets",
         "--steps"]
    # nst video: --init is the warm start, --first-steps its own option; frame selection is honoured
    assert ignored("video", init="prev", first_steps=5, steps=3, max_frames=2, every=2) == \
        ["--first-steps", "--steps", "--init"]


def test_a_default_value_given_explicitly_is_not_warned_about():
    assert ignored("image", optimizer="lbfgs", style_scale=1.0, backbone="vgg19", steps=150) == []


def test_methods_that_declare_nothing_honour_everything():
    assert Method.honours is None and GatysMethod.honours is None
    config, clip = split_options({"styles": ["s.png"], "levels": 3}, "image")
    assert build.ignored_options(GatysMethod.__new__(GatysMethod), config, clip, video=False) == []


def test_build_method_warns_once_in_one_line():
    from nst_pipeline.specs import MethodSpec, NoOptions

    class Registry:  # one method, built without its model files: only the check is under test
        def method(self, name):
            return MethodSpec("fast", lambda ctx: FastMethod.__new__(FastMethod), "test", NoOptions)

    registry = Registry()
    config, clip = split_options({**STYLE, "levels": 2, "style_scale": 2.0}, "image")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        build.build_method(config, registry, video=False, clip=clip)
        build.build_method(config, registry, video=True)      # a Ray worker: no clip, no second warning
    notes = [str(w.message) for w in seen if issubclass(w.category, NSTWarning)]
    assert notes == ["--method fast does not use --levels, --style-scale: they change nothing in this run"]
