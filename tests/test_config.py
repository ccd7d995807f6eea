"""The option schema (nst_pipeline.config) and the CLI options made from it."""

from __future__ import annotations

import math

import pytest

from nst_pipeline.config import ClipConfig, StyleConfig, command_fields, make_clip, make_config, split_options
from nst_pipeline.errors import ConfigError


def test_image_and_video_spell_the_clip_fields_their_own_way():
    image, video = command_fields("image"), command_fields("video")
    assert image["first_steps"] == "steps" and image["first_init"] == "init"
    assert video["first_steps"] == "first_steps" and video["steps"] == "steps" and video["warm_start"] == "init"
    assert "temporal_weight" not in image and "max_frames" not in image     # a still has no use for them
    style, clip = split_options({"styles": ["s.png"], "steps": 7, "init": "noise"}, "image")
    assert clip.first_steps == 7 and clip.first_init == "noise" and style.styles == (StyleConfig.model_fields["styles"].annotation.__args__[0]("s.png"),)
    _, clip = split_options({"styles": ["s.png"], "steps": 7, "init": "content", "first_init": "noise"}, "video")
    assert (clip.steps, clip.warm_start, clip.first_init, clip.first_steps) == (7, "content", "noise", 150)


def test_none_means_the_schema_default():
    style, clip = split_options({"styles": ["s.png"], "size": None, "optimizer": None, "steps": None}, "image")
    assert style.size is None and style.optimizer == "lbfgs" and clip.first_steps == ClipConfig.model_fields["first_steps"].default


@pytest.mark.parametrize("options, message", [
    ({"style_weight": math.nan}, "--style-weight: Input should be a finite number"),
    ({"tv_weight": math.inf}, "--tv-weight: Input should be a finite number"),
    ({"style_blend": [1.0, math.nan]}, "--style-blend"),
    ({"style_blend": [-1.0]}, "--style-blend: style blend weights must be >= 0"),
    ({"optimizer": "lbgfs"}, "unknown --optimizer value 'lbgfs'. Did you mean 'lbfgs'? Available: adadelta, adam,"),
    ({"device": "gpu"}, "--device: unknown device 'gpu'; use auto, cpu, cuda or cuda:N"),
    ({"targets": "onxx"}, "unknown --targets value 'onxx'. Did you mean 'onnx'?"),
    ({"size": 8}, "--size: Input should be greater than or equal to 16"),
    ({"lr": 0}, "--lr: Input should be greater than 0"),
])
def test_bad_values_are_one_line_naming_the_option(options, message):
    with pytest.raises(ConfigError, match="^invalid options: ") as info:
        make_config(styles=("s.png",), **options)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_schema_names_the_optimizers_the_optimizer_table_makes():
    import typing

    from nst_pipeline.config import Optimizer
    from nst_pipeline.gatys.optimize import OPTIMIZERS

    assert sorted(typing.get_args(Optimizer)) == sorted(OPTIMIZERS)


def test_clip_messages_use_the_commands_spelling(tmp_path):
    with pytest.raises(ConfigError, match=r"--steps: Input should be greater than or equal to 0"):
        split_options({"styles": ["s.png"], "steps": -1}, "image")
    with pytest.raises(ConfigError, match=r"--init: 'nowhere.png' is neither content, noise nor an existing image"):
        split_options({"styles": ["s.png"], "init": "nowhere.png"}, "image")
    with pytest.raises(ConfigError, match=r"unknown --init value 'warped'. Did you mean 'prev-warped'\?"):
        split_options({"styles": ["s.png"], "init": "warped"}, "video")
    with pytest.raises(ConfigError, match="--every: Input should be greater than or equal to 1"):
        make_clip(every=0)


def test_unknown_option_names_are_refused_with_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown option\(s\) stpes; valid: .*steps"):
        split_options({"styles": ["s.png"], "stpes": 3}, "image")
    with pytest.raises(ConfigError, match="unknown option"):
        split_options({"styles": ["s.png"], "temporal_weight": 3}, "image")


def test_configs_are_frozen():
    config = make_config(styles=("s.png",))
    with pytest.raises(Exception):
        config.size = 3


def test_resume_key_lets_max_frames_grow_only():
    a, b = make_clip(max_frames=3), make_clip(max_frames=9)
    assert a.resume_key() == b.resume_key()
    assert make_clip(steps=3).resume_key() != make_clip(steps=4).resume_key()


def test_cli_options_come_from_the_schema_with_its_defaults():
    from nst_pipeline.cli.app import _register_commands, app

    _register_commands()
    import typer.main

    command = typer.main.get_command(app)
    image, video = command.commands["image"], command.commands["video"]
    flags = {opt for p in image.params for opt in p.opts}
    assert {"--style", "-s", "--steps", "--init", "--style-weight", "--tol", "--method"} <= flags
    assert "--first-steps" not in flags and "--temporal-weight" not in flags
    vflags = {opt for p in video.params for opt in p.opts}
    assert {"--first-steps", "--steps", "--init", "--first-init", "--temporal-weight", "--max-frames"} <= vflags
    # no default is written in a signature: every schema option arrives as None unless given
    defaults = {p.name: p.default for p in image.params if p.name in command_fields("image").values()}
    assert all(v in (None, False) for k, v in defaults.items()), defaults
