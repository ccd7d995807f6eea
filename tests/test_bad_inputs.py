"""Bad inputs, tried as a user would (the CLI in-process, tiny files): every case must exit
non-zero with one line naming the problem, no traceback, no output and no temp files left,
and every input byte for byte as it was."""

from __future__ import annotations

import hashlib
import re
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from bad_files import make_files

import faulty_terms
from conftest import TinyPlugin
from nst_pipeline import registry as registry_module
from nst_pipeline.cli.app import main
from nst_pipeline.fast import models as fast_models
from nst_pipeline.registry import Registry


@dataclass(frozen=True)
class Case:
    id: str
    argv: str            # {name} is a file of the workspace (see `workspace`)
    message: str         # a regular expression the error output must match
    rc: int = 2

    def __str__(self) -> str:
        return self.id


FAST = "--backbone tiny --device cpu --size 32 -q"
IMAGE = f"image {{content}} -s {{style}} -o {{out_png}} --steps 2 {FAST}"
VIDEO = f"video {{clip}} -s {{style}} -o {{out_mp4}} --first-steps 2 --steps 1 {FAST}"
EXPORT = "export onnx -o {out_onnx} --backbone tiny -q"
EVAL = "eval style {content} --content {content} -s {style} --backbone tiny"
TEMPORAL = "eval temporal {clip} {clip}"
TOO_LARGE = r"too large: 50000x50000 px \(2500 megapixels; the limit is 100 megapixels"

CASES = [
    # nst image: the pictures
    Case("image-content-missing", IMAGE.replace("{content}", "{missing_png}"), r"not found: .*missing\.png"),
    Case("image-content-empty", IMAGE.replace("{content}", "{empty_png}"), r"empty\.png is not an image file"),
    Case("image-content-random-bytes", IMAGE.replace("{content}", "{random_png}"), r"random\.png is not an image file"),
    Case("image-content-text-named-jpg", IMAGE.replace("{content}", "{text_jpg}"), r"notes\.jpg is not an image file"),
    Case("image-content-truncated", IMAGE.replace("{content}", "{trunc_png}"), r"cannot read image .*trunc\.png: .*truncated"),
    Case("image-content-bomb", IMAGE.replace("{content}", "{bomb_png}"), r"bomb\.png is " + TOO_LARGE),
    Case("image-style-bomb", IMAGE.replace("-s {style}", "-s {bomb_png}"), r"bomb\.png is " + TOO_LARGE),
    Case("image-init-bomb", IMAGE + " --init {bomb_png}", r"bomb\.png is " + TOO_LARGE),
    Case("image-style-gif-bomb", IMAGE.replace("-s {style}", "-s {bomb_gif}"), r"bomb\.gif is " + TOO_LARGE),
    Case("image-content-is-folder", IMAGE.replace("{content}", "{folder}"), r"frames is a folder"),
    Case("image-style-missing", IMAGE.replace("-s {style}", "-s {missing_png}"), r"not found: .*missing\.png"),
    # nst image: the output
    Case("image-output-is-content", IMAGE.replace("{out_png}", "{content}"), r"is the same file as input"),
    Case("image-output-is-style", IMAGE.replace("{out_png}", "{style}"), r"is the same file as input"),
    Case("image-output-unknown-type", IMAGE.replace("{out_png}", "{out_xyz}"), r"unknown image type '\.xyz'"),
    Case("image-output-folder-missing", IMAGE.replace("{out_png}", "{nodir}/out.png"), r"folder .*nodir does not exist"),
    Case("image-log-json-folder-missing", IMAGE + " --log-json {nodir}/log.jsonl", r"--log-json .*nodir/log\.jsonl: folder .*nodir does not exist"),
    Case("image-log-json-is-content", IMAGE + " --log-json {content}", r"--log-json .*content\.png is the input"),
    # nst image: option values
    Case("image-size-zero", IMAGE + " --size 0", r"--size: Input should be greater than or equal to"),
    Case("image-size-not-a-number", IMAGE + " --size big", r"--size"),
    Case("image-steps-negative", IMAGE + " --steps -1", r"--steps"),
    Case("image-loss-weight-nan", IMAGE + " --loss style:nan", r"loss 'style:nan': weight must be a finite number"),
    Case("image-loss-weight-inf", IMAGE + " --loss tv:inf", r"loss 'tv:inf': weight must be a finite number"),
    Case("image-loss-weight-negative", IMAGE + " --loss style:-1", r"weight must be a finite number >= 0"),
    Case("image-loss-unknown", IMAGE + " --loss stlye", r"unknown loss term 'stlye'\. Did you mean 'style'\?"),
    Case("image-loss-option-nan", IMAGE + " --loss-option style.layer_weights=nan,1,1", r"option 'layer_weights' of loss 'style'.*finite"),
    Case("image-style-blend-nan", IMAGE + " --style-blend nan", r"--style-blend: Input should be a finite number"),
    Case("image-style-blend-inf", IMAGE + " --style-blend inf", r"--style-blend: Input should be a finite number"),
    Case("image-style-blend-negative", IMAGE + " --style-blend -1", r"--style-blend: style blend weights must be >= 0"),
    Case("image-style-blend-count", IMAGE + " --style-blend 1 --style-blend 2", r"2 blend weights for 1 style"),
    Case("image-content-weight-nan", IMAGE + " --content-weight nan", r"--content-weight: Input should be a finite number"),
    Case("image-lr-zero", IMAGE + " --lr 0", r"--lr: Input should be greater than 0"),
    Case("image-optimizer-unknown", IMAGE + " --optimizer lbgfs", r"lbgfs"),
    Case("image-backbone-unknown", IMAGE.replace("--backbone tiny", "--backbone vgg91"), r"unknown backbone 'vgg91'"),
    Case("image-device-unknown", IMAGE + " --device tpu", r"--device"),
    # nst image: weights files (the real vgg19 builder; refused before any network is built)
    Case("image-weights-random-bytes", IMAGE.replace("--backbone tiny", "--backbone vgg19") + " --weights {random_pth}",
         r"random\.pth is not a weights file the VGG19 backbone can read"),
    Case("image-weights-malicious-pickle", IMAGE.replace("--backbone tiny", "--backbone vgg19") + " --weights {evil_pth}",
         r"evil\.pth is not a weights file the VGG19 backbone can read: it holds pickled Python objects"),
    Case("image-weights-known-name-wrong-hash", IMAGE.replace("--backbone tiny", "--backbone vgg19") + " --weights {fake_known_pth}",
         r"named like the known file vgg19-dcbb9e9d\.pth but its sha256 is .*refusing it"),
    Case("image-weights-missing", IMAGE.replace("--backbone tiny", "--backbone vgg19") + " --weights {missing_pth}", r"not found"),
    # nst image: faulty third-party loss terms
    Case("image-term-not-a-scalar", IMAGE + " --loss perchannel",
         r"loss term 'perchannel' \(plugin 'faulty'\) returned a tensor of shape \(1, \d+\), not a scalar"),
    Case("image-term-nan-gradient", IMAGE + " --loss root",
         r"loss term 'root' \(plugin 'faulty'\) gave a non-finite \(NaN or infinite\) gradient at the start image"),
    Case("image-term-raises", IMAGE + " --loss crashes", r"loss term 'crashes' \(plugin 'faulty'\) failed in forward\(\): KeyError"),
    # nst video: the input
    Case("video-input-missing", VIDEO.replace("{clip}", "{missing_mp4}"), r"not found: .*missing\.mp4"),
    Case("video-input-random-bytes", VIDEO.replace("{clip}", "{random_mp4}"), r"cannot read video .*random\.mp4"),
    Case("video-input-empty", VIDEO.replace("{clip}", "{empty_mp4}"), r"cannot read video .*empty\.mp4: the file is empty"),
    Case("video-input-bomb-y4m", VIDEO.replace("{clip}", "{bomb_y4m}"), r"bomb\.y4m is too large: its frames are 50000x50000 px"),
    Case("video-input-bomb-gif", VIDEO.replace("{clip}", "{bomb_gif}"), r"bomb\.gif is " + TOO_LARGE),
    Case("video-input-animated-webp", VIDEO.replace("{clip}", "{anim_webp}"),   # FFmpeg decodes still WebP only
         r"cannot read video .*anim\.webp: FFmpeg cannot decode animated WebP; the nst-gif plugin"),
    Case("video-folder-mixed-sizes", VIDEO.replace("{clip}", "{mixed}"), r"frames change size"),
    Case("video-folder-bomb-frame", VIDEO.replace("{clip}", "{bombs}"), r"bomb\.png is " + TOO_LARGE),
    Case("video-start-past-the-end", VIDEO + " --start 5000", r"--start 5000 is past the end of the input: it has 6 frames"),
    Case("video-every-zero", VIDEO + " --every 0", r"--every"),
    Case("video-max-frames-zero", VIDEO + " --max-frames 0", r"--max-frames"),
    Case("video-stdin-frame-size-too-large", VIDEO.replace("{clip}", "-") + " --frame-size 50000x50000",
         r"--frame-size is too large: its frames are 50000x50000 px"),
    Case("video-frame-size-without-stdin", VIDEO + " --frame-size 10x10", r"--frame-size is for raw frames on stdin"),
    Case("video-loss-weight-nan", VIDEO + " --loss temporal:nan", r"weight must be a finite number"),
    Case("video-init-unknown", VIDEO + " --init sideways", r"sideways"),
    Case("video-overlap-over-half-a-chunk", VIDEO + " --workers 2 --segment-frames 10 --overlap 6",
         r"--overlap \(6\) must be at most half of --segment-frames \(10\)"),
    Case("video-style-bomb", VIDEO.replace("-s {style}", "-s {bomb_png}"), r"bomb\.png is " + TOO_LARGE),
    # nst video: the outputs
    Case("video-output-is-input", VIDEO.replace("{out_mp4}", "{clip}"), r"same file as input"),
    Case("video-output-unknown-type", VIDEO.replace("{out_mp4}", "{out_txt}"), r"cannot write frames to .*out\.txt"),
    Case("video-output-folder-holds-other-frames", VIDEO.replace("{out_mp4}", "{stale}/"),
         r"output folder .*stale already holds 2 files this job did not write \(frame_000003\.png, frame_000004\.png\)"),
    Case("video-log-json-folder-missing", VIDEO + " --log-json {nodir}/log.jsonl", r"--log-json .*: folder .*nodir does not exist"),
    Case("video-work-dir-holds-user-files", VIDEO + " --work-dir {precious}", r"--work-dir .*precious already holds files and is not an nst work folder"),
    Case("video-work-dir-under-a-file", VIDEO + " --work-dir {content}/work", r"cannot create --work-dir .*: .*content\.png is not a folder"),
    Case("video-snapshots-folder-is-a-file", VIDEO.replace("{out_mp4}", "{taken_mp4}") + " --save-every 1",
         r"--save-every: snapshot folder .*taken\.mp4-snapshots exists and is not a folder"),
    Case("video-snapshots-of-an-earlier-job", VIDEO.replace("{out_mp4}", "{used_mp4}") + " --save-every 1",
         r"snapshot folder .*used\.mp4-snapshots already holds files of an earlier job; move or delete it"),
    Case("video-output-dotted-name-without-slash", VIDEO.replace("{out_mp4}", "{nodir}.v1"),
         r"cannot write frames to .*nodir\.v1: .*a folder for numbered PNGs \(end it with '/'"),
    # --targets onnx with a model of another architecture
    Case("image-onnx-model-other-pooling", IMAGE + " --targets onnx --onnx-model {maxpool_onnx}",
         r"--onnx-model .*maxpool\.onnx was exported with max pooling, but this run's backbone has avg pooling"),
    # nst export onnx
    Case("export-output-folder-missing", EXPORT.replace("{out_onnx}", "{nodir}/m.onnx"), r"folder .*nodir does not exist"),
    Case("export-output-not-onnx", EXPORT.replace("{out_onnx}", "{out_txt}"), r"must end in \.onnx"),
    Case("export-layer-unknown", EXPORT + " --layers relu9_9", r"relu9_9"),
    Case("export-layers-empty", EXPORT + " --layers ,", r"--layers is empty"),
    Case("export-backbone-unknown", EXPORT.replace("--backbone tiny", "--backbone vgg91"), r"unknown backbone 'vgg91'"),
    Case("export-weights-malicious-pickle", EXPORT.replace("--backbone tiny", "--backbone vgg19") + " --weights {evil_pth}",
         r"evil\.pth is not a weights file the VGG19 backbone can read"),
    # nst eval style / temporal
    Case("eval-style-output-missing", EVAL.replace("style {content}", "style {missing_png}"), r"not found: .*missing\.png"),
    Case("eval-style-output-bomb", EVAL.replace("style {content}", "style {bomb_png}"), r"bomb\.png is " + TOO_LARGE),
    Case("eval-style-style-random-bytes", EVAL.replace("-s {style}", "-s {random_png}"), r"random\.png is not an image file"),
    Case("eval-style-onnx-random-bytes", EVAL.replace("--backbone tiny", "--onnx {random_onnx}"), r"random\.onnx"),
    Case("eval-temporal-original-missing", TEMPORAL.replace("temporal {clip}", "temporal {missing_mp4}"), r"not found: .*missing\.mp4"),
    Case("eval-temporal-stylized-random-bytes", TEMPORAL.replace("{clip} {clip}", "{clip} {random_mp4}"), r"cannot read video .*random\.mp4"),
    Case("eval-temporal-every-zero", TEMPORAL + " --every 0", r"--every"),
    # nst plugins
    Case("plugins-check-faulty-terms", "plugins check faulty",
         r"FAIL loss term perchannel .*must return a scalar tensor(.|\n)*FAIL loss term root .*not finite"),
    Case("plugins-check-unknown-name", "plugins check nosuchplugin", r"nosuchplugin"),
]


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with the sha256 of each file's bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    root = tmp_path_factory.mktemp("bad-inputs")
    paths = make_files(root)
    return root, paths, _tree(root)


@pytest.fixture
def cli(monkeypatch, files, tmp_path):
    """The CLI's registry with the tiny backbone and the faulty plugin; temp files in a known folder."""
    registry = Registry(autoload=False, extra_plugins=[TinyPlugin(), faulty_terms.FaultyPlugin()])
    monkeypatch.setattr(registry_module, "_default", registry)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    return temp


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_fails_cleanly(case, files, cli, capsys):
    root, paths, before = files
    argv = [arg.format(**paths) for arg in shlex.split(case.argv)]
    rc = main(argv)
    out, err = capsys.readouterr()
    text = out + err
    assert rc == case.rc, text
    assert "Traceback" not in text and "weights_only" not in text
    assert re.search(case.message, text), text
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) <= 1, err
    assert all(len(line) < 400 for line in errors), err
    assert _tree(root) == before  # inputs unchanged, no output, no work folder, no temp file beside anything
    # not ours: torch's compile cache, onnxruntime's session-id file
    left = [p.name for p in cli.iterdir() if not (p.name.startswith("torchinductor_") or p.name == ".ses")]
    assert not left, left  # nothing of ours left in the temp folder either


def test_the_table_covers_every_command():
    commands = {c.argv.split()[0] if c.argv.split()[0] not in ("export", "eval", "plugins") else " ".join(c.argv.split()[:2])
                for c in CASES}
    assert {"image", "video", "export onnx", "eval style", "eval temporal", "plugins check"} <= commands
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)


def test_a_job_killed_before_its_first_frame_blocks_nothing(tmp_path):
    from nst_pipeline.video.workdir import WorkDir

    killed = WorkDir.open(tmp_path / "out.mp4.nst-work", {"size": 64}, resume=False)  # then kill -9: no frame
    assert (killed.path / "manifest.json").is_file() and killed.done() == 0
    again = WorkDir.open(killed.path, {"size": 32}, resume=False)  # other settings, no --resume: starts over
    assert again.created and again.settings == {"size": 32}
    again.save_frame(0, np.zeros((4, 4, 3), np.uint8), {})
    with pytest.raises(Exception, match="holds 1 finished frames of an earlier job; pass --resume"):
        WorkDir.open(killed.path, {"size": 32}, resume=False)  # one finished frame is worth keeping


# --- suspect input that runs: one `warning:` line, exit 0, the result written, inputs unchanged ---------

FAST_MODELS = fast_models.cache_folder()  # the user's cache, read before the fixture moves NST_CACHE_DIR
WARN_IMAGE = IMAGE.replace("{out_png}", "{fresh}/out.png")
WARNED = [
    Case("image-term-detached", WARN_IMAGE + " --loss frozen:10",
         r"loss term 'frozen' \(plugin 'faulty'\) does not depend on the image \(its value is detached from it\)", 0),
    Case("image-term-sign-flipped", WARN_IMAGE + " --loss crisp:10",
         r"loss term 'crisp' \(plugin 'faulty'\) falls as the image moves away from its target", 0),
    Case("video-term-sign-flipped", VIDEO.replace("{out_mp4}", "{fresh}/out.mp4") + " --loss vivid",
         r"loss term 'vivid' \(plugin 'faulty'\) falls as the image moves away from its target", 0),
    Case("image-fast-ignores-gatys-options", WARN_IMAGE + " --method fast --levels 2 --style-scale 2 --weights {fast}",
         r"--method fast does not use --levels, --backbone, --style-scale, --steps: they change nothing", 0),
]


@pytest.mark.parametrize("case", WARNED, ids=str)
def test_suspect_input_runs_with_one_warning(case, files, cli, capsys, tmp_path):
    if "{fast}" in case.argv and not all((FAST_MODELS / name).is_file() for name in fast_models.PINS):
        pytest.skip("fast-method models not cached (no network in tests)")
    root, paths, before = files
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    argv = [arg.format(**paths, fresh=fresh, fast=FAST_MODELS) for arg in shlex.split(case.argv)]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == case.rc and "Traceback" not in err, err
    warned = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and re.search(case.message, warned[0]), err
    assert [p.name for p in fresh.iterdir()] in (["out.png"], ["out.mp4"])
    assert _tree(root) == before
