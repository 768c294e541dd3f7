"""The `vdm` commands of train/: `vdm train` and `vdm generate`; their defaults are the configs'."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from train.config import RECIPES, AugmentConfig, GenerateConfig, TrainConfig, ValidationConfig, with_recipe
from vdm.atomic import writable_dir

log = logging.getLogger(__name__)

Threads = Annotated[
    int | None,
    typer.Option("--threads", min=1, help="CPU threads for torch (1 is fastest for the tiny model)."),
]


def train_command(
    data: Annotated[Path, typer.Option("--data", help="A dataset directory written by `vdm mine`.")],
    out: Annotated[Path, typer.Option("--out", help="The run directory: checkpoints, validation, logs.")],
    model: Annotated[
        str,
        typer.Option("--model", help="Start from a hub id, a model directory, or 'tiny' (random toy model)."),
    ] = TrainConfig.model,
    steps: Annotated[
        int, typer.Option("--steps", min=1, help="Total optimizer steps of the run.")
    ] = TrainConfig.steps,
    stop_at: Annotated[
        int | None, typer.Option("--stop-at", min=1, help="End this invocation at this step (resume later).")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Samples per step per process.")
    ] = TrainConfig.batch_size,
    lr: Annotated[
        float | None,
        typer.Option("--lr", help="Peak AdamW learning rate (default 1e-5, or 1e-4 with --lora-rank)."),
    ] = TrainConfig.learning_rate,
    lora_rank: Annotated[
        int,
        typer.Option(
            "--lora-rank",
            min=0,
            help="Train LoRA adapters of this rank on the UNet's attention instead of the whole UNet "
            "(e.g. 16; fits one 24 GB GPU). 0: full fine-tuning.",
        ),
    ] = TrainConfig.lora_rank,
    warmup: Annotated[
        int, typer.Option("--warmup", min=0, help="Linear warm-up steps.")
    ] = TrainConfig.warmup_steps,
    restarts: Annotated[
        int, typer.Option("--restarts", min=1, help="Cosine cycles (hard restarts).")
    ] = TrainConfig.restarts,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the latest checkpoint in --out.")
    ] = False,
    checkpoint_every: Annotated[
        int, typer.Option("--checkpoint-every", min=1, help="Steps between checkpoints (and at the end).")
    ] = TrainConfig.checkpoint_every,
    val_every: Annotated[
        int, typer.Option("--val-every", min=1, help="Steps between validations.")
    ] = ValidationConfig.every,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", help="Held-out share of selections.")
    ] = ValidationConfig.fraction,
    val_steps: Annotated[
        int, typer.Option("--val-steps", min=1, help="Sampling steps in validation.")
    ] = ValidationConfig.steps,
    mixed_precision: Annotated[
        str, typer.Option("--mixed-precision", help="auto, no, bf16 or fp16.")
    ] = TrainConfig.mixed_precision,
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option("--gradient-checkpointing/--no-gradient-checkpointing", help="Default: on GPU."),
    ] = None,
    nearby_views: Annotated[
        float, typer.Option("--nearby-views", help="Probability of conditioning on view 1 or 3 instead of 2.")
    ] = AugmentConfig.nearby_views,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Data loader worker processes.")
    ] = TrainConfig.workers,
    seed: Annotated[
        int, typer.Option("--seed", help="Seeds the model (tiny), data order and noise.")
    ] = TrainConfig.seed,
    recipe: Annotated[
        str,
        typer.Option(
            "--recipe",
            help="default, or genvdm: GenVDM's condition views, augmentation and schedule, batch 6 in fp32 "
            "(it sets those options).",
        ),
    ] = RECIPES[0],
    threads: Threads = None,
) -> None:
    """Fine-tune Zero123++ to emit the six-view normal grid (multi-GPU: `accelerate launch -m vdm train`)."""
    writable_dir(out)  # before torch and diffusers are even imported
    from train.trainer import train

    config = TrainConfig(
        data=data,
        out=out,
        model=model,
        steps=steps,
        stop_at=stop_at,
        batch_size=batch_size,
        learning_rate=lr,
        lora_rank=lora_rank,
        warmup_steps=warmup,
        restarts=restarts,
        resume=resume,
        checkpoint_every=checkpoint_every,
        mixed_precision=mixed_precision,
        gradient_checkpointing=gradient_checkpointing,
        workers=workers,
        seed=seed,
        threads=threads,
        augment=AugmentConfig(nearby_views=nearby_views),
        validation=ValidationConfig(fraction=val_fraction, every=val_every, steps=val_steps),
    )
    summary = train(with_recipe(config, recipe))
    log.info(
        "step %d: loss %.4f -> %.4f, %.2f steps/s, checkpoint %s",
        summary.step,
        summary.loss_start,
        summary.loss_end,
        summary.steps_per_second,
        summary.checkpoint,
    )


def generate_command(
    image: Annotated[Path, typer.Argument(help="An RGBA image of the part on a transparent background.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for grid.png, normal_<k>.png, mask_<k>.png.")],
    model: Annotated[
        str, typer.Option("--model", help="A training run, a checkpoint or model directory, or a hub id.")
    ] = TrainConfig.model,
    steps: Annotated[
        int, typer.Option("--steps", min=1, help="Euler ancestral steps.")
    ] = GenerateConfig.steps,
    guidance: Annotated[
        float, typer.Option("--guidance", help="Classifier-free guidance scale.")
    ] = GenerateConfig.guidance,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampler.")] = GenerateConfig.seed,
    device: Annotated[
        str | None, typer.Option("--device", help="cpu, cuda, cuda:1 ... (default: auto).")
    ] = None,
    threads: Threads = None,
) -> None:
    """Generate the 3 x 2 normal grid (and the six tiles with masks) from one image."""
    writable_dir(out)
    from train.generate import generate

    config = GenerateConfig(steps=steps, guidance=guidance, seed=seed, device=device, threads=threads)
    generate(image, model, out, config)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("train")(train_command)
    app.command("generate")(generate_command)
