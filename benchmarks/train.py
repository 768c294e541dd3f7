"""Training and sampling speed of train/.

`python -m benchmarks.run train` (CPU): tiny-model training steps/s (batch 2, data loading from a
512-pixel rendered dataset included) and tiny-model generation time.
`python -m benchmarks.train --real` (GPU: batch 6, bf16 and fp32; CPU: batch 1, fp32): the real-size
Zero123++ UNet (SD2 layout, random weights, no download) with reference attention on the 960 x 640
grid, an AdamW step with gradient checkpointing, full fine-tuning and LoRA (`--lora-rank`, default
16), each in its own process: seconds per step and peak memory.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.table import Row, print_table, timed

THREADS = 1  # the tiny model is fastest on one thread (and the development machine's cores are shared)


def _tiny_dataset(root: Path, patches: int = 2) -> Path:
    """`patches` copies of a rendered bump patch in the dataset layout (512-pixel renders)."""
    from benchmarks.render import bump_patch
    from vdm.atomic import write_bytes_atomic
    from vdm.render.renderer import PatchRenderer
    from vdm.render.views import view_pngs

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
    from vdm.train.config import AugmentConfig, GenerateConfig, TrainConfig, ValidationConfig
    from vdm.train.generate import generate
    from vdm.train.trainer import train

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


@dataclass(frozen=True)
class RealStep:
    """One configuration of the real-size UNet step and what it measured."""

    device: str
    batch_size: int
    precision: str  # fp32 | bf16 (autocast; a LoRA run's frozen UNet is held in bf16 too)
    lora_rank: int  # 0: full fine-tuning
    seconds: float = 0.0
    peak_bytes: int = 0  # CUDA: max allocated; CPU: the process's peak resident set
    trainable: int = 0


def real_unet(lora_rank: int, precision: str) -> Any:
    """The Zero123++ v1.2 UNet (SD2 layout, 865,910,724 parameters, random weights) with reference
    attention and gradient checkpointing, LoRA adapters added as `vdm train --lora-rank` adds them."""
    import torch
    from diffusers import UNet2DConditionModel

    from vdm.train.lora import add_lora
    from vdm.train.model import SCHEDULE
    from vdm.train.reference import ReferenceUNet

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
    if lora_rank:
        unet.to(torch.bfloat16 if precision == "bf16" else torch.float32)
        add_lora(unet, lora_rank)
    betas = torch.linspace(SCHEDULE["beta_start"], SCHEDULE["beta_end"], SCHEDULE["num_train_timesteps"])
    return ReferenceUNet(unet, torch.cumprod(1.0 - betas, 0))


def random_real_model(directory: Path) -> Path:
    """A Zero123++ of the real sizes where the time goes (the v1.2 UNet, an SD-size VAE, 320-pixel
    tiles from a 512-pixel condition) with random weights and two-layer CLIP encoders of the real
    width, saved in the hub layout: `vdm image` on it takes the real model's seconds, not its brush."""
    from diffusers import AutoencoderKL

    from vdm.train.loading import save_model
    from vdm.train.model import tiny_model

    model = tiny_model(tile_size=320, condition_size=512)
    model.unet = real_unet(0, "fp32").unet
    model.vae = AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(128, 256, 512, 512),
        layers_per_block=2,
        latent_channels=4,
        sample_size=512,
    )
    width = model.unet.config.cross_attention_dim
    for encoder in (model.text_encoder, model.vision_encoder):
        encoder.config.hidden_size = encoder.config.projection_dim = width
    model.text_encoder = type(model.text_encoder)(model.text_encoder.config)
    model.vision_encoder = type(model.vision_encoder)(model.vision_encoder.config)
    return save_model(model, directory)


def measure_step(config: RealStep, repeat: int) -> RealStep:
    """Seconds per AdamW step (after a warm-up step) and the peak memory, for the 960 x 640
    grid (120 x 80 latents) and a 320-pixel condition, clipping included."""
    import resource

    import torch

    from vdm.train.lora import trainable_parameters

    device = torch.device(config.device)
    net = real_unet(config.lora_rank, config.precision).to(device).train()
    parameters = trainable_parameters(net)
    optimizer = torch.optim.AdamW(parameters, lr=1e-5)
    n = config.batch_size
    sample = torch.randn(n, 4, 120, 80, device=device)
    cond = torch.randn(n, 4, 40, 40, device=device)
    states = torch.randn(n, 77, 1024, device=device)
    t = torch.randint(0, 1000, (n,), device=device)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16"):
            loss = net(sample, t, states, cond, torch.randn_like(cond)).float().square().mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize()

    step()  # warm-up, and the optimizer state exists from here on (the peak is a steady step's)
    start = time.perf_counter()
    for _ in range(repeat):
        step()
    seconds = (time.perf_counter() - start) / repeat
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    trainable = sum(p.numel() for p in parameters)
    return RealStep(config.device, n, config.precision, config.lora_rank, seconds, peak, trainable)


def real_steps(configs: list[RealStep], repeat: int) -> list[Row]:
    """Each configuration in a fresh process (its peak memory is its own)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    rows = []
    for config in configs:
        with context.Pool(1) as pool:
            done = pool.apply(measure_step, (config, repeat))
        kind = f"LoRA rank {done.lora_rank}" if done.lora_rank else "full"
        note = f"{done.device}, batch {done.batch_size}, {done.trainable:,} trained parameters"
        rows.append(Row("train", f"real UNet step, {kind}, {done.precision}", done.seconds, "s", note))
        rows.append(
            Row(
                "train",
                f"real UNet peak memory, {kind}, {done.precision}",
                done.peak_bytes / 2**30,
                "GiB",
                note,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real", action="store_true", help="Benchmark the real-size UNet.")
    parser.add_argument("--device", default=None, help="cuda or cpu (default: cuda where present).")
    parser.add_argument("--batch-size", type=int, default=None, help="Default: 6 on CUDA, 1 on the CPU.")
    parser.add_argument("--lora-rank", type=int, default=16)
    args = parser.parse_args()
    if not args.real:
        print_table(run())
        return
    print_table(real_rows(args.device, args.batch_size, args.lora_rank))


def real_rows(device: str | None, batch_size: int | None, lora_rank: int) -> list[Row]:
    """Full fine-tuning and LoRA; on CUDA each in bf16 and fp32 (5 steps), on the CPU in fp32 (1 step;
    each after a warm-up step)."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    cuda = device.startswith("cuda")
    batch = batch_size or (6 if cuda else 1)
    precisions = ("bf16", "fp32") if cuda else ("fp32",)
    configs = [RealStep(device, batch, p, rank) for rank in (0, lora_rank) for p in precisions]
    return real_steps(configs, repeat=5 if cuda else 1)


if __name__ == "__main__":
    main()
