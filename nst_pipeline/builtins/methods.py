"""Built-in methods, declared through the public ``nst_methods`` hook."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..specs import MethodSpec


def _gatys(ctx):
    from ..gatys.method import GatysMethod  # torch only when a run builds it

    return GatysMethod(ctx)


@hookimpl
def nst_methods():
    return [
        MethodSpec("gatys", _gatys, "optimize the image against backbone features (Gatys et al. 2015): "
                   "best quality, seconds to minutes per frame"),
    ]
