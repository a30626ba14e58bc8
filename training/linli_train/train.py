"""The fine-tuning loop: seeded, time-bounded, stopped early on the validation split."""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable

import torch

from .augment import augment, plain
from .data import Frame, Spec, load_frame, targets_of, to_input
from .export import export_onnx
from .loss import FastestDetLoss
from .metrics import ap50
from .model import from_base
from . import verifier as second_stage

Report = Callable[[dict], None]

WARMUP_EPOCHS = 3
GRADIENT_CLIP = 10.0
#: weight of the running average per step; with 4-5 steps an epoch it spans about ten epochs
EMA_DECAY = 0.98


def _first_validated_epoch(steps_per_epoch: int) -> int:
    """Validation starts once warm-up is over and the running average has forgotten the base model
    (1 / (1 - EMA_DECAY) steps): before that the averaged weights are mostly the base's, and on 8
    validation frames an early epoch can win by chance and be kept (measured on lift-cctv-89: epoch 4
    of 40 kept at validation AP50 0.60, held-back AP50 0.43, where later epochs reach 0.8)."""
    return max(WARMUP_EPOCHS, math.ceil(1 / (1 - EMA_DECAY) / steps_per_epoch))


def _seed(seed: int) -> tuple[random.Random, torch.Generator]:
    random.seed(seed)
    torch.manual_seed(seed)
    noise = torch.Generator()
    noise.manual_seed(seed)
    return random.Random(seed), noise


def _batches(count: int, size: int, rng: random.Random) -> list[list[int]]:
    """One epoch of batches, each full: the last one is topped up from a fresh shuffle, since
    batch norm learns little from a batch of one or two."""
    order = list(range(count))
    rng.shuffle(order)
    steps = max(1, math.ceil(count / size))
    while len(order) < steps * size:
        extra = list(range(count))
        rng.shuffle(extra)
        order += extra
    return [order[i * size : (i + 1) * size] for i in range(steps)]


def _learning_rate(spec: Spec, epoch: int, step: int, steps: int) -> float:
    progress = epoch + step / steps
    if progress < WARMUP_EPOCHS:
        return spec.learning_rate * (0.1 + 0.9 * progress / WARMUP_EPOCHS)
    done = min(1.0, (progress - WARMUP_EPOCHS) / max(1, spec.max_epochs - WARMUP_EPOCHS))
    return spec.learning_rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * done)))


def _train_mode(model: torch.nn.Module) -> None:
    """Training mode with batch norm frozen at the base model's statistics: batches of eight
    augmented frames of one camera are no estimate of them, and statistics learnt from augmented
    batches do not fit the plain frames the exported model sees (measured: AP50 0.32 with batch
    statistics, 0.08 with the running ones, on the same training frames)."""
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()


class _Average:
    """An exponential moving average of the weights. On a few dozen frames each step moves the
    model a long way and validation AP50 swings from epoch to epoch; the average is what is
    validated, kept and exported."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = copy.deepcopy(model)
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for avg, p in zip(self.model.parameters(), model.parameters()):
            avg.mul_(EMA_DECAY).add_(p.detach(), alpha=1 - EMA_DECAY)


def _validate(model: torch.nn.Module, frames: list[Frame], spec: Spec, loss_fn: FastestDetLoss) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        images = torch.stack([plain(f.pixels, spec.input_height, spec.input_width) for f in frames])
        preds = model(to_input(images, spec))
        loss = float(loss_fn(preds, targets_of([f.boxes for f in frames]))["total"])
        ebike = ap50(preds, [f.boxes for f in frames], 0)
    _train_mode(model)
    return ebike, loss


def train(spec: Spec, report: Report) -> dict:
    torch.set_num_threads(spec.threads)
    rng, noise = _seed(spec.seed)
    started = time.monotonic()

    train_frames = [load_frame(e) for e in spec.train]
    val_frames = [load_frame(e) for e in spec.val]
    report({"event": "loaded", "train": len(train_frames), "val": len(val_frames), "seconds": round(time.monotonic() - started, 1)})

    state = torch.load(spec.base_weights, map_location="cpu")
    if not isinstance(state, dict):
        raise ValueError(f"{spec.base_weights} is not a PyTorch state dict")
    model = from_base(state, spec.base_labels, spec.classes, spec.init_from)
    _train_mode(model)
    loss_fn = FastestDetLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.learning_rate, momentum=0.9, nesterov=True, weight_decay=5e-4)

    average = _Average(model)
    best = {"epoch": -1, "ap50": -1.0, "loss": math.inf}
    best_state = copy.deepcopy(average.model.state_dict())
    stopped = "epochs"
    epoch_seconds: list[float] = []
    first_validated = min(spec.max_epochs - 1, _first_validated_epoch(max(1, math.ceil(len(train_frames) / spec.batch_size))))
    for epoch in range(spec.max_epochs):
        epoch_started = time.monotonic()
        batches = _batches(len(train_frames), spec.batch_size, rng)
        totals = {"box": 0.0, "obj": 0.0, "cls": 0.0, "total": 0.0}
        for step, batch in enumerate(batches):
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(spec, epoch, step, len(batches))
            views = [augment(train_frames[i].pixels, train_frames[i].boxes, spec.input_height, spec.input_width, rng, noise) for i in batch]
            images = torch.stack([v[0] for v in views])
            losses = loss_fn(model(to_input(images, spec)), targets_of([v[1] for v in views]))
            if not torch.isfinite(losses["total"]):
                raise ValueError(f"training diverged (loss {float(losses['total'])}) in epoch {epoch + 1}: try a lower --lr than {spec.learning_rate}")
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            # a few hard augmented views can give one huge step on so few frames; clip it
            torch.nn.utils.clip_grad_norm_(model.parameters(), GRADIENT_CLIP)
            optimizer.step()
            average.update(model)
            for k in totals:
                totals[k] += float(losses[k]) / len(batches)

        val_ap, val_loss = _validate(average.model, val_frames, spec, loss_fn) if epoch >= first_validated else (float("nan"), float("nan"))
        improved = epoch >= first_validated and (val_ap > best["ap50"] + 1e-9 or (abs(val_ap - best["ap50"]) <= 1e-9 and val_loss < best["loss"]))
        if improved:
            best = {"epoch": epoch, "ap50": val_ap, "loss": val_loss}
            best_state = copy.deepcopy(average.model.state_dict())

        epoch_seconds.append(time.monotonic() - epoch_started)
        elapsed = time.monotonic() - started
        recent = sum(epoch_seconds[-5:]) / len(epoch_seconds[-5:])
        remaining_epochs = spec.max_epochs - epoch - 1
        eta = min(remaining_epochs * recent, max(0.0, spec.max_seconds - elapsed))
        report({
            "event": "epoch", "epoch": epoch + 1, "epochs": spec.max_epochs,
            "loss": round(totals["total"], 4), "box": round(totals["box"], 4), "obj": round(totals["obj"], 4), "cls": round(totals["cls"], 4),
            "valAp50": None if math.isnan(val_ap) else round(val_ap, 4), "valLoss": None if math.isnan(val_loss) else round(val_loss, 4),
            "best": best["epoch"] + 1, "lr": round(optimizer.param_groups[0]["lr"], 6),
            "elapsedSeconds": round(elapsed, 1), "etaSeconds": round(eta, 1),
        })
        if epoch >= first_validated and epoch - best["epoch"] >= spec.patience:
            stopped = "early"
            break
        if elapsed + recent > spec.max_seconds:
            stopped = "time"
            break

    if best["epoch"] < 0:
        # the time ran out before validation began: keep what was trained
        best = {"epoch": len(epoch_seconds) - 1, "ap50": float("nan"), "loss": float("nan")}
        best_state = average.model.state_dict()
    model.load_state_dict(best_state)
    spec.out_weights.parent.mkdir(parents=True, exist_ok=True)
    torch.save(best_state, spec.out_weights)
    export_onnx(model, spec.out_onnx, spec.input_width, spec.input_height)
    result = {
        "event": "done", "stopped": stopped, "epochs": len(epoch_seconds), "bestEpoch": best["epoch"] + 1,
        "valAp50": None if math.isnan(best["ap50"]) else round(best["ap50"], 4),
        "seconds": round(time.monotonic() - started, 1), "threads": spec.threads,
    }
    if spec.out_verifier is not None:
        result["verifier"] = _train_verifier(model, train_frames, val_frames, spec, rng, noise, report)
    report(result)
    return result


def _judged(j: second_stage.Judged) -> dict:
    return {"ap50": None if math.isnan(j.ap50) else round(j.ap50, 4), "found": j.found, "ebikeFrames": j.ebike_frames, "flagged": j.flagged, "cleanFrames": j.clean_frames}


def _train_verifier(model: torch.nn.Module, train_frames: list[Frame], val_frames: list[Frame], spec: Spec, rng: random.Random, noise: torch.Generator, report: Report) -> dict:
    """The crop verifier, trained on the finished detector's own calls and kept only if it pays on
    the validation frames (second_stage.pays): the choice is measured for each site, not assumed."""
    started = time.monotonic()
    ebike = spec.classes.index("ebike")
    crops = second_stage.mine(model, train_frames, spec, ebike, rng, noise)
    positives = int(crops.labels.sum())
    negatives = int(crops.labels.shape[0]) - positives
    report({"event": "verifier_mined", "positives": positives, "negatives": negatives, "seconds": round(time.monotonic() - started, 1)})
    outcome = {"kept": False, "positives": positives, "negatives": negatives, "cropSize": second_stage.CROP_SIZE, "context": second_stage.CONTEXT}
    if positives == 0 or negatives == 0:
        return {**outcome, "why": "no e-bike crops" if positives == 0 else "the detector made no e-bike call on anything else: nothing to learn"}
    backbone = {k[len("backbone."):]: v for k, v in model.state_dict().items() if k.startswith("backbone.")}
    verifier = second_stage.fit(crops, backbone, spec, rng)
    alone = second_stage.judge(model, None, val_frames, spec, ebike, spec.threshold)
    verified = second_stage.judge(model, verifier, val_frames, spec, ebike, spec.threshold)
    kept = len(val_frames) > 0 and second_stage.pays(alone, verified)
    if kept:
        second_stage.export_verifier(verifier, spec.out_verifier)
    why = "no validation frames to measure it on" if not val_frames else ("it pays on the validation frames" if kept else "it does not pay on the validation frames")
    return {**outcome, "kept": kept, "why": why, "val": {"alone": _judged(alone), "verified": _judged(verified)}, "seconds": round(time.monotonic() - started, 1)}
