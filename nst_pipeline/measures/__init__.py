"""Measures of a finished picture beside the feature distances of :mod:`nst_pipeline.scoring`:
how far its colours are from the painting's (:mod:`.palette`), whether it pastes pieces of the
painting (:mod:`.copying`), and a contact sheet to look at them (:mod:`.sheet`). numpy and Pillow
only: the features come from any encoder (torch or ONNX)."""
