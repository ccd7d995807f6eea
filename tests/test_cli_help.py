"""Help as a user reads it: flags without placeholders, PATH/INT/FLOAT/TEXT, CONTENT in usage lines."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from typer.testing import CliRunner

from nst_pipeline.cli.helptext import ReadableGroup, complete_backbone, complete_loss


def toy_app() -> typer.Typer:
    app = typer.Typer(cls=ReadableGroup, add_completion=False)
    sub = typer.Typer(cls=ReadableGroup)
    app.add_typer(sub, name="plugins")

    @app.command("image")
    def image(
        content: Annotated[Path, typer.Argument(help="Content image.")],
        style: Annotated[list[Path], typer.Option("--style", "-s", help="Style image.")],
        blend: Annotated[Optional[list[float]], typer.Option("--style-blend", help="Weights.")] = None,
        size: Annotated[int, typer.Option("--size", help="Long side.")] = 512,
        device: Annotated[Literal["auto", "cpu"], typer.Option("--device", help="Where.")] = "auto",
        init: Annotated[str, typer.Option("--init", help="Start.")] = "content",
        original_colors: Annotated[bool, typer.Option("--original-colors", help="Keep colors.")] = False,
    ) -> None:
        """Stylize CONTENT."""

    @sub.command("list")
    def list_(verbose: Annotated[bool, typer.Option("--verbose", help="More.")] = False) -> None:
        """List."""

    return app


def help_text(*args: str) -> str:
    result = CliRunner().invoke(toy_app(), [*args, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"},
                                prog_name="nst")
    assert result.exit_code == 0, result.output
    return result.output


def row(text: str, option: str) -> str:
    return next(line for line in text.splitlines() if re.search(rf"{option}\b(?!-)", line))


def test_flags_have_no_value_placeholder():
    text = help_text("image")
    assert "<" not in text  # no <bool>, <path>, <int>, ...
    assert re.search(r"--original-colors\s+Keep colors", row(text, "--original-colors"))
    assert re.search(r"--help\s+Show this message", row(text, "--help"))


def test_values_read_as_path_int_float_text_or_choices():
    text = help_text("image")
    assert re.search(r"--style\s+-s\s+PATH\s", row(text, "--style"))
    assert re.search(r"--style-blend\s+FLOAT\s", row(text, "--style-blend"))
    assert re.search(r"--size\s+INT\s+Long side\. \[default: 512\]", row(text, "--size"))
    assert re.search(r"--init\s+TEXT\s", row(text, "--init"))
    assert "auto|cpu" in row(text, "--device")
    assert "list[" not in text


def test_usage_line_names_the_argument_and_required_options_are_marked():
    text = help_text("image")
    assert "Usage: nst image [OPTIONS] CONTENT" in text
    assert re.search(r"\*\s+CONTENT\s+PATH\s+Content image\. \[required\]", text)
    assert row(text, "--style").lstrip("│ ").startswith("*")


def test_sub_groups_are_polished_too():
    text = help_text("plugins", "list")
    assert "<bool>" not in text
    assert re.search(r"--verbose\s+More\.", text)


def test_completion_of_plugin_names():
    assert "vgg19" in complete_backbone("vg")
    assert all(n.startswith("vg") for n in complete_backbone("vg"))
    assert {"content", "style", "tv"} <= set(complete_loss(""))


def test_missing_files_say_which_file_they_were(tmp_path, capsys):
    from nst_pipeline.cli.app import main

    samples = Path(__file__).resolve().parents[1] / "nst_pipeline" / "samples"
    content, style = samples / "content" / "bbb_frame.jpg", samples / "style" / "starry_night.jpg"
    cases = [
        (["image", str(content), "-s", "starry_night.jpg", "-o", str(tmp_path / "o.png")], "style image not found: starry_night.jpg"),
        (["image", "nope.jpg", "-s", str(style), "-o", str(tmp_path / "o.png")], "content image not found: nope.jpg"),
        (["video", "nope.mp4", "-s", str(style), "-o", str(tmp_path / "o.mp4")], "video input not found: nope.mp4"),
    ]
    for args, message in cases:
        assert main([*args, "--size", "32", "--steps", "1", "-q"]) == 2
        assert f"error: {message}" in capsys.readouterr().err
