"""Augmentation for fixed, high-mounted lift cameras.

A lift camera never moves, so what changes between frames, lifts and compounds is: the lens
(wide-angle, barrel-distorted, mounted at a slightly different height and angle), the light (the car's
own lamps, a bright landing through the open door, infrared grey at night), focus and motion blur,
where the e-bike stands (half through the door, at the frame's edge) and who stands in front of it.
Each transform here imitates one of those; all draw from one seeded generator, so a run is
reproducible.
"""

from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

#: a box cut by a crop is kept when at least this share of it stays visible; between 0 and this
#: share it would be an ambiguous label, so such a crop is drawn again
MIN_VISIBLE = 0.45


def resize(rgb: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Antialiased bilinear, close to the gateway's sharp resize (libvips reduce, linear kernel)."""
    return F.interpolate(rgb[None], size=(height, width), mode="bilinear", align_corners=False, antialias=True)[0]


def _crop_window(rng: random.Random, boxes: torch.Tensor) -> tuple[float, float, float, float]:
    """A view of the frame as (x0, y0, x1, y1) in 0-1; it may reach outside the frame (zoom out)."""
    kind = rng.random()
    if kind < 0.35:
        return (0.0, 0.0, 1.0, 1.0)
    if kind < 0.55:
        # zoom out: a camera mounted higher or with a wider lens sees the e-bike smaller
        s = rng.uniform(1.0, 1.35)
        x0, y0 = -rng.uniform(0, s - 1), -rng.uniform(0, s - 1)
        return (x0, y0, x0 + s, y0 + s * rng.uniform(0.92, 1.08))
    if kind < 0.8 or boxes.shape[0] == 0:
        # zoom in, aspect jittered: a lower camera, a narrower lens
        w, h = rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0)
        x0, y0 = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
        return (x0, y0, x0 + w, y0 + h)
    # crop at the door: one edge of the view cuts through an e-bike, as when it is half way in
    b = boxes[rng.randrange(boxes.shape[0])]
    bx0, by0, bx1, by1 = (float(v) for v in b[1:5])
    cut = rng.uniform(0.25, 0.5)
    side = rng.choice(("left", "right", "top", "bottom"))
    x0, y0, x1, y1 = 0.0, 0.0, 1.0, 1.0
    if side == "left":
        x0 = bx0 + cut * (bx1 - bx0)
    elif side == "right":
        x1 = bx1 - cut * (bx1 - bx0)
    elif side == "top":
        y0 = by0 + cut * (by1 - by0)
    else:
        y1 = by1 - cut * (by1 - by0)
    return (x0, y0, x1, y1)


def _crop_boxes(boxes: torch.Tensor, window: tuple[float, float, float, float]) -> torch.Tensor | None:
    """Boxes in the view's 0-1 coordinates, clipped; None when a box would be ambiguously cut."""
    x0, y0, x1, y1 = window
    w, h = x1 - x0, y1 - y0
    out = boxes.clone()
    out[:, [1, 3]] = ((boxes[:, [1, 3]] - x0) / w).clamp(0, 1)
    out[:, [2, 4]] = ((boxes[:, [2, 4]] - y0) / h).clamp(0, 1)
    area = ((boxes[:, 3] - boxes[:, 1]) * (boxes[:, 4] - boxes[:, 2]) / (w * h)).clamp(min=1e-9)
    visible = (out[:, 3] - out[:, 1]) * (out[:, 4] - out[:, 2]) / area
    if bool(((visible > 0.02) & (visible < MIN_VISIBLE)).any()):
        return None
    return out[visible >= MIN_VISIBLE]


def _view(pixels: torch.Tensor, window: tuple[float, float, float, float], height: int, width: int) -> torch.Tensor:
    """The window of the frame, resized to the model input; outside the frame the edge pixels repeat."""
    _, fh, fw = pixels.shape
    x0, y0, x1, y1 = window
    px0, py0 = math.floor(x0 * fw), math.floor(y0 * fh)
    px1, py1 = math.ceil(x1 * fw), math.ceil(y1 * fh)
    pad = (max(0, -px0), max(0, px1 - fw), max(0, -py0), max(0, py1 - fh))
    region = pixels[:, max(0, py0) : min(fh, py1), max(0, px0) : min(fw, px1)].float() / 255.0
    if any(pad):
        region = F.pad(region[None], pad, mode="replicate")[0]
    return resize(region, height, width)


def _radial_sources(points: torch.Tensor, k: float, scale: float) -> torch.Tensor:
    """Inverse lens map: where, in -1..1 coordinates, an output point samples the undistorted view."""
    r2 = (points**2).sum(-1, keepdim=True)
    return points * (1 + k * r2) * scale


def _radial_targets(points: torch.Tensor, k: float, scale: float) -> torch.Tensor:
    """Forward lens map (the inverse of _radial_sources), by Newton steps on the radius."""
    rho_src = points.norm(dim=-1, keepdim=True).clamp(min=1e-9)
    rho = rho_src / scale
    for _ in range(8):
        f = rho * (1 + k * rho**2) * scale - rho_src
        rho = rho - f / ((1 + 3 * k * rho**2) * scale)
    return points / rho_src * rho


def distort(image: torch.Tensor, boxes: torch.Tensor, k: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Barrel (k > 0, fisheye-like) or pincushion (k < 0) distortion about the centre; boxes follow
    by mapping points along their edges."""
    _, h, w = image.shape
    scale = 1 / (1 + k)  # the edge midpoints stay at the edges
    ys, xs = torch.linspace(-1, 1, h), torch.linspace(-1, 1, w)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)
    out = F.grid_sample(image[None], _radial_sources(grid, k, scale)[None], mode="bilinear", padding_mode="border", align_corners=True)[0]
    if boxes.shape[0] == 0:
        return out, boxes
    t = torch.linspace(0, 1, 12)
    moved = boxes.clone()
    for i, b in enumerate(boxes):
        x0, y0, x1, y1 = (float(v) for v in b[1:5])
        xs_edge = torch.cat((x0 + (x1 - x0) * t, x0 + (x1 - x0) * t, torch.full_like(t, x0), torch.full_like(t, x1)))
        ys_edge = torch.cat((torch.full_like(t, y0), torch.full_like(t, y1), y0 + (y1 - y0) * t, y0 + (y1 - y0) * t))
        mapped = (_radial_targets(torch.stack((xs_edge, ys_edge), -1) * 2 - 1, k, scale) + 1) / 2
        moved[i, 1:3] = mapped.min(0).values.clamp(0, 1)
        moved[i, 3:5] = mapped.max(0).values.clamp(0, 1)
    return out, moved


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(2.5 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


def blur(image: torch.Tensor, sigma_x: float, sigma_y: float) -> torch.Tensor:
    """Separable Gaussian; unequal sigmas stand in for motion blur along one axis."""
    x = image[:, None]
    kx, ky = _gaussian_kernel(sigma_x), _gaussian_kernel(sigma_y)
    x = F.conv2d(F.pad(x, (len(kx) // 2, len(kx) // 2, 0, 0), mode="replicate"), kx.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, len(ky) // 2, len(ky) // 2), mode="replicate"), ky.view(1, 1, -1, 1))
    return x[:, 0]


def light(image: torch.Tensor, rng: random.Random, noise: torch.Generator) -> torch.Tensor:
    """Exposure, contrast, gamma, white balance, a lamp's falloff, infrared grey, sensor noise."""
    _, h, w = image.shape
    x = image * rng.uniform(0.6, 1.4)
    mean = x.mean()
    x = (x - mean) * rng.uniform(0.7, 1.3) + mean
    x = x.clamp(0, 1) ** rng.uniform(0.7, 1.4)
    grey = x.mean(0, keepdim=True)
    if rng.random() < 0.15:
        x = grey.expand_as(x).clone()
    else:
        x = grey + (x - grey) * rng.uniform(0.5, 1.3)
        x = x * torch.tensor([rng.uniform(0.9, 1.1) for _ in range(3)]).view(3, 1, 1)
    if rng.random() < 0.3:
        # a lamp in one corner, or the bright landing through the door: brightness falls off linearly
        cx, cy = rng.uniform(0, 1), rng.uniform(0, 1)
        yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
        falloff = 1 - rng.uniform(0.2, 0.5) * ((xx - cx) ** 2 + (yy - cy) ** 2).sqrt()
        x = x * falloff
    if rng.random() < 0.3:
        x = x + torch.randn(x.shape, generator=noise) * rng.uniform(0.01, 0.04)
    return x.clamp(0, 1)


def occlude(image: torch.Tensor, boxes: torch.Tensor, rng: random.Random) -> torch.Tensor:
    """A rider or a bystander in front of part of an e-bike: a patch over 15-40% of one box, dark
    clothing-coloured or copied from elsewhere in the frame. The e-bike stays labelled."""
    if boxes.shape[0] == 0:
        return image
    _, h, w = image.shape
    b = boxes[rng.randrange(boxes.shape[0])]
    bw, bh = float(b[3] - b[1]) * w, float(b[4] - b[2]) * h
    share = rng.uniform(0.15, 0.4)
    pw = max(2, int(bw * math.sqrt(share) * rng.uniform(0.6, 1.6)))
    ph = max(2, int(min(bh, bw * bh * share / pw)))
    pw = min(pw, w)
    x0 = int(float(b[1]) * w + rng.uniform(0, max(0.0, bw - pw)))
    y0 = int(float(b[2]) * h + rng.uniform(0, max(0.0, bh - ph)))
    x0, y0 = min(x0, w - pw), min(y0, h - ph)
    out = image.clone()
    if rng.random() < 0.5:
        out[:, y0 : y0 + ph, x0 : x0 + pw] = torch.tensor([rng.uniform(0, 0.35) for _ in range(3)]).view(3, 1, 1)
    else:
        sx, sy = rng.randrange(0, w - pw + 1), rng.randrange(0, h - ph + 1)
        out[:, y0 : y0 + ph, x0 : x0 + pw] = image[:, sy : sy + ph, sx : sx + pw]
    return out


def plain(pixels: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The whole frame stretched to the model input, as the detector sees it: for validation."""
    return resize(pixels.float() / 255.0, height, width)


def augment(pixels: torch.Tensor, boxes: torch.Tensor, height: int, width: int, rng: random.Random, noise: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One training view of a frame: RGB 0-1 [3, height, width] and its boxes (class, x1, y1, x2, y2)."""
    for _ in range(10):
        window = _crop_window(rng, boxes)
        cropped = _crop_boxes(boxes, window)
        if cropped is not None:
            break
    else:
        window, cropped = (0.0, 0.0, 1.0, 1.0), boxes.clone()
    image = _view(pixels, window, height, width)
    if rng.random() < 0.5:
        image = image.flip(2)
        cropped = cropped[:, [0, 3, 2, 1, 4]]
        cropped[:, [1, 3]] = 1 - cropped[:, [1, 3]]
    if rng.random() < 0.6:
        image, cropped = distort(image, cropped, rng.uniform(-0.15, 0.35))
    image = light(image, rng, noise)
    if rng.random() < 0.35:
        sigma = rng.uniform(0.4, 1.6)
        motion = rng.random() < 0.4
        image = blur(image, sigma * (2.5 if motion else 1), sigma)
    if rng.random() < 0.4:
        image = occlude(image, cropped, rng)
    keep = ((cropped[:, 3] - cropped[:, 1]) > 0.005) & ((cropped[:, 4] - cropped[:, 2]) > 0.005)
    return image, cropped[keep]
