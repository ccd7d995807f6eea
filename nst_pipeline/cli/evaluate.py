"""``nst eval``: measure finished results (steadiness of a video, style/content distances, palette
and copying, a contact sheet to look at)."""

from __future__ import annotations

import importlib

import typer

eval_app = typer.Typer(help="Measure finished results.", no_args_is_help=True)

#: sub-command name -> (module, function); as in cli/app.py, the command modules never import
#: this one, so the import graph shows every edge
SUBCOMMANDS = {
    "temporal": (".eval_temporal", "temporal_command"),
    "style": (".eval_style", "style_command"),
    "sheet": (".eval_sheet", "sheet_command"),
}



def _register() -> None:
    for name, (module, attr) in SUBCOMMANDS.items():
        eval_app.command(name)(getattr(importlib.import_module(module, __package__), attr))


_register()
