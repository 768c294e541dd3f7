"""Every setting of train/ in plain dataclasses (light: the CLI reads its defaults from here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from vdm.settings import check_settings, setting
from vdm.torch_runtime import device_setting, threads_setting

HUB_ID = "sudo-ai/zero123plus-v1.2"  # the public base model
TINY = "tiny"  # --model tiny: the small random model of the tests and the demo
SAMPLE_STEPS = 75  # Euler ancestral steps (Zero123++'s default)
GUIDANCE = 4.0  # classifier-free guidance scale (Zero123++'s default)
FULL_LEARNING_RATE = 1e-5  # peak AdamW rate, whole UNet
LORA_LEARNING_RATE = 1e-4  # peak AdamW rate, LoRA adapters


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random changes; all zero = no augmentation."""

    hue: float = 0.04  # max hue shift, as a fraction of the colour wheel
    brightness: float = 0.15  # max relative change of the brightness
    zoom: float = 0.08  # the condition is rescaled by a factor in [1 - zoom, 1 + zoom]
    shift: float = 0.03  # and moved by up to this fraction of its side
    nearby_views: float = setting(
        0.0,
        flag="--nearby-views",
        min=0.0,
        max=1.0,
        label="nearby-view probability",
        help="Probability of conditioning on view 1 or 3 instead of 2.",
    )
    condition_views: tuple[int, ...] = ()  # when given, the condition view is drawn from these instead
    joint_crop: float = 0.0  # up to this share cut from each side, alike from condition and targets
    resize: tuple[int, int] = (0, 0)  # the condition drawn down to a side in this range and back (0: off)

    def __post_init__(self) -> None:
        check_settings(self)

    @classmethod
    def off(cls) -> AugmentConfig:
        return cls(hue=0.0, brightness=0.0, zoom=0.0, shift=0.0, nearby_views=0.0)


# GenVDM's recipe: the condition a colour render from views 0, 1 or 2 (azimuth -60, -30, 0), the full
# hue wheel, brightness x0.5-1.5, one random crop for condition and targets alike, a random resize
# 128-512 (docs/train.md says where the project's default differs, and why).
GENVDM_AUGMENT = AugmentConfig(
    hue=0.5,
    brightness=0.5,
    zoom=0.0,
    shift=0.0,
    condition_views=(0, 1, 2),
    joint_crop=0.1,
    resize=(128, 512),
)
RECIPES = ("default", "genvdm")


@dataclass(frozen=True)
class ValidationConfig:
    """The held-out split and how often and how well it is sampled during training."""

    fraction: float = setting(
        0.05,
        flag="--val-fraction",
        min=0.0,
        max=0.99,
        label="held-out fraction",
        help="Held-out share of selections.",
    )
    every: int = setting(
        2_000, flag="--val-every", min=1, label="validation interval", help="Steps between validations."
    )
    samples: int = 4  # held-out patches sampled per validation
    steps: int = setting(
        SAMPLE_STEPS,
        flag="--val-steps",
        min=1,
        label="validation sampling steps",
        help="Sampling steps in validation.",
    )
    guidance: float = GUIDANCE

    def __post_init__(self) -> None:
        check_settings(self)


@dataclass
class TrainConfig:
    """Every setting of a training run (the CLI builds it from options; `recipe` is the base that the
    options a user gives override)."""

    PRESET: ClassVar[str] = "recipe"

    data: Path = setting(flag="--data", label="dataset", help="A dataset directory written by `vdm mine`.")
    out: Path = setting(
        flag="--out", label="run directory", help="The run directory: checkpoints, validation, logs."
    )
    model: str = setting(  # hub id, model directory, training run, or "tiny" (random toy model)
        HUB_ID,
        flag="--model",
        label="model",
        help="Start from a hub id, a model directory, or 'tiny' (random toy model).",
    )
    recipe: str = setting(
        RECIPES[0],
        flag="--recipe",
        choices=RECIPES,
        label="recipe",
        help="genvdm: GenVDM's condition views, augmentation and schedule, batch 6 in fp32, as the base that "
        "the other options override.",
    )
    steps: int = setting(
        20_000, flag="--steps", min=1, label="step count", help="Total optimizer steps of the run."
    )
    stop_at: int | None = setting(
        None,
        flag="--stop-at",
        min=1,
        label="stop step",
        help="End this invocation at this step (resume later).",
    )
    batch_size: int = setting(
        4, flag="--batch-size", min=1, label="batch size", help="Samples per step per process."
    )
    learning_rate: float | None = setting(
        None,
        flag="--lr",
        min=0.0,
        label="learning rate",
        help="Peak AdamW learning rate (default 1e-5, or 1e-4 with --lora-rank).",
    )
    weight_decay: float = 1e-2
    warmup_steps: int = setting(
        500, flag="--warmup", min=0, label="warm-up steps", help="Linear warm-up steps."
    )
    restarts: int = setting(
        1, flag="--restarts", min=1, label="cosine cycles", help="Cosine cycles (hard restarts)."
    )
    restart_every: int | None = None  # instead: a hard restart every this many steps
    grad_clip: float = 1.0
    cond_drop: float = setting(  # probability of training a sample unconditionally
        0.1, min=0.0, max=0.99, label="condition drop rate", help="Share of samples trained unconditionally."
    )
    mixed_precision: str = setting(
        "auto",
        flag="--mixed-precision",
        choices=("auto", "no", "bf16", "fp16"),
        label="mixed precision",
        help="auto: bf16 on a GPU, none on the CPU.",
    )
    gradient_checkpointing: bool | None = setting(
        None,
        flag="--gradient-checkpointing",
        label="gradient checkpointing",
        help="Default: on where a GPU trains.",
    )
    checkpoint_every: int = setting(
        2_000,
        flag="--checkpoint-every",
        min=1,
        label="checkpoint interval",
        help="Steps between checkpoints (and at the end).",
    )
    keep_checkpoints: int = 3
    resume: bool = setting(
        False, flag="--resume", label="resume", help="Continue from the latest checkpoint in --out."
    )
    seed: int = setting(0, flag="--seed", label="seed", help="Seeds the model (tiny), data order and noise.")
    workers: int = setting(
        0, flag="--workers", min=0, label="loader workers", help="Data loader worker processes."
    )
    threads: int | None = threads_setting()  # 1 suits tiny models
    log_every: int = 10
    tiny_tile: int = 32  # with model="tiny": tile and condition sizes
    tiny_condition: int = 64
    lora_rank: int = setting(
        0,
        flag="--lora-rank",
        min=0,
        label="LoRA rank",
        help="Train LoRA adapters of this rank on the UNet's attention instead of the whole UNet "
        "(e.g. 16; fits one 24 GB GPU). 0: full fine-tuning.",
    )
    lora_alpha: float | None = None  # LoRA scale numerator (None: the rank, a scale of 1)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)

    def __post_init__(self) -> None:
        check_settings(self)

    def peak_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return LORA_LEARNING_RATE if self.lora_rank else FULL_LEARNING_RATE

    def cycles(self) -> int:
        """Cosine cycles over the run."""
        return -(-self.steps // self.restart_every) if self.restart_every else self.restarts

    def with_preset(self) -> TrainConfig:
        """This config with its recipe's settings: "default" keeps it; "genvdm" takes GenVDM's condition
        views and augmentation, a cosine restart every 3,000 steps without warm-up, batch 6 in fp32."""
        if self.recipe == "default":
            return self
        return replace(
            self,
            augment=GENVDM_AUGMENT,
            warmup_steps=0,
            restart_every=3_000,
            batch_size=6,
            mixed_precision="no",
        )


@dataclass(frozen=True)
class GenerateConfig:
    """Sampler settings and the device (None: CUDA where present, else CPU)."""

    steps: int = setting(
        SAMPLE_STEPS, flag="--steps", min=1, label="sampling steps", help="Euler ancestral steps."
    )
    guidance: float = setting(
        GUIDANCE, flag="--guidance", min=0.0, label="guidance scale", help="Classifier-free guidance scale."
    )
    seed: int = setting(0, flag="--seed", label="seed", help="Seed of the sampler.")
    device: str | None = device_setting()
    threads: int | None = threads_setting()

    def __post_init__(self) -> None:
        check_settings(self)
