"""The trained network to ONNX in the layout linli's `fastestdet` decoder reads: [1, 5 + C, H/16, W/16]."""

from __future__ import annotations

from pathlib import Path

import onnx
import torch

from .model import FastestDet

INPUT_NAME = "input"
OUTPUT_NAME = "output"


def export_onnx(model: FastestDet, path: Path, width: int, height: int) -> None:
    model.eval()
    dummy = torch.zeros(1, 3, height, width)
    tmp = path.with_suffix(".onnx.part")
    # opset 11: what the base model ships as, and what onnxruntime has run the longest
    torch.onnx.export(model, dummy, str(tmp), opset_version=11, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(tmp)))
    tmp.replace(path)
