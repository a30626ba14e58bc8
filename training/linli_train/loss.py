"""FastestDet's training loss, after the published design (github.com/dog-qiuqiu/FastestDet):

- a labelled box is assigned to the grid cell holding its centre and the three cells right of and
  below it (each can reach the centre, since a cell predicts its centre within +-1 cell);
- of those, the cells whose predicted box overlaps the label at least as well as their average
  (SIoU) are the positives;
- box loss: 1 - SIoU; class loss: negative log-likelihood of the softmax; objectness: towards the
  positive's IoU ("IoU-aware", so objectness ranks boxes by how well they fit) and towards 0
  elsewhere, with the few positive cells weighted up to balance the many background cells.

Objectness is learnt by binary cross-entropy, as YOLOv5 learns it, not by FastestDet's smooth L1.
On the sigmoid's output, smooth L1 hardly pushes down a background cell that scores 0.3 (its
gradient at the logit is 0.3 x 0.21; cross-entropy's is 0.3), which COCO's 118,000 images make up
for and a site's few dozen frames do not: fine-tuned on 31 frames of lift-cctv-89, the posters and
button panels of the car kept scoring 0.3-0.8, and held-back AP50 was 0.24 and 0.22 with smooth L1
against 0.36 and 0.87 with cross-entropy (seeds 1 and 2, 40 epochs; docs/training.md).
"""

from __future__ import annotations

import math

import torch
from torch import nn

BOX_WEIGHT = 8.0
#: cross-entropy is about as large on a background cell as its score, where smooth L1 was half its
#: square: a quarter of FastestDet's 16 keeps the three terms in about their published proportions
OBJ_WEIGHT = 4.0
CLS_WEIGHT = 1.0
BACKGROUND_WEIGHT = 0.75
POSITIVE_WEIGHT = 0.25

NEIGHBOURS = torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]])


def siou(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """SIoU (arXiv:2205.12740) of [N, 4] centre-size boxes: IoU less angle-aware distance and shape costs."""
    p1, p2 = pred[:, :2] - pred[:, 2:] / 2, pred[:, :2] + pred[:, 2:] / 2
    t1, t2 = target[:, :2] - target[:, 2:] / 2, target[:, :2] + target[:, 2:] / 2
    inter = (torch.min(p2, t2) - torch.max(p1, t1)).clamp(min=0).prod(1)
    pw, ph = pred[:, 2], pred[:, 3] + eps
    tw, th = target[:, 2], target[:, 3] + eps
    iou = inter / (pw * ph + tw * th - inter + eps)

    hull = torch.max(p2, t2) - torch.min(p1, t1)
    offset = target[:, :2] - pred[:, :2]
    sigma = offset.norm(dim=1) + eps
    sin_x, sin_y = offset[:, 0].abs() / sigma, offset[:, 1].abs() / sigma
    sin_alpha = torch.where(sin_x > math.sqrt(2) / 2, sin_y, sin_x)
    angle_cost = torch.cos(2 * torch.arcsin(sin_alpha.clamp(max=1)) - math.pi / 2)
    gamma = angle_cost - 2
    rho = (offset / (hull + eps)) ** 2
    distance_cost = 2 - torch.exp(gamma * rho[:, 0]) - torch.exp(gamma * rho[:, 1])
    omega_w = (pw - tw).abs() / torch.max(pw, tw)
    omega_h = (ph - th).abs() / torch.max(ph, th)
    shape_cost = (1 - torch.exp(-omega_w)) ** 4 + (1 - torch.exp(-omega_h)) ** 4
    return iou - 0.5 * (distance_cost + shape_cost)


def predicted_boxes(reg: torch.Tensor, gx: torch.Tensor, gy: torch.Tensor, w: int, h: int) -> torch.Tensor:
    """The decode linli's detector applies, in grid units: centre cell + tanh, size sigmoid x grid."""
    return torch.stack((reg[:, 0].tanh() + gx, reg[:, 1].tanh() + gy, reg[:, 2].sigmoid() * w, reg[:, 3].sigmoid() * h), 1)


class FastestDetLoss(nn.Module):
    def forward(self, preds: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """preds [N, 5 + C, H, W]; targets [M, 6]: image index, class, cx, cy, w, h (0-1 of the image)."""
        n, _, h, w = preds.shape
        pred = preds.permute(0, 2, 3, 1)
        pobj, preg, pcls = pred[..., 0], pred[..., 1:5], pred[..., 5:]
        tobj = torch.zeros_like(pobj)
        weight = torch.full_like(pobj, BACKGROUND_WEIGHT)
        box_loss = preds.new_zeros(())
        cls_loss = preds.new_zeros(())

        if targets.shape[0] > 0:
            scale = targets.new_tensor([w, h, w, h])
            gt = targets[:, 2:] * scale
            # every label x its four candidate cells
            cells = gt[:, None, :2].long() + NEIGHBOURS[None]
            label = torch.arange(targets.shape[0])[:, None].expand(-1, 4)
            inside = (cells[..., 0] >= 0) & (cells[..., 0] < w) & (cells[..., 1] >= 0) & (cells[..., 1] < h)
            cells, label = cells[inside], label[inside]
            b = targets[label, 0].long()
            gx, gy = cells[:, 0], cells[:, 1]
            iou = siou(predicted_boxes(preg[b, gy, gx], gx, gy, w, h), gt[label])

            # positives: per label, the candidate cells at least as good as that label's average
            mean = torch.zeros(targets.shape[0]).index_add_(0, label, iou.detach()) / torch.bincount(label, minlength=targets.shape[0]).clamp(min=1)
            keep = iou.detach() >= mean[label] - 1e-6
            b, gx, gy, iou, label = b[keep], gx[keep], gy[keep], iou[keep], label[keep]

            box_loss = (1.0 - iou).mean()
            cls_loss = nn.functional.nll_loss(torch.log(pcls[b, gy, gx].clamp(min=1e-9)), targets[label, 1].long())
            tobj[b, gy, gx] = iou.detach().clamp(0, 1)
            positives = torch.bincount(b, minlength=n).float()
            weight[b, gy, gx] = POSITIVE_WEIGHT * (h * w) / positives[b]

        # the head's sigmoid is inside the model (the ONNX outputs it), so the loss takes probabilities
        obj_loss = (nn.functional.binary_cross_entropy(pobj.clamp(1e-6, 1 - 1e-6), tobj, reduction="none") * weight).mean()
        total = BOX_WEIGHT * box_loss + OBJ_WEIGHT * obj_loss + CLS_WEIGHT * cls_loss
        return {"box": box_loss.detach(), "obj": obj_loss.detach(), "cls": cls_loss.detach(), "total": total}
