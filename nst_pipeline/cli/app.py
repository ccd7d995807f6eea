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


def _register_commands() -> None:
    """Every command, registered here in one way; command modules never import this one."""
    if _registered:
        return
    from .demo import demo_command
    from .evaluate import eval_app
    from .export import export_app
    from .image import image_command
    from .plugins import plugins_app
    from .video import video_command

    app.command("image")(image_command)
    app.command("video")(video_command)
    app.command("demo")(demo_command)
    app.add_typer(export_app, name="export")
    app.add_typer(eval_app, name="eval")
    app.add_typer(plugins_app, name="plugins")
    _registered.append(True)


_registered: list[bool] = []


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
    _register_commands()
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
    sys.exit(main())
