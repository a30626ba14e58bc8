"""The second stage: a crop classifier behind the detector that answers, for each box the detector
calls an e-bike, "is this one?".

The detector is fine-tuned on e-bike boxes, so its class head says "e-bike" for nearly everything it
finds and its score is mostly objectness: a pedal bicycle or a stroller in the same place scores
like an e-bike (measured on lift-cctv-89: a held-back pedal bicycle at 0.76-0.81, e-bikes at
0.63-0.87), and so do posters and button panels where the detector is still weak. The verifier is trained on what the detector itself gets wrong: its e-bike calls on
look-alikes and on frames staff marked "no e-bike", against its calls on labelled e-bikes. It sees a
crop of the detector's own input (no second JPEG decode in the gateway), with some context around
the box, and the gateway combines both scores (see gateway/detector/verifier.ts).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import box_iou, roi_align

from .augment import augment, plain
from .data import Frame, Spec, to_input
from .export import INPUT_NAME, OUTPUT_NAME
from .metrics import average_precision, decode, matches
from .model import ShuffleNetV2

#: the crop's side in pixels, and the margin added around the box on each side (share of its size):
#: the gateway reads both from the manifest, so they are only the defaults of a new model
CROP_SIZE = 96
CONTEXT = 0.15
#: a detector box overlapping a labelled e-bike this much is one; below NEGATIVE_IOU with every
#: e-bike it is not; in between it is ambiguous and not used
POSITIVE_IOU = 0.5
NEGATIVE_IOU = 0.3
#: a call lying this much inside an e-bike box is on part of it (a wheel, the seat): not a negative
PART_COVER = 0.5
#: detector e-bike calls from this score up are mined: the gateway verifies calls from
#: threshold squared up (0.25 at 0.5), since the combined score cannot pass the threshold below that
MINE_SCORE = 0.25
#: augmented views of each training frame the detector is run on, fewer on a large folder so that
#: mining stays within about VIEW_BUDGET detector runs
VIEWS = 24
VIEW_BUDGET = 3000
#: mining stops after this long even short of its views (a busy machine), and fitting after FIT_SECONDS
MINE_SECONDS = 90.0
FIT_SECONDS = 120.0
#: a frame without an e-bike (labelled so, or released by staff as a false hold) shows the look-alikes
#: the guard must never hold for; there are few of them, and each of their calls is a lesson
CLEAN_FRAME_WEIGHT = 4.0
STEPS = 400
BATCH = 48
LEARNING_RATE = 1e-3


@dataclass(frozen=True)
class Crops:
    #: [N, 3, CROP_SIZE, CROP_SIZE] RGB bytes: 9,000 crops are 250 MB so, 1 GB as floats
    images: torch.Tensor
    labels: torch.Tensor  # [N] 1 e-bike, 0 not
    #: [N] 1, or CLEAN_FRAME_WEIGHT for a crop of a frame without an e-bike
    weights: torch.Tensor


class Verifier(nn.Module):
    """ShuffleNetV2 features, pooled, to one logit; exported with the sigmoid, as p(e-bike)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = ShuffleNetV2()
        self.head = nn.Linear(ShuffleNetV2.STAGE_CHANNELS[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x)[2].mean((2, 3)))[:, 0]


class _Exported(nn.Module):
    def __init__(self, verifier: Verifier) -> None:
        super().__init__()
        self.verifier = verifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.verifier(x))


def crop_boxes(image: torch.Tensor, boxes: torch.Tensor, size: int, context: float) -> torch.Tensor:
    """Crops of one [3, H, W] image at corner boxes in pixels, widened by `context` and clipped to
    the image, each stretched to size x size. roi_align with one sample per output pixel is
    bilinear sampling at the pixel centres, which gateway/detector/verifier.ts does the same way."""
    if boxes.shape[0] == 0:
        return torch.zeros((0, 3, size, size))
    _, h, w = image.shape
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    wide = torch.stack((
        (boxes[:, 0] - context * bw).clamp(0, w), (boxes[:, 1] - context * bh).clamp(0, h),
        (boxes[:, 2] + context * bw).clamp(0, w), (boxes[:, 3] + context * bh).clamp(0, h),
    ), 1)
    rois = torch.cat((torch.zeros((boxes.shape[0], 1)), wide), 1)
    return roi_align(image[None], rois, output_size=size, spatial_scale=1.0, sampling_ratio=1, aligned=True)


def _ebike_calls(detector: nn.Module, image: torch.Tensor, spec: Spec, ebike: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The detector's e-bike calls on one view: corner boxes (0-1) and scores."""
    with torch.no_grad():
        boxes, scores, classes = decode(detector(to_input(image[None], spec))[0])
    keep = classes == ebike
    return boxes[keep], scores[keep]


def _covered(calls: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Per call, the largest share of its area that lies inside one labelled box."""
    x1 = torch.max(calls[:, None, 0], truth[None, :, 0])
    y1 = torch.max(calls[:, None, 1], truth[None, :, 1])
    x2 = torch.min(calls[:, None, 2], truth[None, :, 2])
    y2 = torch.min(calls[:, None, 3], truth[None, :, 3])
    inter = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    area = ((calls[:, 2] - calls[:, 0]) * (calls[:, 3] - calls[:, 1])).clamp(min=1e-9)
    return (inter / area[:, None]).max(1).values


def _to_pixels(boxes: torch.Tensor, spec: Spec) -> torch.Tensor:
    return boxes * torch.tensor([spec.input_width, spec.input_height, spec.input_width, spec.input_height])


def mine(detector: nn.Module, frames: list[Frame], spec: Spec, ebike: int, rng: random.Random, noise: torch.Generator) -> Crops:
    """Positives: labelled e-bikes and the detector's calls on them. Negatives: labelled look-alikes
    and the detector's e-bike calls that are on no e-bike, so that the verifier learns exactly the
    mistakes the detector makes on this site."""
    detector.eval()
    views = max(4, min(VIEWS, VIEW_BUDGET // max(1, len(frames))))
    started = time.monotonic()
    images: list[torch.Tensor] = []
    labels: list[torch.Tensor] = []
    weights: list[torch.Tensor] = []
    # view by view across all frames, so a time limit leaves every frame with as many views
    for v in range(views):
        if v > 0 and time.monotonic() - started > MINE_SECONDS:
            break
        for frame in frames:
            weight = 1.0 if bool((frame.boxes[:, 0] == ebike).any()) else CLEAN_FRAME_WEIGHT
            image, boxes = (plain(frame.pixels, spec.input_height, spec.input_width), frame.boxes) if v == 0 else augment(frame.pixels, frame.boxes, spec.input_height, spec.input_width, rng, noise)
            calls, scores = _ebike_calls(detector, image, spec, ebike)
            calls = calls[scores >= MINE_SCORE]
            truth = boxes[boxes[:, 0] == ebike][:, 1:5]
            others = boxes[boxes[:, 0] != ebike][:, 1:5]
            if truth.shape[0] and calls.shape[0]:
                best = box_iou(calls, truth).max(1).values
                # a call on part of an e-bike (a wheel, the seat) is no look-alike: not a negative
                inside = _covered(calls, truth)
                positive, negative = calls[best >= POSITIVE_IOU], calls[(best < NEGATIVE_IOU) & (inside < PART_COVER)]
            else:
                positive, negative = calls[:0], calls
            for group, label in ((truth, 1), (positive, 1), (others, 0), (negative, 0)):
                if group.shape[0]:
                    images.append((crop_boxes(image, _to_pixels(group, spec), CROP_SIZE, CONTEXT) * 255).round().to(torch.uint8))
                    labels.append(torch.full((group.shape[0],), float(label)))
                    weights.append(torch.full((group.shape[0],), weight))
    if not images:
        return Crops(torch.zeros((0, 3, CROP_SIZE, CROP_SIZE), dtype=torch.uint8), torch.zeros(0), torch.zeros(0))
    return Crops(torch.cat(images), torch.cat(labels), torch.cat(weights))


def _train_mode(model: nn.Module) -> None:
    # batch norm stays at the detector's statistics, as in the detector's own fine-tuning
    model.train()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()


def fit(crops: Crops, backbone: dict[str, torch.Tensor], spec: Spec, rng: random.Random, max_seconds: float = FIT_SECONDS) -> Verifier:
    """Trains from the detector's backbone (already at home in this camera's pictures), with the
    two classes weighted equally however few look-alikes there are."""
    verifier = Verifier()
    verifier.backbone.load_state_dict(backbone)
    _train_mode(verifier)
    positive = crops.labels > 0.5
    # each class weighs as much as the other in total, however few look-alikes there are
    balance = torch.where(positive, crops.weights[~positive].sum() / crops.weights[positive].sum().clamp(min=1e-9), torch.ones(()))
    weights = crops.weights * balance
    optimizer = torch.optim.Adam(verifier.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    started = time.monotonic()
    count = crops.labels.shape[0]
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * step / STEPS))
        batch = torch.tensor([rng.randrange(count) for _ in range(min(BATCH, count))])
        x = crops.images[batch].float() / 255
        if rng.random() < 0.5:
            x = x.flip(3)
        logits = verifier(to_input(x, spec))
        loss = F.binary_cross_entropy_with_logits(logits, crops.labels[batch], weight=weights[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if time.monotonic() - started > max_seconds:
            break
    verifier.eval()
    return verifier


def combine(detector_score: torch.Tensor, verifier_score: torch.Tensor) -> torch.Tensor:
    """The geometric mean: both must agree, and a threshold keeps its meaning (0.5 and 0.5 is 0.5)."""
    return (detector_score.clamp(min=0) * verifier_score.clamp(min=0)).sqrt()


@dataclass(frozen=True)
class Judged:
    ap50: float
    found: int  # frames with an e-bike that have an e-bike call at the threshold
    ebike_frames: int
    flagged: int  # frames without an e-bike that have one
    clean_frames: int


def judge(detector: nn.Module, verifier: Verifier | None, frames: list[Frame], spec: Spec, ebike: int, threshold: float) -> Judged:
    """Per-box AP50 and the guard's per-frame view, with or without the verifier."""
    ranked: list[tuple[float, bool]] = []
    truths = found = flagged = ebike_frames = 0
    detector.eval()
    for frame in frames:
        image = plain(frame.pixels, spec.input_height, spec.input_width)
        calls, scores = _ebike_calls(detector, image, spec, ebike)
        if verifier is not None and calls.shape[0]:
            with torch.no_grad():
                checked = torch.sigmoid(verifier(to_input(crop_boxes(image, _to_pixels(calls, spec), CROP_SIZE, CONTEXT), spec)))
            scores = combine(scores, checked)
        truth = frame.boxes[frame.boxes[:, 0] == ebike][:, 1:5]
        truths += truth.shape[0]
        has_ebike = truth.shape[0] > 0
        ebike_frames += has_ebike
        called = bool((scores >= threshold).any())
        found += has_ebike and called
        flagged += (not has_ebike) and called
        ranked += matches(calls, scores, truth)
    ranked.sort(key=lambda r: -r[0])
    return Judged(average_precision([tp for _, tp in ranked], truths), found, ebike_frames, flagged, len(frames) - ebike_frames)


def pays(alone: Judged, verified: Judged) -> bool:
    """The verifier is kept only where it measurably helps on the validation frames: it may not lose
    an e-bike frame, and it must flag fewer frames without one, or rank the boxes better."""
    if verified.found < alone.found:
        return False
    if verified.flagged < alone.flagged:
        return True
    ap_alone = -1.0 if math.isnan(alone.ap50) else alone.ap50
    return verified.flagged == alone.flagged and verified.ap50 > ap_alone + 1e-9


def export_verifier(verifier: Verifier, path, size: int = CROP_SIZE) -> None:
    import onnx

    wrapped = _Exported(verifier).eval()
    tmp = path.with_suffix(".onnx.part")
    torch.onnx.export(
        wrapped, torch.zeros(1, 3, size, size), str(tmp), opset_version=11, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "crops"}, OUTPUT_NAME: {0: "crops"}}, do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(str(tmp)))
    tmp.replace(path)


