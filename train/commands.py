"""The `vdm` commands of train/: `vdm train` and `vdm generate`; their options are the configs' fields."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.atomic import writable_dir
from vdm.cli_options import vdm_command
from vdm.train.config import HUB_ID, GenerateConfig, TrainConfig

log = logging.getLogger(__name__)


def train_command(*, config: TrainConfig) -> None:
    """Fine-tune Zero123++ to emit the six-view normal grid (multi-GPU: `accelerate launch -m vdm train`)."""
    writable_dir(config.out)  # before torch and diffusers are even imported
    from vdm.train.trainer import train

    summary = train(config)
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
        str,
        typer.Option(
            "--model",
            help="A training run, a checkpoint or model directory, a hub id, or a UNet file of another "
            "project on --base: a GenVDM checkpoint (.ckpt) or an InstantMesh-style state dict (.bin).",
        ),
    ] = HUB_ID,
    base: Annotated[
        str,
        typer.Option(
            "--base", help="With a UNet file: the Zero123++ it goes on (hub id or model directory)."
        ),
    ] = HUB_ID,
    *,
    config: GenerateConfig,
) -> None:
    """Generate the 3 x 2 normal grid (and the six tiles with masks) from one image."""
    writable_dir(out)
    from vdm.train.generate import generate

    generate(image, model, out, config, base)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("train")(vdm_command(train_command))
    app.command("generate")(vdm_command(generate_command))
