"""The model a training run starts from, named by its source instead of re-saved in every checkpoint.

Training changes only the UNet. A checkpoint therefore holds the UNet, the sampler's config and
`base_model.json`: where the frozen parts (VAE, both encoders, tokenizer, feature extractors) come
from (the hub id and snapshot revision, or the local directory) and the SHA-256 of each of their
files, so a later load uses the very bytes training saw, in their original dtype. A `tiny` run
saves its random base once, as RUN/base. A LoRA checkpoint holds the adapter instead of the UNet,
and its base record names the frozen UNet too. `export_model` turns a checkpoint into one complete
Zero123++ directory: the frozen parts copied byte for byte, the trained (or adapter-fused, fp32)
UNet beside them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError
from vdm.train.hub import MODEL_INDEX, download

BASE_FILE = "base_model.json"
FROZEN = (
    "vae",
    "vision_encoder",
    "text_encoder",
    "tokenizer",
    "feature_extractor_clip",
    "feature_extractor_vae",
)
CHUNK = 1 << 24


@dataclass(frozen=True)
class BaseModel:
    """Where a run's frozen parts come from and the digest of each of their files."""

    source: str  # what --model named: a hub id, a directory, or "tiny"
    directory: str  # the complete model directory (relative: to the run directory)
    revision: str | None  # the hub snapshot's commit, for a hub id
    files: dict[str, str]  # frozen file (relative to the directory) -> SHA-256

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def frozen_files(directory: Path, parts: tuple[str, ...] = FROZEN) -> dict[str, str]:
    """Every file of the frozen components of a model directory, with its SHA-256."""
    found = sorted(p for name in parts for p in (directory / name).rglob("*") if p.is_file())
    return {str(p.relative_to(directory)): _sha256(p) for p in found}


def describe_base(source: str, directory: Path, run: Path, lora: bool = False) -> BaseModel:
    """The base record of a complete model directory (`run`-relative when it lies inside the run);
    a LoRA run's UNet is frozen too, so its files are named as well."""
    directory = directory.resolve()
    revision = directory.name if directory.parent.name == "snapshots" else None  # the hub cache layout
    try:
        named = str(directory.relative_to(run.resolve()))
    except ValueError:
        named = str(directory)
    parts = (*FROZEN, "unet") if lora else FROZEN
    return BaseModel(source, named, revision, frozen_files(directory, parts))


def write_base(base: BaseModel, checkpoint: Path) -> None:
    write_text_atomic(checkpoint / BASE_FILE, base.to_json())


def read_base(checkpoint: Path) -> BaseModel | None:
    """The base record of a lean checkpoint; None for a complete model directory."""
    path = checkpoint / BASE_FILE
    if not path.is_file():
        return None
    try:
        return BaseModel(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise VdmError(f"{path} is unreadable or not a base-model record.") from exc


def base_directory(checkpoint: Path, base: BaseModel) -> Path:
    """The directory holding the frozen parts, checked file by file against the record: a base that
    moved is looked up again by hub id and revision; one that changed is refused."""
    directory = Path(base.directory)
    if not directory.is_absolute():
        directory = checkpoint.parent / directory
    if not directory.is_dir() and base.revision:
        directory = download(base.source, base.revision)
    if not directory.is_dir():
        raise VdmError(f"The base model of {checkpoint} ({base.source}) is gone from {directory}.")
    for name, digest in base.files.items():
        path = directory / name
        if not path.is_file() or _sha256(path) != digest:
            raise VdmError(
                f"The base model at {directory} changed since {checkpoint} was trained ({name} differs); "
                "restore it or train again."
            )
    return directory


def export_model(checkpoint: Path, out: Path) -> Path:
    """One complete Zero123++ directory from a lean checkpoint (written under a temporary name)."""
    base = read_base(checkpoint)
    if base is None:
        raise VdmError(f"{checkpoint} is not a training checkpoint (it has no {BASE_FILE}).")
    source = base_directory(checkpoint, base)
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in FROZEN:
        shutil.copytree(source / name, partial / name)
    if (checkpoint / "unet").is_dir():
        shutil.copytree(checkpoint / "unet", partial / "unet")
    else:  # a LoRA run: its adapter fused into the base's UNet
        from vdm.train.lora import fused_unet

        fused_unet(source / "unet", checkpoint).save_pretrained(partial / "unet")
    shutil.copytree(checkpoint / "scheduler", partial / "scheduler")
    shutil.copy2(checkpoint / MODEL_INDEX, partial / MODEL_INDEX)
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return out
