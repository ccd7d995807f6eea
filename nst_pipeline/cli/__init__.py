"""The ``nst`` command. Only this package prints; the core reports through callbacks."""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
