"""Settings of the stitching pipeline, one dataclass (the CLI and the miner build it from options)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vdm.rig import FOOTPRINT_MARGIN, HIGHEST_Z, LOWEST_Z
from vdm.settings import check_settings, setting

BACKENDS = ("pymeshlab", "open3d")


@dataclass(frozen=True)
class GateThresholds:
    """Limits of the quality gates (patch units unless a name says otherwise)."""

    border_flatness: float = 1e-6  # max |z| of the square's edge
    border_on_square: float = 1e-6  # max distance of a border vertex from the square's edge
    min_height: float = LOWEST_Z  # nothing of the patch below this z (conventions section 1)
    max_height: float = HIGHEST_Z  # nothing above this z
    min_part_height: float = 0.02  # the part must rise at least this much above the plane
    part_margin: float = 0.02  # the part's footprint stays this far inside the square
    max_detail_change: float = 0.35  # mean |change of Laplacian coordinates| / mean edge length
    max_self_intersecting_faces: int = 0


@dataclass(frozen=True)
class Augmentations:
    """How many seeded variants of each stitched patch there are (`vdm stitch`, `vdm mine`, `vdm synth`)."""

    count: int = setting(
        5,
        flag="--augmentations",
        min=1,
        max=1000,
        label="augmentation count",
        help="Patches per selection, index 0 as stitched.",
    )
    seed: int = setting(
        0, flag="--seed", label="seed", help="Seeds the augmentations; same seed, same bytes."
    )

    def __post_init__(self) -> None:
        check_settings(self)


@dataclass(frozen=True)
class StitchConfig:
    """Everything that shapes a patch; the same config, mesh and faces always give the same bytes.

    Lengths named `*_rel` are fractions of the selection's bounding-box diagonal (source units);
    the others are in patch units (half the side of the square).
    """

    depth: int = setting(
        8, flag="--poisson-depth", min=4, max=12, label="Poisson depth", help="Screened Poisson octree depth."
    )
    backend: str = setting(
        "pymeshlab",
        flag="--poisson-backend",
        choices=BACKENDS,
        label="Poisson backend",
        help="Screened Poisson implementation.",
    )
    seed: int = 0  # seeds the surface sampling
    # Extraction.
    sample_spacing_rel: float = 1.0 / 80.0  # mean distance between surface samples
    max_samples: int = 12_000
    min_faces: int = 8  # a selection with fewer faces is rejected
    max_area_fraction: float = 0.9  # a selection covering more of the asset's area is "the whole mesh"
    min_cluster_fraction: float = 0.9  # the largest connected group of samples must hold this much
    buried_winding: float = 0.5  # a sample whose outer side has a winding number above this is buried
    # Poisson and trimming.
    point_weight: float = 4.0  # screening weight of pymeshlab's filter
    trim_distance: float = 2.5  # cut the Poisson surface this many sample spacings from the samples
    max_hole_fraction: float = 0.25  # extra boundary loops shorter than this x the main one are filled
    # Flattening.
    unbend_host: bool = True  # also flatten the curved host surface around the part
    host_band: float = 0.15  # band around the boundary fitted as host, fraction of the loop's radius
    host_tolerance: float = 0.02  # vertices this close to the host fit (x loop radius) are host
    border_smoothing: int = 8  # Laplacian passes over the flattened border's in-plane shape
    # Into the patch frame.
    margin: float = setting(  # the part's footprint stays inside [-1 + margin, 1 - margin]^2
        FOOTPRINT_MARGIN, min=0.0, max=0.89, label="footprint margin", help="Margin of the part's footprint."
    )
    max_height: float = 1.5  # the part is scaled down if it would rise above this
    target_edge_length: float = setting(
        0.03,
        flag="--edge-length",
        min=0.005,
        max=0.5,
        label="target edge length",
        help="Remeshing target edge length in patch units.",
    )
    remesh_iterations: int = 1  # isotropic remeshing passes after the decimation
    seam_band: float = 0.06  # width of the smoothed band around the seam (patch units)
    seam_iterations: int = 6
    # Augmentation.
    augment_scale: tuple[float, float] = (0.7, 1.0)  # drawn scale, times what still fits the square
    augment_margin: float = 0.08  # augmented parts stay inside [-1 + margin, 1 - margin]^2
    gates: GateThresholds = field(default_factory=GateThresholds)

    def __post_init__(self) -> None:
        check_settings(self)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
