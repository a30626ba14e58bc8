"""Validation during training: the detector's decode and per-box AP50, enough to stop early.

The figures a site reads come from `linli models eval`, which runs the exported ONNX through the
gateway's own detector; this only has to rank epochs against each other.
"""

from __future__ import annotations

import torch
from torchvision.ops import box_iou, nms

IOU_MATCH = 0.5
NMS_IOU = 0.45
MIN_SCORE = 0.05


def decode(pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One [5 + C, H, W] output to corner boxes (0-1), scores and classes, as linli's fastestdet decoder."""
    _, h, w = pred.shape
    obj, reg, cls = pred[0], pred[1:5], pred[5:]
    best, label = cls.max(0)
    score = obj.clamp(min=0) ** 0.6 * best.clamp(min=0) ** 0.4
    gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    cx, cy = (reg[0].tanh() + gx) / w, (reg[1].tanh() + gy) / h
    bw, bh = reg[2].sigmoid(), reg[3].sigmoid()
    boxes = torch.stack((cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2), -1).reshape(-1, 4)
    score, label = score.reshape(-1), label.reshape(-1)
    keep = score >= MIN_SCORE
    boxes, score, label = boxes[keep], score[keep], label[keep]
    kept = nms(boxes, score, NMS_IOU)
    return boxes[kept], score[kept], label[kept]


def average_precision(ranked_tp: list[bool], truths: int) -> float:
    """All-point interpolated AP over score-ranked matches (PASCAL VOC 2010+), as linli's evaluate.ts."""
    if truths == 0:
        return float("nan")
    recall, precision, tp = [0.0], [1.0], 0
    for i, hit in enumerate(ranked_tp):
        tp += hit
        recall.append(tp / truths)
        precision.append(tp / (i + 1))
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    return sum((recall[i] - recall[i - 1]) * precision[i] for i in range(1, len(recall)))


def matches(boxes: torch.Tensor, scores: torch.Tensor, gt: torch.Tensor) -> list[tuple[float, bool]]:
    """Each box, best score first, matched greedily to the unused label it overlaps most (IoU >= 0.5):
    (score, true positive), as linli's evaluate.ts matches them."""
    out: list[tuple[float, bool]] = []
    used: set[int] = set()
    overlaps = box_iou(boxes, gt) if gt.shape[0] and boxes.shape[0] else None
    for i in scores.argsort(descending=True).tolist():
        hit = -1
        if overlaps is not None:
            for j in overlaps[i].argsort(descending=True).tolist():
                if j not in used and overlaps[i, j] >= IOU_MATCH:
                    hit = j
                    break
        if hit >= 0:
            used.add(hit)
        out.append((float(scores[i]), hit >= 0))
    return out


def ap50(preds: torch.Tensor, truths: list[torch.Tensor], cls: int) -> float:
    """AP50 of one class over a batch of outputs and their [K, 5] corner-box labels."""
    scored: list[tuple[float, bool]] = []
    total = 0
    for pred, labels in zip(preds, truths):
        gt = labels[labels[:, 0] == cls][:, 1:5]
        total += gt.shape[0]
        boxes, scores, classes = decode(pred)
        scored += matches(boxes[classes == cls], scores[classes == cls], gt)
    scored.sort(key=lambda s: -s[0])
    return average_precision([tp for _, tp in scored], total)
