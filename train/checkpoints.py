"""Training checkpoints: RUN/checkpoint-<step>/ holds what training changes (the UNet and the
sampler, in the Zero123++ layout, and base_model.json naming the frozen parts: `vdm generate` loads
it) beside Accelerate's optimizer, LR scheduler and every process's RNG state; it is written under a
temporary name and renamed, so a checkpoint directory is complete when it is written.

A checkpoint is proven before a run resumes from it (`resumable_checkpoint`): every file its kind
needs (the UNet or the LoRA adapter, the sampler, the optimizer, the LR scheduler, each process's
RNG state, the trainer state, the base record) is there and starts as its format does. A damaged
checkpoint is passed over for the newest intact one, with a warning; with none, resuming is refused
in one sentence. A run never goes on from the base model when it was asked to resume.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import zipfile
from pathlib import Path
from typing import Any

from accelerate import Accelerator
from safetensors import SafetensorError

from vdm.atomic import os_reason, write_text_atomic
from vdm.errors import VdmError, short_reason
from vdm.file_headers import file_problem
from vdm.state_files import DamagedFile, json_object, read_state_json
from vdm.train.base_model import BASE_FILE, BaseModel, write_base
from vdm.train.hub import MODEL_INDEX
from vdm.train.loading import CHECKPOINT_RE, checkpoints, save_model, save_trained
from vdm.train.lora import LORA_DIR, LORA_WEIGHTS
from vdm.train.model import Zero123PlusModel

log = logging.getLogger(__name__)

TRAINER_STATE = "trainer_state.json"
TRAINER_STATE_SHAPE = json_object(step=int)
LOW_SPACE = 64 << 20  # a checkpoint write that failed with less free space than this ran out of it
UNET_WEIGHTS = Path("unet") / "diffusion_pytorch_model.safetensors"
UNET_FILES = (str(UNET_WEIGHTS), "unet/config.json")
LORA_FILES = (f"{LORA_DIR}/{LORA_WEIGHTS}",)
# What Accelerate's save_state writes (torch.save zip archives) and the rest every checkpoint holds.
STATE_FILES = ("optimizer.bin", "scheduler.bin")
MODEL_FILES = (MODEL_INDEX, BASE_FILE, "scheduler/scheduler_config.json")
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
        # Later ones are left alone: damaged checkpoints a resumed run passed over, overwritten in turn.
        earlier = [path for at, path in checkpoints(run) if at <= step]
        for old in earlier[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def _trainer_state(checkpoint: Path) -> dict[str, Any]:
    return read_state_json(checkpoint / TRAINER_STATE, "The trainer state", TRAINER_STATE_SHAPE)


def checkpoint_step(checkpoint: Path) -> int:
    """The training step a checkpoint was written at (a damaged trainer state is one sentence)."""
    return int(_trainer_state(checkpoint)["step"])


def _torch_archive_problem(path: Path) -> str | None:
    """torch.save writes zip archives: their directory sits at the end, so a cut one has none."""
    return None if zipfile.is_zipfile(path) else "is not a torch archive (cut short?)"


def _safetensors_problem(path: Path) -> str | None:
    """A safetensors file is its header's length, the header (JSON naming each tensor's byte
    range) and the tensors: its size must be where the last range ends."""
    with path.open("rb") as stream:
        head = stream.read(8)
        length = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
        try:
            header = json.loads(stream.read(min(length, path.stat().st_size)))
            end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return "is not a safetensors file"
    return None if 8 + length + end == path.stat().st_size else "is cut short (its tensors end elsewhere)"


def _is_lora(checkpoint: Path, state: dict[str, Any]) -> bool:
    """A LoRA checkpoint holds an adapter where a whole one holds the UNet (its trainer state says
    so even when the adapter's folder is gone)."""
    config = state.get("config")
    rank = config.get("lora_rank", 0) if isinstance(config, dict) else 0
    return (checkpoint / LORA_DIR).is_dir() or (isinstance(rank, int) and rank > 0)


def checkpoint_problem(checkpoint: Path, processes: int) -> str | None:
    """Why a run cannot resume from `checkpoint` with `processes` processes ('it lacks
    unet/config.json', 'its optimizer.bin is not a torch archive (cut short?)'), from sizes and
    headers; None when it holds every file its kind (a whole UNet or a LoRA adapter) needs."""
    try:
        state = _trainer_state(checkpoint)
    except DamagedFile as exc:
        return f"its {TRAINER_STATE} is damaged: {exc.problem}"
    weights = LORA_FILES if _is_lora(checkpoint, state) else UNET_FILES
    rng = tuple(f"random_states_{process}.pkl" for process in range(processes))
    for name in (*weights, *MODEL_FILES, *STATE_FILES, *rng):
        problem = file_problem(checkpoint / name)
        if problem is None and name.endswith(".safetensors"):
            problem = _safetensors_problem(checkpoint / name)
        elif problem is None and name.endswith((".bin", ".pkl")):
            problem = _torch_archive_problem(checkpoint / name)
        if problem == "is missing":
            return f"it lacks {name}"
        if problem is not None:
            return f"its {name} {problem}"
    return None


def resumable_checkpoint(run: Path, processes: int, announce: bool = True) -> Path:
    """The newest checkpoint of `run` that holds everything a resumed run needs; a damaged newer
    one is passed over with a warning (when `announce`). None intact, or none at all: one sentence."""
    found = [path for path in run.glob("checkpoint-*") if CHECKPOINT_RE.match(path.name)]  # whole or not
    if not found:
        raise VdmError(f"There is no checkpoint in {run} to resume.")
    passed: list[str] = []
    for checkpoint in sorted(found, key=lambda path: int(path.name.split("-")[1]), reverse=True):
        problem = checkpoint_problem(checkpoint, processes)
        if problem is None:
            if passed and announce:
                log.warning(
                    "passing over %s; resuming %s, the newest intact checkpoint",
                    "; ".join(passed),
                    checkpoint.name,
                )
            return checkpoint
        passed.append(f"{checkpoint.name} ({problem})")
    raise VdmError(
        f"No checkpoint in {run} can be resumed: {'; '.join(passed)}; restore the missing files, or "
        "train into another --out."
    )
