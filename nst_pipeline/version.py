"""The package version, in a module of its own: code inside the package reads it from here, not
from ``nst_pipeline/__init__`` (which lazily reaches the whole API)."""

__version__ = "0.1.0"
