"""ONNX: export a frozen feature extractor, run it forward-only through onnxruntime.

* :mod:`.export`  -- backbone -> checked, verified ``.onnx`` file with metadata
* :mod:`.runtime` -- an onnxruntime session wrapped as an encoder ``(image, layers) -> features``
* :mod:`.targets` -- ``--targets onnx|auto``: who computes the forward-only targets
"""
