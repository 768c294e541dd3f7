"""The GPU check: one command for when a CUDA machine is lent, one table.

`python -m benchmarks.gpu` runs `vdm reconstruct` at fast and full quality on CUDA (every shape of
benchmarks/reconstruct.py, seconds per stage and the brush figures) and the real-size UNet training
step at batch 6 (full fine-tuning and LoRA rank 16, bf16 and fp32: seconds and peak memory). It is
not part of `python -m benchmarks.run` (no `run()`): it needs a GPU, and the tests never do.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks import reconstruct, train
from benchmarks.table import print_table


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-size", type=int, default=6)
    parser.add_argument("--lora-rank", type=int, default=16)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--skip-reconstruct", action="store_true")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("error: the GPU check needs CUDA, and torch sees no GPU here.")
    rows = []
    if not args.skip_reconstruct:
        rows += reconstruct.run(("fast", "full"), "cuda")
    if not args.skip_train:
        rows += train.real_rows("cuda", args.batch_size, args.lora_rank)
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
