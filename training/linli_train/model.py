"""FastestDet: a ShuffleNetV2 backbone, a one-level SPP neck and an anchor-free head on a single
22x22 grid (for a 352x352 input).

Written for linli after the published architecture (github.com/dog-qiuqiu/FastestDet, BSD-3-Clause).
Module and attribute names follow that design because they are the keys of its state dict: the
COCO weights in fastestdet-coco-352.pth load into this module unchanged, except for the class head,
which is rebuilt for the classes being trained.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return layers


class ShuffleBlock(nn.Module):
    """A ShuffleNetV2 unit. Stride 1 splits the channels and transforms one half; stride 2 transforms
    the whole input in two branches and halves the resolution."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        mid = cout // 2
        self.branch_main = nn.Sequential(
            *_conv_bn(cin, mid, 1),
            *_conv_bn(mid, mid, 3, stride, groups=mid, relu=False),
            *_conv_bn(mid, cout - cin, 1),
        )
        self.branch_proj = (
            nn.Sequential(*_conv_bn(cin, cin, 3, stride, groups=cin, relu=False), *_conv_bn(cin, cin, 1)) if stride == 2 else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.branch_proj is not None:
            return torch.cat((self.branch_proj(x), self.branch_main(x)), 1)
        kept, transformed = self._split(x)
        return torch.cat((kept, self.branch_main(transformed)), 1)

    @staticmethod
    def _split(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # the channel shuffle: even channels pass through, odd channels go through the branch
        n, c, h, w = x.shape
        x = x.reshape(n * c // 2, 2, h * w).permute(1, 0, 2).reshape(2, -1, c // 2, h, w)
        return x[0], x[1]


class ShuffleNetV2(nn.Module):
    STAGE_REPEATS = (4, 8, 4)
    STAGE_CHANNELS = (24, 48, 96, 192)

    def __init__(self) -> None:
        super().__init__()
        cin = self.STAGE_CHANNELS[0]
        self.first_conv = nn.Sequential(*_conv_bn(3, cin, 3, 2))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, cout in zip(("stage2", "stage3", "stage4"), self.STAGE_REPEATS, self.STAGE_CHANNELS[1:]):
            blocks = [ShuffleBlock(cin if i == 0 else cout // 2, cout, 2 if i == 0 else 1) for i in range(repeats)]
            setattr(self, name, nn.Sequential(*blocks))
            cin = cout

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        p1 = self.stage2(self.maxpool(self.first_conv(x)))
        p2 = self.stage3(p1)
        return p1, p2, self.stage4(p2)


class Conv1x1(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1x1 = nn.Sequential(*_conv_bn(cin, cout, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1x1(x)


class SPP(nn.Module):
    """Three stacks of 5x5 depthwise convolutions (receptive fields 5, 9 and 13) fused back residually."""

    def __init__(self, cin: int, c: int) -> None:
        super().__init__()
        self.Conv1x1 = Conv1x1(cin, c)
        self.S1 = nn.Sequential(*_conv_bn(c, c, 5, groups=c))
        self.S2 = nn.Sequential(*_conv_bn(c, c, 5, groups=c), *_conv_bn(c, c, 5, groups=c))
        self.S3 = nn.Sequential(*_conv_bn(c, c, 5, groups=c), *_conv_bn(c, c, 5, groups=c), *_conv_bn(c, c, 5, groups=c))
        self.output = nn.Sequential(*_conv_bn(3 * c, c, 1, relu=False))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Conv1x1(x)
        return self.relu(x + self.output(torch.cat((self.S1(x), self.S2(x), self.S3(x)), 1)))


class Head(nn.Module):
    def __init__(self, c: int, cout: int) -> None:
        super().__init__()
        self.conv5x5 = nn.Sequential(*_conv_bn(c, c, 5, groups=c), *_conv_bn(c, cout, 1, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv5x5(x)


class DetectHead(nn.Module):
    def __init__(self, c: int, num_classes: int) -> None:
        super().__init__()
        self.conv1x1 = Conv1x1(c, c)
        self.obj_layers = Head(c, 1)
        self.reg_layers = Head(c, 4)
        self.cls_layers = Head(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1x1(x)
        obj = torch.sigmoid(self.obj_layers(x))
        cls = torch.softmax(self.cls_layers(x), dim=1)
        # box terms stay raw: the decoder (linli's and the loss) applies tanh and sigmoid itself
        return torch.cat((obj, self.reg_layers(x), cls), 1)


class FastestDet(nn.Module):
    """Output [N, 5 + C, H/16, W/16]: objectness (sigmoid), 4 raw box terms, C class scores (softmax)."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.backbone = ShuffleNetV2()
        channels = ShuffleNetV2.STAGE_CHANNELS
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.avg_pool = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)
        self.SPP = SPP(sum(channels[1:]), channels[2])
        self.detect_head = DetectHead(channels[2], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p1, p2, p3 = self.backbone(x)
        return self.detect_head(self.SPP(torch.cat((self.avg_pool(p1), p2, self.upsample(p3)), 1)))


CLASS_HEAD_PREFIX = "detect_head.cls_layers.conv5x5.3."
CLASS_HEAD_BN_PREFIX = "detect_head.cls_layers.conv5x5.4."


def from_base(state: dict[str, torch.Tensor], base_classes: list[str], classes: list[str], init_from: dict[str, str]) -> FastestDet:
    """A model for `classes` with every weight of the base model, and a class head whose row for each
    class starts from the base class named in `init_from` (e-bike from motorbike, say), else from the
    mean of all base rows: a start that already knows something is faster to train on few frames."""
    model = FastestDet(len(classes))
    own = model.state_dict()
    for key, value in state.items():
        if key.startswith((CLASS_HEAD_PREFIX, CLASS_HEAD_BN_PREFIX)) and key.rsplit(".", 1)[1] != "num_batches_tracked":
            rows = [value[base_classes.index(init_from[c])] if c in init_from else value.mean(0) for c in classes]
            own[key] = torch.stack(rows).clone()
        elif key in own and own[key].shape == value.shape:
            own[key] = value
        else:
            raise ValueError(f"base weights do not fit FastestDet: {key} {tuple(value.shape)}")
    missing = set(own) - set(state)
    if missing:
        raise ValueError(f"base weights lack {sorted(missing)[:3]}")
    model.load_state_dict(own)
    return model
