"""The ``gatys`` method: optimize the image itself against backbone features (Gatys, Ecker &
Bethge 2015). ``job`` resolves and loads everything a run needs, ``objective`` sums the loss
terms, ``optimize`` and ``stopping`` run and stop the optimizer, ``stylize`` walks the pyramid,
and ``method`` adapts it all to the run loop's :class:`~nst_pipeline.methods.base.Method`."""
