"""Top-level typer app: sub-commands register here; errors become one line on stderr."""

from __future__ import annotations

import os
import sys

import typer

from ..errors import NSTError
from .helptext import ReadableGroup

app = typer.Typer(
    name="nst",
    help="Neural style transfer (Gatys et al.) for images and video.",
    no_args_is_help=True,
    add_completion=True,       # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    cls=ReadableGroup,         # flags without <bool>, PATH/INT/FLOAT/TEXT, CONTENT in usage lines
    pretty_exceptions_enable=False,
)

DEBUG_ENV = "NST_DEBUG"


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
) -> None:
    if debug:
        os.environ[DEBUG_ENV] = "1"


#: command name -> (module, attribute, is a group of sub-commands)
COMMANDS = {
    "image": (".image", "image_command", False),
    "video": (".video", "video_command", False),
    "demo": (".demo", "demo_command", False),
    "export": (".export", "export_app", True),
    "eval": (".evaluate", "eval_app", True),
    "plugins": (".plugins", "plugins_app", True),
}


def _register_commands(argv: list[str] | None = None) -> None:
    """Register the command ``argv`` names, or every command (help, completion, a typo); command
    modules never import this one. One command only: typer builds the option parsers of every
    registered command on each call, a few percent of a one-second ``--method fast`` run."""
    import importlib

    wanted = _command_in(argv)
    for name, (module, attr, group) in COMMANDS.items():
        if name in _registered or (wanted is not None and name != wanted):
            continue
        target = getattr(importlib.import_module(module, __package__), attr)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
        _registered.append(name)


def _command_in(argv: list[str] | None) -> str | None:
    """The command a call names, when it surely names one; None means register them all."""
    if argv is None or any(k.endswith("_COMPLETE") for k in os.environ):  # shell completion lists them
        return None
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS and "--help" not in argv[:argv.index(first)] else None


_registered: list[str] = []


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0") or "--debug" in sys.argv[1:]


def _print_core_warnings() -> None:
    """The core warns (``NSTWarning``: unverified weights, a loss term with no gradient);
    here each becomes one ``warning: ...`` line. Other warnings keep Python's format."""
    import warnings

    original = warnings.showwarning
    if getattr(original, "nst", False):
        return

    def show(message, category, filename, lineno, file=None, line=None):
        from ..errors import NSTWarning

        if issubclass(category, NSTWarning):
            from .common import console

            console.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)
        else:
            original(message, category, filename, lineno, file, line)

    show.nst = True
    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    _register_commands(sys.argv[1:] if argv is None else argv)
    _print_core_warnings()
    try:
        rc = app(args=argv, standalone_mode=False, prog_name="nst")
    except NSTError as exc:
        if _debug():
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, ...
        if hasattr(exc, "show"):
            exc.show()
        else:
            print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # downstream closed the pipe (e.g. `| head`): not our error
        sys.stderr.close()
        return 1
    return rc if isinstance(rc, int) else 0


def entry() -> None:
    rc = main()
    # The interpreter's last collection walks every object of the ~400 modules a run imports
    # (about 0.05 s of a one-second `--method fast` run); frozen objects are skipped. Nothing
    # here relies on collection at exit: files and pools are closed by the commands.
    import gc

    gc.freeze()
    sys.exit(rc)
