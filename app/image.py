"""`vdm image`: one picture to a brush an artist keeps, in one command.

The part cut out of the picture (train.cutout), the condition image made as the model's authors make
it, the six normal maps (train.generate), the VDM reconstructed from them as a brush (reconstruct,
centred and inside Blender's circle), and brush.blend with its icon (bake.asset). Every input is
checked, and the model found, before a model is loaded: a picture it cannot use or weights that are
not on the machine are one sentence at once, saying what to give instead or where to get them.

DIR receives cutout.png, condition.png, normals/ (grid.png, normal_<k>.png, mask_<k>.png,
generate.json), vdm.exr, mesh.ply, preview.png, stage1.ply, brush.blend, icon.png,
blender_assets.cats.txt and report.json (each step's seconds, the model, the frame its normals came in).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rich.console import Console

from vdm.atomic import writable_dir, write_text_atomic
from vdm.errors import VdmError
from vdm.reconstruct.config import ReconstructConfig
from vdm.train.config import HUB_ID, GenerateConfig

log = logging.getLogger(__name__)

GENVDM_WEIGHTS = "https://huggingface.co/datasets/yzyang/VDM_Dataset"
STEPS = ("cut out the part", "six normal maps", "reconstruct the VDM", "the brush for Blender")


@dataclass
class ImageResult:
    """Where everything is, and the seconds of each step."""

    paths: dict[str, Path]
    seconds: dict[str, float]


def check_model(model: str | Path) -> None:
    """The model is on this machine (a file or a folder), or a hub id; the sentence says where to get
    one otherwise."""
    path = Path(model)
    if not str(model):
        raise VdmError(
            f"vdm image needs a model: --model with GenVDM's checkpoint ({GENVDM_WEIGHTS}; CC-BY-NC 4.0, "
            "as Zero123++'s weights) or a run of `vdm train`; or --normals with six normal maps made already."
        )
    if path.exists() or ("/" in str(model) and not path.is_absolute() and not str(model).startswith(".")):
        return
    raise VdmError(
        f"There is no model at {model}: pass --model with GenVDM's checkpoint ({GENVDM_WEIGHTS}; "
        "CC-BY-NC 4.0, as Zero123++'s weights), a run of `vdm train`, or a Zero123++ directory."
    )


def picture_to_brush(
    picture: Path,
    out: Path,
    model: str | Path,
    generate_config: GenerateConfig,
    reconstruct_config: ReconstructConfig,
    mask: Path | None = None,
    base: str | Path = HUB_ID,
    name: str | None = None,
    console: Console | None = None,
    normals: Path | None = None,
) -> ImageResult:
    """The whole way from a picture to a brush (module docstring); returns the paths and seconds.
    With `normals` (six normal maps already made: a grid PNG or a `vdm render` folder) the model is
    not run: those are reconstructed."""
    from vdm.images import write_png
    from vdm.train.cutout import cut_out

    console = console or Console(stderr=True)
    if normals is None:
        check_model(model)
    elif not Path(normals).exists():
        raise VdmError(f"Normal maps {normals} do not exist.")
    rgba = cut_out(Path(picture), mask)  # a picture it cannot use: one sentence before anything else
    out = writable_dir(out, create=True)
    seconds: dict[str, float] = {}
    paths: dict[str, Path] = {}

    def step(index: int) -> float:
        console.rule(f"{index + 1}/{len(STEPS)} {STEPS[index]}")
        return time.perf_counter()

    start = step(0)
    paths["cutout"] = write_png(out / "cutout.png", rgba)
    seconds[STEPS[0]] = time.perf_counter() - start
    start = step(1)
    if normals is None:
        from vdm.train.generate import generate  # torch and diffusers: only once the inputs are sound

        generate(paths["cutout"], model, out / "normals", generate_config, base)
        paths |= {"condition": out / "normals" / "condition.png", "normals": out / "normals" / "grid.png"}
    else:
        paths["normals"] = Path(normals)
    seconds[STEPS[1]] = time.perf_counter() - start
    start = step(2)
    from vdm.reconstruct.pipeline import reconstruct

    config = replace(reconstruct_config, bake=replace(reconstruct_config.bake, frame="brush"))
    rebuilt = reconstruct(paths["normals"], out, config)
    paths |= {"vdm": rebuilt.vdm, "mesh": rebuilt.mesh, "preview": rebuilt.preview}
    seconds[STEPS[2]] = time.perf_counter() - start
    start = step(3)
    from vdm.bake.asset import part_name, write_tool_files

    brush = part_name(name or "", Path(picture).stem)
    paths |= write_tool_files(out, rebuilt.displacement, rebuilt.vdm, brush, "", str(picture), True, ())
    seconds[STEPS[3]] = time.perf_counter() - start
    made = out / "normals" / "generate.json"
    generated = json.loads(made.read_text(encoding="utf-8")) if normals is None else {"normals": str(normals)}
    report = {
        "picture": str(picture),
        "model": generated,
        "reconstruct": asdict(config),
        "seconds": seconds,
        "files": {k: str(v) for k, v in paths.items()},
    }
    paths["report"] = write_text_atomic(out / "report.json", json.dumps(report, indent=1, default=str) + "\n")
    return ImageResult(paths, seconds)
