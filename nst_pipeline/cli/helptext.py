"""Help that reads well, and shell completion of plugin names.

Typer 0.29 (which vendors its own click) labels every parameter with its Python
annotation: flags read ``--original-colors <bool>`` and ``--help <bool>`` as if they
took a value, repeatable options read ``<list[Path]>``, and a required argument
shows as ``{content}`` in the usage line. :class:`ReadableGroup` (the ``cls`` of
every Typer app here) relabels the parameters of all commands under it: flags get
no value placeholder, values get PATH, INT, FLOAT or TEXT (choices list their
values), arguments are upper case and unbracketed in usage lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from typer.core import TyperArgument, TyperGroup, TyperOption

TYPE_NAMES = {Path: "PATH", int: "INT", float: "FLOAT", str: "TEXT"}


def type_label(param) -> str:
    """PATH / INT / FLOAT / TEXT, ``a|b|c`` for choices, "" for a flag."""
    if getattr(param, "is_flag", False):
        return ""
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(c) for c in desc.choices or ())
    annotation = desc.annotation
    if desc.is_list:
        args = getattr(annotation, "__args__", ())
        annotation = args[0] if args else str
    if desc.is_path:
        return "PATH"
    return TYPE_NAMES.get(annotation, "TEXT")


def relabel(param) -> None:
    if isinstance(param, TyperArgument):
        if param.metavar is None:
            param.metavar = (param.name or "ARG").upper()  # the name in usage lines and errors
        label = type_label(param)
        param.display_type_rich = lambda ctx: label        # the type column (metavar is the name here)
    elif isinstance(param, TyperOption):
        if param.name in ("install_completion", "show_completion"):
            param.metavar = "[SHELL]"  # typer's own options: an optional shell name
        elif param.metavar is None:
            param.metavar = type_label(param)
        if isinstance(param.show_default, str):
            # a default given as text (the CLI reads defaults from the schema) reads
            # [default: 512], not typer's [default: (512)]
            text = param.show_default
            param._get_default_string = lambda *args, **kwargs: text


def _help_flag(command, get_help_option):
    def get(ctx):
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""  # --help is a flag
        return option

    return get


def _plain_usage(collect_usage_pieces):
    def collect(ctx) -> list[str]:
        # typer writes a required argument as {NAME}; usage lines conventionally say NAME
        return [re.sub(r"^\{(.+)\}", r"\1", piece) for piece in collect_usage_pieces(ctx)]

    return collect


def polish(command) -> None:
    """Relabel ``command`` and every command under it, in place (typer builds the command
    objects itself, so the two methods are replaced on the objects, not their classes)."""
    for param in command.params:
        relabel(param)
    if not getattr(command, "_nst_polished", False):
        command.get_help_option = _help_flag(command, command.get_help_option)
        command.collect_usage_pieces = _plain_usage(command.collect_usage_pieces)
        command._nst_polished = True
    for sub in getattr(command, "commands", {}).values():
        polish(sub)


class ReadableGroup(TyperGroup):
    """``typer.Typer(cls=ReadableGroup)``: help that reads well for the group and all its commands."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        polish(self)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:  # typer adds the completion options after the group is built
            relabel(param)
        return params


# -- completion of plugin names (registry names: cheap, the specs import nothing heavy) --------

def _names(kind: str, incomplete: str) -> list[str]:
    try:
        from ..registry import get_registry

        names = [spec.name for spec in get_registry().specs(kind)]
    except Exception:  # a broken plugin set must not break the shell
        return []
    return sorted(n for n in names if n.startswith(incomplete))


def complete_backbone(incomplete: str) -> list[str]:
    return _names("backbone", incomplete)


def complete_loss(incomplete: str) -> list[str]:
    # --loss NAME[:WEIGHT]: complete the name part
    return _names("loss", incomplete)


def complete_method(incomplete: str) -> list[str]:
    return _names("method", incomplete)
