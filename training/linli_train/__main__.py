"""python3 -m linli_train <spec.json>: trains, exports, and reports progress as one JSON object per
line on stdout (the TypeScript side draws the progress bar). Errors go to stderr, exit status 1."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 -m linli_train <spec.json>", file=sys.stderr)
        return 2
    # imported here so that a missing torch is reported as such, not as a traceback
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as err:
        print(f"training needs PyTorch, torchvision and onnx ({err.name} is missing)", file=sys.stderr)
        return 3
    from .data import read_spec
    from .train import train

    def report(event: dict) -> None:
        # NaN is not JSON: a figure not yet known is null
        clean = {k: (None if isinstance(v, float) and v != v else v) for k, v in event.items()}
        print(json.dumps(clean, allow_nan=False), flush=True)

    try:
        train(read_spec(Path(argv[0])), report)
    except (OSError, ValueError, KeyError) as err:
        print(f"training failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
