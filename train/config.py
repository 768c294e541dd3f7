"""Every setting of train/ in plain dataclasses (light: the CLI reads its defaults from here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from vdm.errors import VdmError

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
    nearby_views: float = 0.0  # probability of taking view 1 or 3 instead of the front view
    condition_views: tuple[int, ...] = ()  # when given, the condition view is drawn from these instead
    joint_crop: float = 0.0  # up to this share cut from each side, alike from condition and targets
    resize: tuple[int, int] = (0, 0)  # the condition drawn down to a side in this range and back (0: off)

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

    fraction: float = 0.05  # held-out share of the selections
    every: int = 2_000  # steps between validations
    samples: int = 4  # held-out patches sampled per validation
    steps: int = SAMPLE_STEPS
    guidance: float = GUIDANCE


@dataclass
class TrainConfig:
    """Every setting of a training run (the CLI builds it from options)."""

    data: Path
    out: Path
    model: str = HUB_ID  # hub id, model directory, training run, or "tiny" (random toy model)
    steps: int = 20_000
    stop_at: int | None = None  # end this invocation early (checkpointed) at this step; resume later
    batch_size: int = 4  # per process
    learning_rate: float | None = None  # None: 1e-5, or 1e-4 for LoRA (adapters start at zero)
    weight_decay: float = 1e-2
    warmup_steps: int = 500
    restarts: int = 1  # cosine cycles (hard restarts) over the run
    restart_every: int | None = None  # instead: a hard restart every this many steps
    grad_clip: float = 1.0
    cond_drop: float = 0.1  # probability of training a sample unconditionally
    mixed_precision: str = "auto"  # auto (bf16 on GPU, none on CPU) | no | bf16 | fp16
    gradient_checkpointing: bool | None = None  # None: on where a GPU trains
    checkpoint_every: int = 2_000
    keep_checkpoints: int = 3
    resume: bool = False
    seed: int = 0
    workers: int = 0
    threads: int | None = None  # CPU threads for torch (None: torch's default); 1 suits tiny models
    log_every: int = 10
    tiny_tile: int = 32  # with model="tiny": tile and condition sizes
    tiny_condition: int = 64
    lora_rank: int = 0  # 0: fine-tune the whole UNet; else train LoRA adapters of this rank
    lora_alpha: float | None = None  # LoRA scale numerator (None: the rank, a scale of 1)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)

    def peak_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return LORA_LEARNING_RATE if self.lora_rank else FULL_LEARNING_RATE

    def cycles(self) -> int:
        """Cosine cycles over the run."""
        return -(-self.steps // self.restart_every) if self.restart_every else self.restarts

    def check(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise VdmError("Steps and batch size must be at least 1.")
        if self.mixed_precision not in ("auto", "no", "bf16", "fp16"):
            raise VdmError(f"Mixed precision '{self.mixed_precision}' is not one of auto, no, bf16, fp16.")
        if self.lora_rank < 0:
            raise VdmError("The LoRA rank must be 0 (off) or more.")
        if not 0.0 <= self.cond_drop < 1.0 or not 0.0 <= self.validation.fraction < 1.0:
            raise VdmError("The condition drop rate and the held-out fraction must be in [0, 1).")


def with_recipe(config: TrainConfig, recipe: str) -> TrainConfig:
    """`config` with a recipe's settings: "default" keeps it; "genvdm" takes GenVDM's condition
    views and augmentation, a cosine restart every 3,000 steps without warm-up, batch 6 in fp32."""
    if recipe not in RECIPES:
        raise VdmError(f"Unknown recipe '{recipe}' (use {' or '.join(RECIPES)}).")
    if recipe == "default":
        return config
    return replace(
        config,
        augment=GENVDM_AUGMENT,
        warmup_steps=0,
        restart_every=3_000,
        batch_size=6,
        mixed_precision="no",
    )


@dataclass(frozen=True)
class GenerateConfig:
    """Sampler settings and the device (None: CUDA where present, else CPU)."""

    steps: int = SAMPLE_STEPS
    guidance: float = GUIDANCE
    seed: int = 0
    device: str | None = None
    threads: int | None = None  # CPU threads for torch (None: torch's default)
