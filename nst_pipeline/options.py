"""Parse ``key=value`` plugin options from the command line into a plugin's pydantic model."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from pydantic import ValidationError

from .errors import ConfigError
from .specs import PluginOptions


def parse_value(raw: str, annotation) -> object:
    if "list" in str(annotation) or "tuple" in str(annotation):
        try:
            value = json.loads(raw)
            if isinstance(value, list):
                return value
        except ValueError:
            pass
        return [v.strip() for v in raw.split(",") if v.strip()]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def build_options(model: type[PluginOptions], pairs: Iterable[tuple[str, str]] | dict, owner: str) -> PluginOptions:
    """Validate options for ``owner`` (e.g. "loss 'style'"); unknown keys name the valid ones."""
    raw = dict(pairs) if not isinstance(pairs, dict) else pairs
    fields = model.model_fields
    unknown = [k for k in raw if k not in fields]
    if unknown:
        valid = ", ".join(fields) or "(none)"
        raise ConfigError(f"unknown option {unknown[0]!r} for {owner}; valid options: {valid}")
    values = {k: parse_value(v, fields[k].annotation) if isinstance(v, str) else v for k, v in raw.items()}
    try:
        options = model(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"bad value for option {key!r} of {owner}: {err['msg']}") from None
    for key in raw:  # pydantic takes "nan" and "inf" for a float; no option means them
        if not _finite(getattr(options, key, None)):
            raise ConfigError(f"bad value for option {key!r} of {owner}: {raw[key]!r} is not a finite number")
    return options


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return True


def split_pairs(items: Iterable[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        if "=" not in item:
            raise ConfigError(f"{what} {item!r} must look like key=value")
        key, value = item.split("=", 1)
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_loss_selection(item: str) -> tuple[str, float | None]:
    """``"style:1e4"`` -> ``("style", 10000.0)``; ``"style"`` -> ``("style", None)``."""
    name, _, weight = item.partition(":")
    if not weight:
        return name.strip(), None
    try:
        value = float(weight)
    except ValueError:
        raise ConfigError(f"loss {item!r}: weight {weight!r} is not a number (use NAME or NAME:WEIGHT)") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"loss {item!r}: weight must be a finite number >= 0")
    return name.strip(), value
