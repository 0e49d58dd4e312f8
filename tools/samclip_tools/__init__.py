"""samclip-tools: reference SAM-CLIP in PyTorch, checkpoint loaders and the ONNX bundle exporter."""

__version__ = "0.1.0"
