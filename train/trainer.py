"""`vdm train`: fine-tune the Zero123++ UNet to turn the front render into the 3 x 2 normal grid.

One Accelerate loop serves a CPU, one GPU and `accelerate launch` over many GPUs or nodes: MSE on
v, the condition dropped at random for classifier-free guidance, AdamW with warm-up and cosine
hard restarts, gradient clipping, bf16 and gradient checkpointing on GPU. Every random draw of a
step comes from a generator seeded by (seed, step, process), so a resumed run repeats exactly
what an uninterrupted one does.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import ProjectConfiguration, set_seed
from diffusers.optimization import get_cosine_with_hard_restarts_schedule_with_warmup
from rich.console import Console

from vdm.atomic import writable_dir
from vdm.console import table_console
from vdm.errors import VdmError, printable, short_reason
from vdm.os_paths import utf8_alias
from vdm.progress import WorkProgress
from vdm.torch_runtime import torch_threads
from vdm.train.base_model import BASE_FILE, BaseModel, describe_base, export_model, read_base
from vdm.train.checkpoints import (
    BASE_DIR,
    checkpoint_step,
    register_hooks,
    resumable_checkpoint,
    save_base_model,
    save_checkpoint,
)
from vdm.train.config import TINY, AugmentConfig, TrainConfig
from vdm.train.data import GridDataset, StepBatchSampler, load_entries, split_entries
from vdm.train.loading import checkpoints, load_model, model_directory
from vdm.train.lora import add_lora, lora_rank, make_trainable, trainable_parameters
from vdm.train.model import Zero123PlusModel, tiny_model
from vdm.train.reference import ReferenceUNet
from vdm.train.validation import validate

log = logging.getLogger(__name__)

EVAL_TIMESTEPS = 8  # timesteps per sample of the fixed evaluation loss
EXPORT = "model"  # RUN/model: the finished run, complete (frozen parts copied as they were)


@dataclass
class TrainSummary:
    """What a training invocation did."""

    start_step: int
    step: int
    loss_start: float  # fixed-noise v-loss on the first training samples, before this invocation
    loss_end: float  # the same, after it
    first_losses: list[float]
    last_losses: list[float]
    seconds: float
    steps_per_second: float
    checkpoint: Path | None
    val_angular_error_deg: float | None


def _initial_model(
    config: TrainConfig, frozen_dtype: torch.dtype, accelerator: Accelerator
) -> tuple[Zero123PlusModel, BaseModel, Path | None]:
    """The model to start from (frozen parts read straight into `frozen_dtype`, a LoRA run's UNet
    too), the base its checkpoints will name, and the checkpoint to resume (if any)."""
    unet_dtype = frozen_dtype if config.lora_rank else torch.float32
    if config.resume:  # a proven checkpoint, or one sentence: never the base model instead
        checkpoint = resumable_checkpoint(config.out, accelerator.num_processes, accelerator.is_main_process)
        base = read_base(checkpoint)
        if base is None:
            raise VdmError(f"{checkpoint} holds no {BASE_FILE}: it is not a checkpoint of vdm train.")
        model = load_model(checkpoint, dtype=unet_dtype, frozen_dtype=frozen_dtype)
        if lora_rank(model.unet) != config.lora_rank:
            raise VdmError(
                f"{checkpoint} was trained with --lora-rank {lora_rank(model.unet)}; resume it with that."
            )
        if config.lora_rank:
            make_trainable(model.unet)
        return model, base, checkpoint
    if checkpoints(config.out):
        raise VdmError(
            f"{config.out} already holds a run; pass --resume to continue it or choose another --out."
        )
    if config.model == TINY:  # a random base has no source to name: it is saved once, as RUN/base
        directory = config.out / BASE_DIR
        if accelerator.is_main_process:
            save_base_model(tiny_model(config.tiny_tile, config.tiny_condition, config.seed), config.out)
        accelerator.wait_for_everyone()
    else:
        directory = model_directory(config.model)
    base = describe_base(config.model, directory, config.out, lora=config.lora_rank > 0)
    model = load_model(directory, dtype=unet_dtype, frozen_dtype=frozen_dtype)
    if config.lora_rank:
        add_lora(model.unet, config.lora_rank, config.lora_alpha)
    return model, base, None


def _load_state(accelerator: Accelerator, checkpoint: Path) -> None:
    """The optimizer, LR scheduler and RNG states of a proven checkpoint; content its headers did
    not betray (a damaged archive) is one sentence."""
    try:
        accelerator.load_state(str(checkpoint))
    except Exception as exc:  # torch.load and pickle raise many types for a damaged archive
        raise VdmError(
            f"The training state in {checkpoint} does not load ({short_reason(exc)}); move that "
            "checkpoint aside to resume an earlier one."
        ) from exc


def _step_generator(config: TrainConfig, step: int, process: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device).manual_seed(config.seed * 1_000_003 + step * 1_009 + process)


def _batch_inputs(
    model: Zero123PlusModel, batch: dict[str, torch.Tensor], drop: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(text states with the global condition, condition latents, target latents); dropped samples
    get the unconditional inputs of classifier-free guidance."""
    device = model.vae.device
    size = batch["grid"].shape[0]
    dropped = torch.rand(size, generator=generator, device=device) < drop
    vae = torch.where(dropped[:, None, None, None], 0.0, batch["vae"].to(device))
    states = model.condition_states(batch["clip"])
    states = torch.where(dropped[:, None, None], model.prompt_states().to(states.dtype), states)
    return states, model.condition_latents(vae, generator), model.grid_latents(batch["grid"], generator)


def _noises(
    inputs: tuple[torch.Tensor, ...], g: torch.Generator, count: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise for the target latents and for the condition latent of the reference pass (`count`
    per sample instead of one: the timesteps of the evaluation loss)."""
    _, cond, latents = inputs
    size = (count,) if count else (latents.shape[0],)
    noise = torch.randn((*size, *latents.shape[1:]), generator=g, device=latents.device, dtype=latents.dtype)
    cond_noise = torch.randn((*size, *cond.shape[1:]), generator=g, device=cond.device, dtype=cond.dtype)
    return noise, cond_noise


def _v_loss(
    net: Any,
    model: Zero123PlusModel,
    inputs: tuple[torch.Tensor, ...],
    t: torch.Tensor,
    noises: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    states, cond, latents = inputs
    noise, cond_noise = noises
    scheduler = model.train_scheduler()
    noisy = scheduler.add_noise(latents, noise, t)
    target = scheduler.get_velocity(latents, noise, t)
    dtype = next(net.parameters()).dtype
    prediction = net(noisy.to(dtype), t, states.to(dtype), cond.to(dtype), cond_noise.to(dtype))
    return F.mse_loss(prediction.float(), target.float())


@torch.no_grad()
def evaluation_loss(
    net: Any, model: Zero123PlusModel, batch: dict[str, torch.Tensor], seed: int, chunk: int
) -> float:
    """The v-loss at fixed, evenly spread timesteps with fixed noise: comparable across a run. The
    UNet sees at most `chunk` inputs at a time (the training batch: start-up memory stays within a
    training step's), and the value does not depend on `chunk`."""
    device = model.vae.device
    steps = model.train_scheduler().config.num_train_timesteps
    timesteps = ((torch.arange(EVAL_TIMESTEPS, device=device) + 0.5) * steps / EVAL_TIMESTEPS).long()
    total = 0.0
    for i in range(batch["grid"].shape[0]):
        g = torch.Generator(device).manual_seed(seed * 1_000_003 + i)
        inputs = _batch_inputs(model, {k: v[i : i + 1] for k, v in batch.items()}, 0.0, g)
        noise, cond_noise = _noises(inputs, g, EVAL_TIMESTEPS)
        for start in range(0, EVAL_TIMESTEPS, chunk):
            t = timesteps[start : start + chunk]
            repeated = tuple(x.expand(len(t), *x.shape[1:]) for x in inputs)
            part = (noise[start : start + len(t)], cond_noise[start : start + len(t)])
            total += float(_v_loss(net, model, repeated, t, part)) * len(t)
    return total / (batch["grid"].shape[0] * EVAL_TIMESTEPS)


def train(config: TrainConfig) -> TrainSummary:
    """Run (or resume) training; returns the losses, speed and the last checkpoint."""
    writable_dir(config.out)  # before loading a model: a bad --out fails at once
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        if not torch.cuda.is_available():  # CPU runs are exactly reproducible (GPU runs are not)
            torch.use_deterministic_algorithms(True, warn_only=True)
        with torch_threads(config.threads), utf8_alias(config.out) as out:
            try:
                summary = _train(dataclasses.replace(config, out=out))
            except VdmError as exc:
                if out == config.out:
                    raise
                # the sentence names the run folder as the user gave it, not its UTF-8 alias
                raise VdmError(str(exc).replace(str(out), printable(str(config.out)))) from exc
    finally:
        torch.use_deterministic_algorithms(deterministic)
    checkpoint = summary.checkpoint and config.out / summary.checkpoint.name
    return dataclasses.replace(summary, checkpoint=checkpoint)


@dataclass
class _Run:
    """A prepared training run: the model, the wrapped network, its optimizer and data."""

    accelerator: Accelerator
    model: Zero123PlusModel
    base: BaseModel
    net: Any
    optimizer: Any
    lr_schedule: Any
    loader: Any
    train_entries: list[dict[str, Any]]
    val_entries: list[dict[str, Any]]
    start_step: int
    stop: int


def _prepare(config: TrainConfig) -> _Run:
    """Split the data, start Accelerate, load (or resume) the model and build optimizer and loader."""
    train_entries, val_entries = split_entries(load_entries(config.data), config.validation.fraction)
    cuda = torch.cuda.is_available()
    precision = ("bf16" if cuda else "no") if config.mixed_precision == "auto" else config.mixed_precision
    accelerator = Accelerator(
        cpu=not cuda,  # without it, processes launched on CPUs each train alone (DistributedType.NO)
        mixed_precision=precision,
        log_with="tensorboard",
        project_config=ProjectConfiguration(
            project_dir=str(config.out), logging_dir=str(config.out / "logs")
        ),
    )
    register_hooks(accelerator)
    set_seed(config.seed)
    weight_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    model, base, resume_from = _initial_model(config, weight_dtype, accelerator)
    start_step = checkpoint_step(resume_from) if resume_from else 0
    stop = min(config.stop_at or config.steps, config.steps)
    if start_step >= stop:
        raise VdmError(f"The run in {config.out} is already at step {start_step}; raise --steps to go on.")
    model.frozen_to(accelerator.device, weight_dtype)
    net = ReferenceUNet(model.unet, model.train_scheduler().alphas_cumprod)
    if config.gradient_checkpointing if config.gradient_checkpointing is not None else cuda:
        model.unet.enable_gradient_checkpointing()
    optimizer = torch.optim.AdamW(
        trainable_parameters(net), lr=config.peak_learning_rate(), weight_decay=config.weight_decay
    )
    processes = accelerator.num_processes
    lr_schedule = get_cosine_with_hard_restarts_schedule_with_warmup(
        optimizer, config.warmup_steps * processes, config.steps * processes, num_cycles=config.cycles()
    )
    dataset = GridDataset(config.data, train_entries, model, config.augment)
    sampler = StepBatchSampler(
        len(train_entries), config.batch_size, config.seed, start_step * processes, stop * processes
    )
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=config.workers)
    net, optimizer, lr_schedule = accelerator.prepare(net, optimizer, lr_schedule)
    loader = accelerator.prepare_data_loader(loader, device_placement=True)
    if resume_from:
        _load_state(accelerator, resume_from)
        log.info("resumed %s at step %d", resume_from.name, start_step)
    accelerator.init_trackers("vdm-train", config=_flat_config(config))
    return _Run(
        accelerator,
        model,
        base,
        net,
        optimizer,
        lr_schedule,
        loader,
        train_entries,
        val_entries,
        start_step,
        stop,
    )


def _train_step(run: _Run, config: TrainConfig, batch: dict[str, torch.Tensor], step: int) -> float:
    """One optimizer step on a batch; returns the loss averaged over the processes."""
    accelerator = run.accelerator
    g = _step_generator(config, step, accelerator.process_index, accelerator.device)
    inputs = _batch_inputs(run.model, batch, config.cond_drop, g)
    steps = run.model.train_scheduler().config.num_train_timesteps
    t = torch.randint(0, steps, (batch["grid"].shape[0],), generator=g, device=accelerator.device)
    loss = _v_loss(run.net, run.model, inputs, t, _noises(inputs, g))
    accelerator.backward(loss)
    if accelerator.sync_gradients:
        accelerator.clip_grad_norm_(trainable_parameters(run.net), config.grad_clip)
    run.optimizer.step()
    run.lr_schedule.step()
    run.optimizer.zero_grad(set_to_none=True)
    return float(accelerator.gather(loss.detach()).mean())


def _train(config: TrainConfig) -> TrainSummary:
    started = time.perf_counter()
    run = _prepare(config)
    eval_batch = _eval_batch(config, run.model, run.train_entries)
    loss_start = evaluation_loss(run.net, run.model, eval_batch, config.seed, config.batch_size)
    losses: list[float] = []
    step, checkpoint, val_error = run.start_step, None, None
    run.net.train()
    loop_started = time.perf_counter()
    main_process = run.accelerator.is_main_process
    console = table_console(stderr=True) if main_process else Console(quiet=True)
    with WorkProgress(console, "training", run.stop, "steps", done=run.start_step) as bar:
        for batch in _user_errors(run.loader):
            value = _train_step(run, config, batch, step)
            step += 1
            losses.append(value)
            bar.advance(f"loss {value:.4f}")
            last = step == run.stop
            if step % config.log_every == 0 or last:
                learning_rate = run.lr_schedule.get_last_lr()[0]
                run.accelerator.log({"train/loss": value, "train/lr": learning_rate}, step=step)
            if run.val_entries and (step % config.validation.every == 0 or last):
                val_error = _validate(run, config, step)
            if step % config.checkpoint_every == 0 or last:
                state = {"config": _flat_config(config), "loss": value}
                checkpoint = save_checkpoint(
                    run.accelerator, run.model, run.base, config.out, step, state, config.keep_checkpoints
                )
    if step == config.steps and checkpoint is not None and main_process:
        export_model(checkpoint, config.out / EXPORT)  # the finished run as one complete model
    run.accelerator.wait_for_everyone()
    loop_seconds = time.perf_counter() - loop_started
    run.net.eval()
    loss_end = evaluation_loss(run.net, run.model, eval_batch, config.seed, config.batch_size)
    run.accelerator.end_training()
    return TrainSummary(
        start_step=run.start_step,
        step=step,
        loss_start=loss_start,
        loss_end=loss_end,
        first_losses=losses[:10],
        last_losses=losses[-10:],
        seconds=time.perf_counter() - started,
        steps_per_second=(step - run.start_step) / loop_seconds,
        checkpoint=checkpoint,
        val_angular_error_deg=val_error,
    )


def _eval_batch(
    config: TrainConfig, model: Zero123PlusModel, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """Up to 4 training samples without augmentation (the fixed evaluation loss runs on them)."""
    dataset = GridDataset(config.data, entries, model, AugmentConfig.off())
    items = [dataset[(i, 0)] for i in range(min(4, len(entries)))]
    return {key: torch.stack([item[key] for item in items]) for key in items[0]}


def _validate(run: _Run, config: TrainConfig, step: int) -> float | None:
    """Validate on the main process (the others wait); returns its mean angular error there."""
    error = None
    if run.accelerator.is_main_process:
        run.net.eval()
        net = run.accelerator.unwrap_model(run.net)
        result = validate(
            run.model, net, config.validation, config.data, config.out, run.val_entries, step, config.seed
        )
        error = result.mean
        views = {f"val/angular_error_deg_view{k}": value for k, value in result.per_view.items()}
        run.accelerator.log({"val/mean_angular_error_deg": error, **views}, step=step)
        run.net.train()
    run.accelerator.wait_for_everyone()
    return error


def _user_errors(loader: Any) -> Any:
    """Batches of the loader; a user error raised in a worker process comes back as one sentence."""
    iterator = iter(loader)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except VdmError as exc:
            raise VdmError(str(exc).strip().splitlines()[-1].split("VdmError: ")[-1]) from None


def _flat_config(config: TrainConfig) -> dict[str, Any]:
    """The config as TensorBoard hyper-parameters (scalars and UTF-8 strings only: a path's bytes
    that are not UTF-8 are written as \\xNN)."""

    def scalar(value: Any) -> Any:
        return value if isinstance(value, int | float | bool) else printable(str(value))

    flat: dict[str, Any] = {}
    for key, value in dataclasses.asdict(config).items():
        if isinstance(value, dict):
            flat |= {f"{key}_{k}": scalar(v) for k, v in value.items()}
        else:
            flat[key] = scalar(value)
    return flat
