"""Training and sampling speed of train/.

`python -m benchmarks.run train` (CPU): tiny-model training steps/s (batch 2, data loading from a
512-pixel rendered dataset included) and tiny-model generation time.
`python -m benchmarks.train --real --batch-size 6` (GPU): the real-size Zero123++ UNet (SD2 layout,
random weights, no download) with reference attention on the 960 x 640 grid, one AdamW step with
gradient checkpointing, in bf16 autocast and in fp32.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.table import Row, print_table, timed

THREADS = 1  # the tiny model is fastest on one thread (and the development machine's cores are shared)


def _tiny_dataset(root: Path, patches: int = 2) -> Path:
    """`patches` copies of a rendered bump patch in the dataset layout (512-pixel renders)."""
    from benchmarks.render import bump_patch
    from render.renderer import PatchRenderer
    from render.views import view_pngs
    from vdm.atomic import write_bytes_atomic

    with PatchRenderer() as renderer:
        views = renderer.render(bump_patch(101))
    lines = []
    for i in range(patches):
        patch_id = f"{i:04d}-a0"
        for name, data in view_pngs(views).items():
            write_bytes_atomic(root / "views" / patch_id / name, data)
        lines.append(json.dumps({"patch_id": patch_id, "selection_id": f"{i:04d}"}) + "\n")
    (root / "manifest.jsonl").write_text("".join(lines))
    return root


def run() -> list[Row]:
    from train.config import AugmentConfig, GenerateConfig, TrainConfig, ValidationConfig
    from train.generate import generate
    from train.trainer import train

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = _tiny_dataset(Path(tmp) / "data")
        config = TrainConfig(
            data=data,
            out=Path(tmp) / "run",
            model="tiny",
            steps=60,
            batch_size=2,
            learning_rate=1e-3,
            warmup_steps=5,
            validation=ValidationConfig(fraction=0.0),
            checkpoint_every=10_000,
            threads=THREADS,
            augment=AugmentConfig(),
        )
        summary = train(config)
        note = "tiny model, batch 2, 64 px condition, 96x64 grid, data loading included, 1 thread"
        rows.append(Row("train", "tiny train steps/s", summary.steps_per_second, "steps/s", note))
        rows.append(Row("train", "tiny 60-step run (setup + checkpoint)", summary.seconds, "s", note))
        image = Path(__file__).resolve().parents[2] / "shared" / "reference" / "inputs" / "ear1.png"
        for steps in (20, 75):
            gen = GenerateConfig(steps=steps, threads=THREADS)
            seconds = timed(lambda gen=gen: generate(image, config.out, Path(tmp) / "gen", gen), repeat=1)
            rows.append(Row("train", f"tiny generate, {steps} steps", seconds, "s", "load + sample + write"))
    return rows


def real_unet_step(batch_size: int, precision: str, repeat: int = 5) -> float:
    """Seconds per training step of the real-size UNet (CUDA)."""
    import torch
    from diffusers import UNet2DConditionModel

    from train.model import SCHEDULE
    from train.reference import ReferenceUNet

    unet = UNet2DConditionModel(
        in_channels=4,
        out_channels=4,
        layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=1024,
        attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True,
    )
    unet.enable_gradient_checkpointing()
    betas = torch.linspace(SCHEDULE["beta_start"], SCHEDULE["beta_end"], SCHEDULE["num_train_timesteps"])
    net = ReferenceUNet(unet, torch.cumprod(1.0 - betas, 0)).cuda().train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-5)
    device = torch.device("cuda")
    sample = torch.randn(batch_size, 4, 120, 80, device=device)  # the 960 x 640 grid
    cond = torch.randn(batch_size, 4, 40, 40, device=device)  # a 320-pixel condition
    states = torch.randn(batch_size, 77, 1024, device=device)
    t = torch.randint(0, 1000, (batch_size,), device=device)

    def step() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = net(sample, t, states, cond, torch.randn_like(cond)).float().square().mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        torch.cuda.synchronize()

    step()  # warm-up: kernels, allocator
    start = time.perf_counter()
    for _ in range(repeat):
        step()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", action="store_true", help="Benchmark the real-size UNet (needs CUDA).")
    parser.add_argument("--batch-size", type=int, default=6)
    args = parser.parse_args()
    if not args.real:
        print_table(run())
        return
    import torch

    name = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    rows = []
    for precision in ("bf16", "fp32"):
        seconds = real_unet_step(args.batch_size, precision)
        note = f"{name}, batch {args.batch_size}, grad checkpointing, reference attention"
        rows.append(Row("train", f"real UNet step ({precision})", seconds, "s", note))
    print_table(rows)


if __name__ == "__main__":
    main()
