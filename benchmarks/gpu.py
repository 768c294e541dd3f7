"""The GPU check: one command for when a CUDA machine is lent, one table.

`python -m benchmarks.gpu` runs `vdm reconstruct` at fast and full quality on CUDA (every shape of
benchmarks/reconstruct.py, seconds per stage and the brush figures) and the real-size UNet training
step at batch 6 (full fine-tuning and LoRA rank 16, bf16 and fp32: seconds and peak memory), and
`vdm image` step by step (cut-out, six normal maps with the real-size Zero123++ architecture and 75
steps, reconstruction, brush.blend; `--model` names real weights when the machine has them, else a
random model of the real size stands in: the seconds are the same, the brush is not). It is not part
of `python -m benchmarks.run` (no `run()`): it needs a GPU, and the tests never do.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks import reconstruct, train
from benchmarks.table import Row, print_table


def image_rows(model: str | None) -> list[Row]:
    """`vdm image` on GenVDM's example ear on CUDA: seconds of each step."""
    import tempfile
    from pathlib import Path

    from vdm.app.image import picture_to_brush
    from vdm.reconstruct.config import ReconstructConfig
    from vdm.train.config import GenerateConfig

    picture = Path(__file__).resolve().parents[1] / "tests" / "data" / "genvdm" / "inputs" / "ear1.png"
    with tempfile.TemporaryDirectory(prefix="vdm-gpu-image-") as folder:
        if model is None:
            model = str(train.random_real_model(Path(folder) / "model"))
        generate, rebuild = GenerateConfig(device="cuda"), ReconstructConfig(device="cuda")
        result = picture_to_brush(picture, Path(folder) / "out", model, generate, rebuild)
    return [Row("image", f"vdm image: {step}", s, "s", "cuda") for step, s in result.seconds.items()]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-size", type=int, default=6)
    parser.add_argument("--lora-rank", type=int, default=16)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--skip-reconstruct", action="store_true")
    parser.add_argument("--skip-image", action="store_true")
    parser.add_argument("--model", default=None, help="Weights for `vdm image` (default: a random model)")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("error: the GPU check needs CUDA, and torch sees no GPU here.")
    rows = []
    if not args.skip_reconstruct:
        rows += reconstruct.run(("fast", "full"), "cuda")
    if not args.skip_train:
        rows += train.real_rows("cuda", args.batch_size, args.lora_rank)
    if not args.skip_image:
        rows += image_rows(args.model)
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
