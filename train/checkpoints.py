"""Training checkpoints: RUN/checkpoint-<step>/ holds what training changes (the UNet and the
sampler, in the Zero123++ layout, and base_model.json naming the frozen parts: `vdm generate` loads
it) beside Accelerate's optimizer, LR scheduler and every process's RNG state; it is written under a
temporary name and renamed, so a checkpoint directory is always complete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from accelerate import Accelerator
from safetensors import SafetensorError

from vdm.atomic import os_reason, write_text_atomic
from vdm.errors import VdmError, short_reason
from vdm.train.base_model import BaseModel, write_base
from vdm.train.loading import checkpoints, save_model, save_trained
from vdm.train.model import Zero123PlusModel

TRAINER_STATE = "trainer_state.json"
LOW_SPACE = 64 << 20  # a checkpoint write that failed with less free space than this ran out of it
UNET_WEIGHTS = Path("unet") / "diffusion_pytorch_model.safetensors"
BASE_DIR = "base"  # RUN/base: the random base of a tiny run
WRITE_ERRORS = (OSError, RuntimeError, SafetensorError)  # a failed write, as the OS, torch, safetensors say


def register_hooks(accelerator: Accelerator) -> None:
    """Model weights travel in the Zero123++ layout, not in Accelerate's own model file."""

    def save_hook(_models: list[Any], weights: list[Any], _output_dir: str) -> None:
        weights.clear()

    def load_hook(models: list[Any], _input_dir: str) -> None:
        models.clear()  # the trainer loaded the UNet from the checkpoint's model directory already

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)


def write_failure(exc: Exception, run: Path) -> str:
    """Why a write under `run` failed, and the space left there."""
    free = shutil.disk_usage(run).free
    if isinstance(exc, OSError):
        reason = os_reason(exc)
    elif free < LOW_SPACE:
        reason = "no space left on device"
    else:
        reason = f"the write failed: {short_reason(exc)}"
    return f"{reason}, {free / 2**20:.0f} MiB free"


def save_base_model(model: Zero123PlusModel, run: Path) -> Path:
    """A tiny run's random base, written once as RUN/base (under a temporary name, then renamed)."""
    final, partial = run / BASE_DIR, run / f".{BASE_DIR}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        save_model(model, partial)
    except WRITE_ERRORS as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise VdmError(
            f"Cannot write the run's base model {final} ({write_failure(exc, run)}); "
            "free space and run again."
        ) from exc
    shutil.rmtree(final, ignore_errors=True)  # left by a run that ended before its first checkpoint
    partial.rename(final)
    return final


def save_checkpoint(
    accelerator: Accelerator,
    model: Zero123PlusModel,
    base: BaseModel,
    run: Path,
    step: int,
    state: dict[str, Any],
    keep: int,
) -> Path:
    """Write RUN/checkpoint-<step> (every process takes part) and keep the newest `keep`."""
    final = run / f"checkpoint-{step}"
    partial = run / f".checkpoint-{step}.partial"
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
    accelerator.wait_for_everyone()
    try:
        accelerator.save_state(str(partial))
        accelerator.wait_for_everyone()  # every process's RNG state is in before the rename
        if accelerator.is_main_process:
            write_base(base, partial)
            save_trained(model, partial)
            write_text_atomic(
                partial / TRAINER_STATE, json.dumps({"step": step, **state}, indent=2, default=str)
            )
    except WRITE_ERRORS as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise VdmError(
            f"Cannot write checkpoint {final} ({write_failure(exc, run)}); the earlier "
            "checkpoints are intact: free space and rerun with --resume."
        ) from exc
    if accelerator.is_main_process:
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
        for _, old in checkpoints(run)[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def checkpoint_step(checkpoint: Path) -> int:
    """The training step a checkpoint was written at."""
    return int(json.loads((checkpoint / TRAINER_STATE).read_text(encoding="utf-8"))["step"])
