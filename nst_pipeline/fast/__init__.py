"""The ``fast`` method's engine: feed-forward arbitrary stylization (Ghiasi et al. 2017).

Magenta's arbitrary-image-stylization network in two ONNX files (a style-prediction
network that turns a painting into a 100-number embedding, and a transfer network
that paints a photo with an embedding), run through onnxruntime. Nothing here imports
torch: a fast-path run pays for onnxruntime, numpy and Pillow only.
"""
