"""One exception family for problems the user can fix.

The CLI prints the message of an :class:`NSTError` without a traceback and exits
non-zero; every other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class NSTError(Exception):
    """A problem with the user's input, options or environment."""

    exit_code = 2


class InputError(NSTError):
    """An input file is missing, unreadable, corrupt or unsuitable."""


class OutputError(NSTError):
    """The output cannot be written where the user asked."""


class ConfigError(NSTError):
    """An option value or a name (backbone, loss, optimizer, ...) is invalid."""


class WeightsError(NSTError):
    """Model weights are missing, corrupt or cannot be fetched."""


class PluginError(NSTError):
    """A plugin is broken or conflicts with another one."""


class Interrupted(NSTError):
    """The user stopped the job (Ctrl-C); finished work was kept."""

    exit_code = 130


class NSTWarning(UserWarning):
    """Something the user should know that does not stop the job (unverified weights, a loss
    term with no gradient). The core warns; the CLI prints ``warning: MESSAGE``."""


def unknown_name_message(label: str, name: str, valid) -> str:
    """``unknown backbone 'vg19'. Did you mean 'vgg19'? Available: ...`` (used wherever a name is looked up)."""
    import difflib

    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {label} {name!r}.{hint} Available: {', '.join(valid) or '(none)'}."
