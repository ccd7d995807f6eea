"""``nst eval``: measure finished results (steadiness of a video, style/content distances)."""

from __future__ import annotations

import typer

eval_app = typer.Typer(help="Measure finished results.", no_args_is_help=True)

# sub-commands live in their own modules and attach to `eval_app`
for _name in ("eval_temporal", "eval_style"):
    try:
        __import__(f"{__package__}.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__package__}.{_name}":
            raise
