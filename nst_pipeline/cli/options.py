"""Command-line options made from the config schema, so each option and its default is
written once (in :mod:`nst_pipeline.config`).

``@schema_options("image")`` adds one typer option per field ``nst image`` takes, spelt
as :func:`~nst_pipeline.config.command_fields` says (``first_steps`` is ``--steps`` there);
the command receives them, untouched, as ``options`` and hands them to
:func:`~nst_pipeline.config.split_options`. No value is defaulted here: an option the
user didn't give arrives as ``None``, which means "the schema's default".
"""

from __future__ import annotations

import functools
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from ..config import ClipConfig, StyleConfig, command_fields
from .helptext import complete_backbone, complete_loss, complete_method

#: help that differs per command (the field's own description is the default)
HELP = {
    ("image", "first_steps"): "Optimizer steps per pyramid level.",
    ("image", "first_init"): "Start from: content, noise, or an image path.",
}
#: options that belong together in the help (rich panels)
PANELS = {
    "styles": "Style", "style_blend": "Style", "style_scale": "Style", "original_colors": "Style",
    "size": "Size and budget", "levels": "Size and budget", "first_steps": "Size and budget",
    "steps": "Size and budget", "tol": "Size and budget", "time_budget": "Size and budget",
    "start": "Frames", "every": "Frames", "max_frames": "Frames", "warm_start": "Frames", "first_init": "Frames",
}


#: fields the schema requires but the commands default: (shown default)
CLI_DEFAULTS = {"styles": "the bundled starry_night.jpg"}
#: fields whose values are registry names: the shell completes them
COMPLETE = {"backbone": complete_backbone, "losses": complete_loss, "method": complete_method}


def _field(name: str):
    return StyleConfig.model_fields.get(name) or ClipConfig.model_fields[name]


def _flags(field: str, spelling: str) -> tuple[str, ...]:
    extra = _field(field).json_schema_extra
    if spelling == field and isinstance(extra, dict) and extra.get("cli"):
        return tuple(extra["cli"])
    return ("--" + spelling.replace("_", "-"),)


def _cli_type(annotation: Any) -> tuple[Any, str]:
    """The type typer parses and the placeholder help shows for a schema annotation."""
    if typing.get_origin(annotation) is Literal:
        return Optional[str], "|".join(typing.get_args(annotation))
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is tuple or (args and typing.get_origin(args[0]) is tuple):
        inner = typing.get_args(args[0] if origin is not tuple else annotation)[0]
        return Optional[list[inner]], {Path: "PATH", float: "FLOAT"}.get(inner, "TEXT")
    base = args[0] if args else annotation
    if typing.get_origin(base) is Literal:
        return Optional[str], "|".join(typing.get_args(base))
    return Optional[base], {Path: "PATH", int: "INT", float: "FLOAT"}.get(base, "TEXT")


def _parameter(command: str, field: str, spelling: str) -> inspect.Parameter:
    info = _field(field)
    help_text = HELP.get((command, field), info.description)
    # `is None`/`== ()`, not `in (None, (), False)`: 0 and 0.0 equal False, and their defaults must show too
    shown = not info.is_required() and info.default is not None and info.default != ()
    default_text = CLI_DEFAULTS.get(field, info.default if shown else False)
    panel = PANELS.get(field, "Optimization" if field in ("optimizer", "lr", "lr_decay_every", "lr_decay") else "Model and losses")
    if info.annotation is bool:
        option = typer.Option(*_flags(field, spelling), help=help_text, rich_help_panel=panel)
        return inspect.Parameter(spelling, inspect.Parameter.KEYWORD_ONLY, default=False,
                                 annotation=Annotated[bool, option])
    cli_type, metavar = _cli_type(info.annotation)
    required = info.is_required() and field not in CLI_DEFAULTS
    option = typer.Option(*_flags(field, spelling), help=help_text, metavar=metavar, rich_help_panel=panel,
                          show_default=str(default_text) if default_text is not False else False,
                          autocompletion=COMPLETE.get(field))
    default = inspect.Parameter.empty if required else None
    if required:  # e.g. --style: typer then says "Missing option '--style'"
        cli_type = list[typing.get_args(typing.get_args(cli_type)[0])[0]]
    return inspect.Parameter(spelling, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[cli_type, option])


def schema_options(command: Literal["image", "video"]):
    """Decorator: the command gets the schema's options as ``options: dict`` (name -> value or None)."""
    generated = [_parameter(command, f, s) for f, s in command_fields(command).items()]

    def decorate(func):
        hints = typing.get_type_hints(func, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(func).parameters.values() if p.name != "options"]
        names = {p.name for p in own}

        @functools.wraps(func)
        def command_function(**kwargs):
            mine = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
            return func(**mine, options=kwargs)

        params = own + generated
        command_function.__signature__ = inspect.Signature(params)
        command_function.__annotations__ = {p.name: p.annotation for p in params}
        del command_function.__wrapped__  # typer must read our signature, not the original's
        return command_function

    return decorate
