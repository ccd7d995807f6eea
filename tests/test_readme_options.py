"""The README's option table says where each option works, and the code agrees: a *gatys*
option is one the fast method warns about, an *all* option one it honours, and the
video-only list names options `nst image` does not have."""

from __future__ import annotations

import re

from conftest import ROOT
from nst_pipeline.config import command_fields
from nst_pipeline.fast.method import FastMethod

README = (ROOT / "README.md").read_text(encoding="utf-8")


def table() -> dict[str, str]:
    """flag -> the table's *works for* cell, for every option row."""
    start = README.index("| option | meaning | default | works for |")
    rows = {}
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        for flag in re.findall(r"`(--[a-z-]+)", cells[0]):
            rows[flag] = cells[-1]
    return rows


def field(flag: str) -> str:
    """The config field behind an ``nst image`` flag."""
    spelled = {"--" + s.replace("_", "-"): f for f, s in command_fields("image").items()}
    special = {"--loss": "losses", "--loss-option": "loss_options", "--backbone-option": "backbone_options",
               "--method-option": "method_options", "--style": "styles"}
    return special.get(flag) or spelled[flag]


def test_every_row_says_where_it_works():
    rows = table()
    assert len(rows) >= 20 and set(rows.values()) <= {"all", "gatys", "gatys (`--weights`: all)"}


def test_the_table_matches_what_the_fast_method_honours():
    rows = {f: w for f, w in table().items() if f not in ("--save-every", "--log-json")}  # CLI-only options
    for flag, where in rows.items():
        honoured = field(flag) in FastMethod.honours
        expected = where == "all" or (flag == "--weights" and "`--weights`: all" in where)
        assert honoured == expected, (flag, where)


def test_the_video_only_options_are_not_image_options():
    start = README.index("Only for `nst video`")
    listed = re.findall(r"`(--[a-z-]+)`", README[start:README.index("\n\n", start)])
    image = {"--" + s.replace("_", "-") for s in command_fields("image").values()}
    video = {"--" + s.replace("_", "-") for s in command_fields("video").values()}
    assert not set(listed) & image
    assert {"--first-steps", "--first-init", "--temporal-weight", "--start", "--every", "--max-frames",
            "--workers"} <= set(listed) & video
