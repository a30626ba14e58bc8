"""The Python side of test/detector-verifier.test.ts, run with Debian's torch.

  export <backbone.pth> <out.onnx> <out.pth>   a verifier with the detector's backbone and a seeded
                                               head, exported as `linli models train` exports one
  score <weights.pth> <pixels.raw> <w> <h> <boxes.json> [bgr|rgb] [divideBy]
                                               the verifier's p(e-bike) for each box of the raw RGB
                                               pixels, computed in torch, printed as JSON
"""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import torch

from linli_train.data import to_input
from linli_train.verifier import CONTEXT, CROP_SIZE, Verifier, crop_boxes, export_verifier


def main(argv: list[str]) -> None:
    torch.manual_seed(7)
    if argv[0] == "export":
        state = torch.load(argv[1], map_location="cpu")
        verifier = Verifier()
        verifier.backbone.load_state_dict({k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")})
        verifier.eval()
        torch.save(verifier.state_dict(), argv[3])
        export_verifier(verifier, Path(argv[2]))
        return
    _, weights, raw, w, h, boxes, channels, divide_by = argv
    verifier = Verifier()
    verifier.load_state_dict(torch.load(weights, map_location="cpu"))
    verifier.eval()
    pixels = torch.frombuffer(bytearray(Path(raw).read_bytes()), dtype=torch.uint8).reshape(int(h), int(w), 3).permute(2, 0, 1).float() / 255
    spec = SimpleNamespace(bgr=channels == "bgr", divide_by=float(divide_by))
    corners = torch.tensor(json.loads(Path(boxes).read_text()), dtype=torch.float32).reshape(-1, 4)
    with torch.no_grad():
        scores = torch.sigmoid(verifier(to_input(crop_boxes(pixels, corners, CROP_SIZE, CONTEXT), spec)))
    print(json.dumps({"scores": scores.tolist(), "size": CROP_SIZE, "context": CONTEXT}))


if __name__ == "__main__":
    main(sys.argv[1:])
