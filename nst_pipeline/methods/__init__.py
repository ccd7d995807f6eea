"""Methods: how a frame gets stylized (the ``nst_methods`` hook)."""
