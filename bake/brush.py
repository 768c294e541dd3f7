"""`vdm bake`: a patch straight to its VDM brush, and the files an artist keeps.

`bake_patch` checks the patch (conventions section 1), maps it onto the square
(bake.parameterize), checks the resolution gives the part's surface enough pixels, samples the
pixel grid (bake.sample) and repairs where its decoded faces would fold (bake.untangle). A grid
that still folds after the repair is made again from a map with a wider transition band (a part
squeezed hard into its footprint needs room to turn back into the plane): the map that folds least
is kept (the narrower on a tie), a wider one only while it slides the bare plane within the
dataset's gate (a wider band slides more of the plane). Last, where faces of the kept VDM still
cross each other, they are smoothed apart (bake.uncross).

`write_brush` writes DIR/vdm.exr, DIR/mesh.ply (what the VDM decodes to,
through vdm2mesh's code), DIR/preview.png and DIR/report.json (the map and the section-6b figures).
"""

from __future__ import annotations

import json
import math
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vdm.atomic import writable_dir, write_text_atomic
from vdm.bake.config import RESOLUTIONS, BakeConfig
from vdm.bake.metrics import BrushGates, BrushScores, away_from_footprint, brush_scores, plane_slide
from vdm.bake.parameterize import Parameterization, parameterize, part_stretch
from vdm.bake.sample import sample_grid, to_displacement
from vdm.bake.stamp import StampFit, in_stamp_frame, stamp_fit
from vdm.bake.uncross import uncross
from vdm.bake.untangle import untangle
from vdm.errors import VdmError
from vdm.patch import Patch, write_patch
from vdm.patch_checks import patch_problem
from vdm.vdm_file import write_vdm
from vdm.vdm_grid import pixel_centres, vdm_to_patch

BAND_STEPS = (1.0, 1.5, 2.0, 2.5)  # the transition band's multiples a bake tries while its grid folds


@dataclass
class BakedBrush:
    """A patch's VDM (N, N, 3), the patch in the VDM's frame (the brush's fit applied), how it was made."""

    displacement: np.ndarray
    mapping: Parameterization
    patch: Patch
    report: dict = field(default_factory=dict)
    fit: StampFit | None = None


def needed_resolution(stretch: float, config: BakeConfig, scale: float = 1.0) -> int:
    """The VDM side at which neighbouring pixels land at most `max_spacing` apart on the part
    (patch units; a brush's fit scales the part by `scale`)."""
    return math.ceil(2.0 * stretch / (config.max_spacing * scale))


class TooFewPixels(VdmError):
    """The part needs a bigger VDM than the bake's (reconstruction takes that as a failed fit once)."""


def _needs_pixels(stretch: float, config: BakeConfig, scale: float = 1.0) -> int:
    """The VDM side the part needs; more than `config.resolution` is refused in one sentence."""
    need = needed_resolution(stretch, config, scale)
    if need > config.resolution:
        fits = next((2**k for k in range(8, 12) if 2**k >= need), None)
        advice = f"--resolution {fits} would do" if fits else f"not even {RESOLUTIONS[1]} pixels would do"
        raise TooFewPixels(
            f"The part needs a VDM of at least {need} pixels to keep its surface within "
            f"{config.max_spacing} (it is {config.resolution}); {advice}."
        )
    return need


def _mapped(patch: Patch, config: BakeConfig) -> BakedBrush:
    """The map at `config`'s band, refused when the part needs more pixels than it gives, sampled
    at the VDM's pixel centres (a brush's: its moved region centred and fitted into Blender's circle,
    the patch moved with it) and its grid's folds repaired."""
    mapping = parameterize(patch, config)
    stretch = part_stretch(patch, mapping.uv)
    fit = stamp_fit(patch, mapping) if config.frame == "brush" else None
    need = _needs_pixels(stretch, config, fit.scale if fit else 1.0)
    report = {**mapping.report, "band": config.band, "part_stretch": stretch, "needed_resolution": need}
    if fit is not None:
        patch, mapping = in_stamp_frame(patch, mapping, fit)
        report["fit"] = fit.to_json()
    grid = untangle(sample_grid(patch, mapping, config.resolution), patch)
    report |= {"folded_sampled": grid.folded_before, "folded": grid.folded_after}
    return BakedBrush(to_displacement(grid.grid.points, config.border), mapping, patch, report, fit)


def _slide_in_patch_units(baked: BakedBrush) -> float:
    """The bare plane's slide as the dataset gate measures it (a brush's fit scales lengths, and its
    square holds less of the patch's plane: brush_scores says how that is counted)."""
    n = baked.displacement.shape[0]
    scale = baked.fit.scale if baked.fit else 1.0
    away = away_from_footprint(baked.patch, n, scale)
    extra = baked.fit.outside_square(n) if baked.fit else 0.0
    return plane_slide(baked.displacement, away, extra) / scale


def bake_patch(patch: Patch, config: BakeConfig | None = None, widen_band: bool = False) -> BakedBrush:
    """The VDM of a patch; a mesh that is not a patch, or a part that needs more pixels than
    `config.resolution` gives, is refused in one sentence. Where the grid folds, the map is made
    again with a wider band (BAND_STEPS): the one that folds least is kept, a wider one only while
    its plane slide stays within BrushGates.slide; faces that still cross are smoothed apart
    (bake.uncross). A brush (`frame` "brush") is sampled at its own pixels throughout. With
    `widen_band` (reconstruction: the user's resolution stands), a part that needs more pixels is
    not refused but mapped with a wider band."""
    config = config or BakeConfig()
    problem = patch_problem(patch)
    if problem is not None:
        raise VdmError(f"The mesh is not a patch (conventions section 1): {problem}")
    best, refusal = None, None
    for step in BAND_STEPS:
        try:
            baked = _mapped(patch, replace(config, band=config.band * step))
        except VdmError as exc:  # the part needs more pixels at this band (or no map was found)
            if step == BAND_STEPS[0] and not widen_band:
                raise
            refusal = refusal or exc
            continue
        if best is None or (
            baked.report["folded"] < best.report["folded"]
            and _slide_in_patch_units(baked) <= BrushGates().slide
        ):
            best = baked
        if best.report["folded"] == 0:
            break
    if best is None:
        raise refusal
    return _repaired(best)


def _repaired(baked: BakedBrush) -> BakedBrush:
    """The VDM with its crossing faces smoothed apart (bake.uncross); a brush's also exactly 0
    outside Blender's circle (the fit leaves a margin there; the report says what it cut: 0)."""
    repaired = uncross(baked.displacement)
    baked.report |= {"crossing_sampled": repaired.crossing_before, "crossing": repaired.crossing_after}
    displacement = repaired.displacement
    if baked.fit is not None:
        outside = np.hypot(*pixel_centres(displacement.shape[0])) > 1.0
        baked.report["outside_circle"] = float(np.abs(displacement[outside]).max())
        displacement = np.where(outside[..., None], np.float32(0.0), displacement)
    return replace(baked, displacement=displacement)


def write_brush(
    out: Path, brush: BakedBrush, config: BakeConfig, previews: Executor, about: dict | None = None
) -> tuple[dict[str, Path], BrushScores]:
    """Write the brush's files into `out` and score it (section 6b, into report.json, with `about`:
    the brush's name, note and source, which `vdm pack` reads); returns the files by name and the
    scores. `previews` (vdm.render.vdm_preview's preview_process) writes the EXR and draws the
    preview meanwhile."""
    from vdm.render.vdm_preview import write_preview

    out = writable_dir(out)
    exr = previews.submit(write_vdm, out / "vdm.exr", brush.displacement, config.half, config.compression)
    preview = previews.submit(write_preview, out / "preview.png", brush.displacement)
    decoded = vdm_to_patch(brush.displacement)
    paths = {"mesh": write_patch(out / "mesh.ply", decoded)}
    scores = brush_scores(
        brush.displacement, brush.patch, crossings=brush.report["crossing"], decoded=decoded
    )
    paths |= {"vdm": exr.result(), "preview": preview.result()}
    report = {
        **({"brush": about} if about else {}),
        "config": config.to_json(),
        "map": brush.report,
        "scores": scores.to_json(),
        "patch_faces": len(brush.patch.faces),
    }
    write_text_atomic(out / "report.json", json.dumps(report, indent=1) + "\n")
    paths["report"] = out / "report.json"
    return paths, scores
