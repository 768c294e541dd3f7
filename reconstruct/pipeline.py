"""Six normal maps to a VDM: the library entry point behind `vdm reconstruct`.

Stage 1 fits the part's SDF (reconstruct.sdf); stage 2 makes the fitted surface a patch
(reconstruct.surface_patch) and bakes it with `vdm bake`'s map onto the square (bake.brush): the
bare plane stays where it is, the part is covered without a fold, the border is exact. Outputs in
DIR: vdm.exr (conventions section 6), mesh.ply (the surface the VDM encodes, a patch mesh),
preview.png, stage1.ply (the fitted surface as a patch) and report.json (settings, timings, final
losses, the bake's map report).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vdm.atomic import writable_dir, write_text_atomic
from vdm.errors import VdmError
from vdm.patch import Patch, part_faces, write_patch
from vdm.reconstruct.config import QUALITIES, ReconstructConfig
from vdm.reconstruct.encoding import GridConfig
from vdm.reconstruct.field import FieldConfig
from vdm.reconstruct.sdf import SdfConfig
from vdm.reconstruct.surface_patch import SurfaceConfig
from vdm.torch_runtime import pick_device, torch_threads
from vdm.vdm_file import write_vdm
from vdm.vdm_grid import vdm_to_patch

if TYPE_CHECKING:
    import torch

    from vdm.reconstruct.inputs import NormalViews

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QualitySettings:
    """Everything `--quality` chooses."""

    view_size: int
    sdf: SdfConfig
    surface: SurfaceConfig
    field: FieldConfig


def quality_settings(quality: str) -> QualitySettings:
    """`draft`: 64 px views, 200 steps of 256 rays on a coarser grid, a coarse surface (a first look);
    `fast`: 128 px views, 500 steps; `full`: 256 px views, 1000 steps of 1024 rays on a finer grid, a
    finer surface, the sharpness warm-up as many steps long as at fast. What each costs and gives,
    measured: docs/reconstruct.md, "Quality presets"."""
    if quality == "draft":
        return QualitySettings(
            64,
            SdfConfig(iterations=200, rays=256, samples=24, grid=GridConfig(levels=6, finest_resolution=32)),
            SurfaceConfig(lattice=64, edge_length=0.04),
            FieldConfig(iterations=300, hidden=64, lr=2e-3, batch=1024, targets=2048),
        )
    if quality == "fast":
        return QualitySettings(128, SdfConfig(), SurfaceConfig(), FieldConfig())
    if quality == "full":
        fast, steps = SdfConfig(), 1000
        return QualitySettings(
            256,
            SdfConfig(
                iterations=steps,
                rays=1024,
                samples=64,
                grid=GridConfig(levels=12, finest_resolution=128),
                hidden=64,
                eps_end=0.005,
                s_end=600.0,
                # the warm-up as many steps long as fast's (37): 75 filled the folded ear's fold
                warm_share=fast.warm_share * fast.iterations / steps,
            ),
            SurfaceConfig(lattice=256, edge_length=0.01),
            FieldConfig(iterations=1500, hidden=256, batch=4096, targets=8192),
        )
    raise VdmError(f"Unknown quality {quality!r}; use one of {', '.join(QUALITIES)}.")


@dataclass
class ReconstructResult:
    """Paths of what was written, seconds per step, and the final losses."""

    vdm: Path
    mesh: Path
    preview: Path
    stage1: Path | None
    displacement: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    losses: dict[str, float] = field(default_factory=dict)


class _Progress:
    """A bar over one stage's steps that shows the current losses (vdm.progress.step_bar)."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        from vdm.progress import step_bar

        self.bar = step_bar(total=total, desc=label, enabled=enabled)
        self.last: dict[str, float] = {}

    def __call__(self, step: int, losses: dict[str, float]) -> None:
        self.last = losses
        self.bar.update(1)
        if step % 10 == 0:
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in losses.items()}, refresh=False)

    def close(self) -> None:
        self.bar.close()


EMPTY_SPACE = 0.1  # a surface with more than this share where the views prove space empty failed
SURFACE_POINTS = 4000  # points of the part's surface sampled for that share
REFIT_CARVE = 10.0  # the carve term's weight when a failed fit is made again (1 left the hook's dome)


def _say_made_again(failure: str, seed: int) -> None:
    """The one warning of a failed fit that stage 1 makes again (`_stage1`, `_neural`)."""
    log.warning("Stage 1 %s: a failed fit; made again at seed %d, empty space carved.", failure, seed)


def _stage1(
    views: NormalViews,
    settings: QualitySettings,
    config: ReconstructConfig,
    device: torch.device,
    info: dict,
    refit_only: bool = False,
) -> Patch:
    """Stage 1's surface as a patch. A fit can fail by its seed: before the sharpness warm-up
    (sdf.sharpness) the hook's fit failed at five of nine seeds, its start hemisphere growing into a
    dome over the plane instead of dissolving, or (once) the part vanishing (docs/reconstruct.md).
    A fit whose surface is refused (no disk, the bare
    plane) or lies more than EMPTY_SPACE where the views prove space empty is made again at the next
    seed with the carve term on (sdf.SdfConfig.carve_weight); of the surfaces made, the one with the
    least surface there is kept. A sound fit is never made twice, so its VDM is what it was.
    `refit_only`: only the second fit (its first surface was refused by the bake: `_neural`)."""
    from vdm.reconstruct.hull import empty_space_share
    from vdm.reconstruct.sdf import fit_sdf
    from vdm.reconstruct.surface_patch import surface_patch
    from vdm.surface_metrics import sample_surface

    timings = info["timings"]
    made: list[tuple[float, Patch, dict[str, float]]] = []
    refusal: VdmError | None = None
    tries = ((config.seed, settings.sdf), (config.seed + 1, replace(settings.sdf, carve_weight=REFIT_CARVE)))
    for seed, sdf_config in tries[1:] if refit_only else tries:
        start = time.perf_counter()
        label = "stage 1 (SDF)" if seed == config.seed else "stage 1 (SDF), made again"
        bar = _Progress(sdf_config.iterations, label, config.progress)
        model = fit_sdf(views, sdf_config, device, seed, bar)
        bar.close()
        timings["stage1"] = timings.get("stage1", 0.0) + time.perf_counter() - start
        start = time.perf_counter()
        try:
            patch = surface_patch(model, settings.surface)
        except VdmError as exc:
            refusal, failure = refusal or exc, f"gave no surface a VDM can hold ({exc})"
        else:
            part = part_faces(patch, touching=True)
            points = sample_surface(Patch(patch.vertices, part, patch.labels), SURFACE_POINTS, seed).points
            made.append((empty_space_share(model.hull, points), patch, bar.last))
            if made[-1][0] <= EMPTY_SPACE:
                break
            failure = f"put {made[-1][0]:.0%} of the part's surface where the views show empty space"
        finally:
            timings["extract"] = timings.get("extract", 0.0) + time.perf_counter() - start
        if seed == config.seed:
            _say_made_again(failure, seed + 1)
    if not made:
        raise refusal
    share, patch, last = min(made, key=lambda fit: fit[0])
    info["losses"].update({f"sdf_{k}": v for k, v in last.items()})
    fits = len(made) + (refusal is not None) + info.get("stage1", {}).get("fits", 0)
    info["stage1"] = {"fits": fits, "empty_space_share": share}
    return patch


def _neural(
    views: NormalViews, settings: QualitySettings, config: ReconstructConfig, out: Path, info: dict
) -> tuple[np.ndarray, Path]:
    """Stage 1 and stage 2 (the bake of its surface, or `--stage2 field`); fills info's timings,
    losses and map report; returns the displacement and stage1.ply."""
    from vdm.bake.brush import TooFewPixels, bake_patch

    device = pick_device(config.device)
    timings, losses = info["timings"], info["losses"]
    patch = _stage1(views, settings, config, device, info)
    stage1_path = write_patch(out / "stage1.ply", patch)
    start = time.perf_counter()
    if config.stage2 == "field":
        from vdm.reconstruct.field import field_stage2

        bar = _Progress(settings.field.iterations, "stage 2 (field)", config.progress)
        resolution, border = config.bake.resolution, config.bake.border
        displacement = field_stage2(patch, settings.field, resolution, border, device, config.seed, bar)
        bar.close()
        losses.update({f"field_{k}": v for k, v in bar.last.items()})
    else:
        try:
            brush = bake_patch(patch, config.bake, widen_band=True)
        except TooFewPixels as exc:  # a surface the VDM cannot hold is a failed fit too (_stage1)
            if info["stage1"]["fits"] > 1:
                raise
            _say_made_again(f"gave a surface that cannot be baked ({exc})", config.seed + 1)
            refused = time.perf_counter() - start  # the bake that refused it
            patch = _stage1(views, settings, config, device, info, refit_only=True)
            stage1_path = write_patch(out / "stage1.ply", patch)
            start = time.perf_counter() - refused
            brush = bake_patch(patch, config.bake, widen_band=True)
        info["map"] = brush.report
        displacement = brush.displacement
    timings["stage2"] = time.perf_counter() - start
    return displacement, stage1_path


def reconstruct(
    normals: Path | str | dict[int, np.ndarray],
    out_dir: Path | str,
    config: ReconstructConfig | None = None,
    masks: dict[int, np.ndarray] | None = None,
) -> ReconstructResult:
    """Reconstruct a VDM from six normal views (a grid PNG, a `vdm render` directory, or {k: image})
    and write vdm.exr, mesh.ply, preview.png, stage1.ply and report.json into `out_dir`."""
    from vdm.reconstruct.inputs import load_normal_views

    config = config or ReconstructConfig()
    settings = quality_settings(config.quality)
    out = Path(out_dir)
    np.random.seed(config.seed)
    info: dict = {"timings": {}, "losses": {}}
    start = time.perf_counter()
    if config.baseline:
        from vdm.reconstruct.baseline import height_field_vdm
        from vdm.reconstruct.inputs import front_view

        if isinstance(normals, dict):
            if 2 not in normals:
                raise VdmError("The height-field baseline needs the front view (view 2).")
            front = np.asarray(normals[2])
        else:
            front = front_view(normals)
        load_normal_views(normals, settings.view_size, masks)  # the same input checks as the neural path
        displacement, stage1 = height_field_vdm(front, config.bake.resolution), None
        info["timings"]["baseline"] = time.perf_counter() - start
    else:
        views = load_normal_views(normals, settings.view_size, masks)
        info["timings"]["load"] = time.perf_counter() - start
        writable_dir(out)  # the inputs are sound: check the output before the minutes of fitting
        with torch_threads(max(1, config.threads)):
            displacement, stage1 = _neural(views, settings, config, out, info)
    writable_dir(out)
    start = time.perf_counter()
    vdm_path = write_vdm(out / "vdm.exr", displacement, config.bake.half, config.bake.compression)
    mesh_path = write_patch(out / "mesh.ply", vdm_to_patch(displacement))
    from vdm.render.vdm_preview import write_preview

    preview = write_preview(out / "preview.png", displacement)
    info["timings"]["write"] = time.perf_counter() - start
    report = {"config": asdict(config), "settings": asdict(settings), **info}
    write_text_atomic(out / "report.json", json.dumps(report, indent=2, default=str))
    return ReconstructResult(
        vdm_path, mesh_path, preview, stage1, displacement, info["timings"], info["losses"]
    )
