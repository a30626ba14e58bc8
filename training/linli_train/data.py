"""The training spec linli's `models train` writes, and the frames it names, decoded once.

Labels are parsed and checked on the TypeScript side (gateway/detector/labels/): here every box is
already a class index into the spec's classes and a corner box in 0-1 of its image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

# Frames are kept at this size: small enough for all of them to stay in memory, large enough that a
# zoomed crop still has the detail of the model's 352x352 input. JPEG decodes straight to about half
# size (libjpeg DCT scaling), which is most of the decoding cost saved.
CACHE_WIDTH = 960
CACHE_HEIGHT = 540


@dataclass(frozen=True)
class Frame:
    name: str
    #: uint8 RGB [3, CACHE_HEIGHT, CACHE_WIDTH]; the frame is stretched, as the detector stretches it
    pixels: torch.Tensor
    #: float [K, 5]: class, x1, y1, x2, y2 (0-1 of the frame)
    boxes: torch.Tensor


@dataclass(frozen=True)
class Spec:
    base_weights: Path
    base_labels: list[str]
    classes: list[str]
    init_from: dict[str, str]
    input_width: int
    input_height: int
    bgr: bool
    divide_by: float
    train: list[dict]
    val: list[dict]
    seed: int
    max_epochs: int
    max_seconds: float
    patience: int
    threads: int
    batch_size: int
    learning_rate: float
    out_onnx: Path
    out_weights: Path
    #: the score threshold the model ships with, at which the verifier is judged
    threshold: float
    #: where the crop verifier goes when it pays; None: train the detector only
    out_verifier: Path | None


def read_spec(path: Path) -> Spec:
    raw = json.loads(path.read_text(encoding="utf8"))
    base, inp, out = raw["base"], raw["input"], raw["out"]
    return Spec(
        base_weights=Path(base["weights"]),
        base_labels=list(base["labels"]),
        classes=list(raw["classes"]),
        init_from=dict(raw.get("initFrom", {})),
        input_width=int(inp["width"]),
        input_height=int(inp["height"]),
        bgr=inp["channels"] == "bgr",
        divide_by=float(inp["divideBy"]),
        train=list(raw["train"]),
        val=list(raw["val"]),
        seed=int(raw["seed"]),
        max_epochs=int(raw["maxEpochs"]),
        max_seconds=float(raw["maxSeconds"]),
        patience=int(raw["patience"]),
        threads=int(raw["threads"]),
        batch_size=int(raw["batchSize"]),
        learning_rate=float(raw["learningRate"]),
        out_onnx=Path(out["onnx"]),
        out_weights=Path(out["weights"]),
        threshold=float(raw.get("threshold", 0.5)),
        out_verifier=Path(out["verifier"]) if out.get("verifier") else None,
    )


def load_frame(entry: dict) -> Frame:
    path = Path(entry["image"])
    with Image.open(path) as image:
        image.draft("RGB", (CACHE_WIDTH, CACHE_HEIGHT))
        rgb = image.convert("RGB").resize((CACHE_WIDTH, CACHE_HEIGHT), Image.BILINEAR, reducing_gap=None)
        pixels = torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8).reshape(CACHE_HEIGHT, CACHE_WIDTH, 3).permute(2, 0, 1).contiguous()
    boxes = torch.tensor(entry["boxes"], dtype=torch.float32).reshape(-1, 5)
    return Frame(name=path.name, pixels=pixels, boxes=boxes)


def to_input(rgb: torch.Tensor, spec: Spec) -> torch.Tensor:
    """[B, 3, H, W] RGB in 0-1 to the model's input contract (channel order, scale)."""
    x = rgb.flip(1) if spec.bgr else rgb
    return x * (255.0 / spec.divide_by)


def targets_of(boxes: list[torch.Tensor]) -> torch.Tensor:
    """Per-image corner boxes to the loss's [M, 6] rows: image index, class, cx, cy, w, h."""
    rows = []
    for i, b in enumerate(boxes):
        if b.shape[0] == 0:
            continue
        cxcy = (b[:, 1:3] + b[:, 3:5]) / 2
        wh = b[:, 3:5] - b[:, 1:3]
        rows.append(torch.cat((torch.full((b.shape[0], 1), float(i)), b[:, :1], cxcy, wh), 1))
    return torch.cat(rows) if rows else torch.zeros((0, 6))
