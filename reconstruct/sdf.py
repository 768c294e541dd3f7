"""Stage 1: a neural SDF of the part fitted to the normal maps by NeuS-style volume rendering.

The scene is the known base plane (the square on z = 0, an opaque analytic surface) united with a
neural part: every orthographic ray of the rig is sampled from where it enters the part's box to
where it meets the plane (or leaves the box), NeuS alphas come from the part SDF at the samples,
and the transmittance left at the plane is the plane's weight (normal +z). So the network only
learns the part, and the part always sits on the plane.

The part SDF is a sphere-like start (a hemisphere on the plane) plus a residual:
a multiresolution feature grid and a small MLP whose last layer starts near zero. The sharpness s of
NeuS's logistic density follows a fixed schedule (coarse to fine: a short warm-up, then geometric,
`sharpness`). To keep a step cheap on a CPU, the SDF is evaluated once per sample for the alphas,
and the rendered normal is the part's weight times the SDF's numerical gradient (four tetrahedral
samples, as Neuralangelo: no double backward) at the ray's expected surface point, plus the
plane's weight times +z.
Losses: normal (1 - cos, patch frame) on foreground rays, mask (BCE of the opacity), eikonal, a
smoothness term (normals at a surface point and a jittered neighbour agree), free space (no part
weight on rays that see the bare plane: what empties the space under an overhang), and silhouette
(a ray that shows the part stops on it, not on the plane: what grows a part far outside the start;
it fades to 0 so that the normals have the last word). Rays are sampled only across the carved
visual hull (reconstruct.hull), so thin ends do not fall between samples. A carve term (no part at
free-space points outside the hull) is on only when the pipeline makes a failed fit again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.ndimage import binary_dilation, binary_erosion, label
from scipy.spatial.transform import Rotation
from torch import nn

from vdm.reconstruct.encoding import GridConfig, MultiResGrid
from vdm.reconstruct.hull import Hull, carved_hull, hull_intervals, in_hull
from vdm.reconstruct.inputs import NormalViews
from vdm.rig import VIEWS, pixel_rays

log = logging.getLogger(__name__)

BOX_MIN = (-1.1, -1.1, -0.1)
BOX_MAX = (1.1, 1.1, 1.75)
RIM = 0.95  # plane points this far out lie on the square's rim, never under the part
FLAT_DEG = (2.6, 5.7)  # a pixel within this of +z may be bare plane: the least and the most tolerance
LEVEL_DEG, LEVEL_MAX_DEG = 0.5, 10.0  # a plane tilted by this much is a colour drift to undo (level_to_plane)
OUTER = 0.8  # plane points this far out are mostly bare plane: their median normal is a view's drift
FLAT_NOISE = 3.0  # the tolerance is this many times the rim's 90th-percentile tilt, within FLAT_DEG
TETRA = ((1.0, -1.0, -1.0), (-1.0, -1.0, 1.0), (-1.0, 1.0, -1.0), (1.0, 1.0, 1.0))


@dataclass(frozen=True)
class SdfConfig:
    """Stage 1 settings (the `fast` quality by default)."""

    iterations: int = 500
    rays: int = 512
    samples: int = 48
    lr: float = 1e-2
    grid: GridConfig = field(default_factory=GridConfig)
    s_warm: float = 10.0  # NeuS sharpness at the first step, raised to s_start over the warm-up
    warm_share: float = 0.075  # the share of steps the warm-up lasts (0: none)
    s_start: float = 20.0  # NeuS sharpness after the warm-up, raised geometrically to s_end
    s_end: float = 300.0
    hidden: int = 32
    normal_weight: float = 1.0
    mask_weight: float = 0.5
    eikonal_weight: float = 0.1
    smooth_weight: float = 0.05
    free_weight: float = 0.5  # no part in front of the bare plane
    silhouette_weight: float = 0.1  # a ray showing the part stops on it, not on the plane (fading to 0)
    eps_start: float = 0.04  # numerical-gradient step, annealed to eps_end (coarse to fine)
    eps_end: float = 0.01
    part_ray_share: float = 0.6  # share of each batch drawn from rays that see the part
    part_margin: float = 0.016  # ... or lie this close to one (a fraction of the view size)
    start_radius: float = 0.5  # the SDF starts as a hemisphere of this radius on the plane
    carve_weight: float = 0.0  # no part where the views prove space empty (the refit of a dome: pipeline)

    def __post_init__(self) -> None:
        if not (0.0 <= self.warm_share < 1.0 and self.s_warm > 0.0):
            raise ValueError(
                f"The warm-up needs 0 <= warm_share < 1 and s_warm > 0: {self.warm_share}, {self.s_warm}."
            )


class PartSdf(nn.Module):
    """Signed distance to the part's surface (negative inside), for patch-frame points."""

    def __init__(self, config: SdfConfig, device: torch.device) -> None:
        super().__init__()
        self.encoding = MultiResGrid(config.grid)
        self.mlp = nn.Sequential(
            nn.Linear(config.grid.out_dim, config.hidden), nn.Softplus(beta=50), nn.Linear(config.hidden, 1)
        )
        nn.init.normal_(self.mlp[-1].weight, std=1e-3)
        nn.init.zeros_(self.mlp[-1].bias)
        self.start_radius = config.start_radius
        self.register_buffer("box_min", torch.tensor(BOX_MIN))
        self.register_buffer("box_size", torch.tensor(BOX_MAX) - torch.tensor(BOX_MIN))
        self.hull: Hull | None = None  # the carved hull of the views it was fitted to (fit_sdf)
        self.to(device)

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        unit = ((p - self.box_min) / self.box_size).reshape(-1, 3)
        residual = self.mlp(self.encoding(unit).float()).reshape(p.shape[:-1])
        return p.norm(dim=-1) - self.start_radius + residual

    def at(self, *points: torch.Tensor) -> list[torch.Tensor]:
        """The SDF at several (..., 3) point sets in one evaluation: one pass over the grid's table,
        and in the backward one table-sized gradient instead of one per set (a fifth of a `full`
        step was spent zeroing and summing those)."""
        values = self(torch.cat([p.reshape(-1, 3) for p in points]))
        sizes = [p[..., 0].numel() for p in points]
        return [v.reshape(p.shape[:-1]) for v, p in zip(values.split(sizes), points, strict=True)]


def tetra(p: torch.Tensor, eps: float) -> torch.Tensor:
    """(..., 3) points -> (..., 4, 3): the four tetrahedral samples of a numerical gradient."""
    return p[..., None, :] + eps * torch.tensor(TETRA, device=p.device, dtype=p.dtype)


def with_gradient(values: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The SDF and its gradient at points from its (..., 4) values at their `tetra` samples (as
    Neuralangelo: no double backward)."""
    k = torch.tensor(TETRA, device=values.device, dtype=values.dtype)
    return values.mean(-1), (values[..., None] * k).sum(-2) / (4.0 * eps)


@dataclass
class RayBank:
    """Every ray of the six views that meets the part's box: origin, direction, interval, targets."""

    origins: torch.Tensor  # (R, 3)
    directions: torch.Tensor  # (R, 3)
    t_near: torch.Tensor  # (R,)
    t_far: torch.Tensor  # (R,) min(box exit, plane hit)
    hits_plane: torch.Tensor  # (R,) bool
    mask: torch.Tensor  # (R,) float
    normals: torch.Tensor  # (R, 3)
    sees_part: torch.Tensor  # (R,) bool: near a pixel that shows the part, not the bare plane
    bare_plane: torch.Tensor  # (R,) bool: sees the plane with nothing in front (free space above it)
    silhouette: torch.Tensor  # (R,) bool: shows the part itself (a normal off the plane's)
    hull: Hull  # the carved visual hull the rays were narrowed to


def build_rays(
    views: NormalViews, device: torch.device, part_margin: float = 0.0, narrow: bool = True
) -> RayBank:
    """Rays of every pixel centre of the six views, clipped to the part's box, the plane and (`narrow`)
    the carved hull (reconstruct.hull); rays within `part_margin` (a fraction of the view) of a pixel
    showing the part are marked as part rays."""
    lo, hi = np.array(BOX_MIN), np.array(BOX_MAX)
    parts, bare_masks = [], {}
    for k, normals in views.normals.items():
        origins, direction = pixel_rays(VIEWS[k], views.size)
        d = np.broadcast_to(direction, origins.shape)
        with np.errstate(divide="ignore"):
            t0, t1 = (lo - origins) / d, (hi - origins) / d
        near = np.minimum(t0, t1).max(1)
        far = np.maximum(t0, t1).min(1)
        t_plane = -origins[:, 2] / direction[2]
        on_plane = origins + t_plane[:, None] * direction
        hits = (np.abs(on_plane[:, :2]) <= 1.0).all(1)
        far = np.where(hits, np.minimum(far, t_plane), far)
        keep = far > near
        mask = views.masks[k].reshape(-1)
        rim = (hits & (np.abs(on_plane[:, :2]).max(1) > RIM)).reshape(views.size, views.size)
        outer = (hits & (np.abs(on_plane[:, :2]).max(1) > OUTER)).reshape(rim.shape)
        normals = level_to_plane(normals, normals[outer & binary_erosion(views.masks[k], iterations=2)])
        n = normals.reshape(-1, 3)
        flat_z = flat_tolerance(normals[rim & views.masks[k]])
        part = views.masks[k] & ((normals[..., 2] < flat_z) | ~hits.reshape(views.size, views.size))
        margin = round(part_margin * views.size)
        sees = (binary_dilation(part, iterations=margin) if margin else part).reshape(-1)
        bare = bare_plane(views.masks[k] & ~part, on_plane)
        bare_masks[k] = bare.reshape(part.shape)
        parts.append([origins, d, near, far, hits, mask, n, sees, bare, silhouette(part), keep])
    hull = carved_hull(bare_masks, lo, hi)
    for p in parts if narrow else ():
        p[2], p[3] = hull_intervals(hull, p[0], p[1], p[2], p[3])
    cat = [np.concatenate([p[i][p[-1]] for p in parts]) for i in range(10)]

    def tensor(a: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

    return RayBank(
        tensor(cat[0]),
        tensor(cat[1]),
        tensor(cat[2]),
        tensor(cat[3]),
        tensor(cat[4], torch.bool),
        tensor(cat[5]),
        tensor(cat[6]),
        tensor(cat[7], torch.bool),
        tensor(cat[8], torch.bool),
        tensor(cat[9], torch.bool),
        hull,
    )


def level_to_plane(normals: np.ndarray, plane_normals: np.ndarray) -> np.ndarray:
    """One view's normals turned so that the outer plane faces +z. A generated view's colours drift:
    an offset of a few levels in a channel tilts every normal of the view alike, the plane's too,
    which then reads as part. The plane's outer ring (beyond OUTER, off the outline, whose pixels a
    resized or blurred view blends with the background) is mostly bare plane, so its median normal
    is the tilt. Below LEVEL_DEG (an 8-bit map's own step: clean renders) or above LEVEL_MAX_DEG (no
    plane to trust) nothing is turned."""
    if not len(plane_normals):
        return normals
    median = np.median(plane_normals, axis=0)
    median /= max(float(np.linalg.norm(median)), 1e-12)
    tilt = np.degrees(np.arccos(np.clip(median[2], -1.0, 1.0)))
    if not LEVEL_DEG <= tilt <= LEVEL_MAX_DEG:
        return normals
    turn, _ = Rotation.align_vectors([[0.0, 0.0, 1.0]], [median])
    return turn.apply(normals.reshape(-1, 3)).reshape(normals.shape).astype(normals.dtype)


def flat_tolerance(rim_normals: np.ndarray) -> float:
    """The least normal z of a bare-plane pixel in one view, from how much the plane's normals tilt
    on the square's rim (where nothing but plane is): 2.6 degrees for clean renders (six times the
    0.45-degree step of an 8-bit normal map), up to 5.7 for noisy ones (a model's). A fixed 5.7 took
    a low skin shelf around a part's base (its top within a few degrees of +z, joined to the rim)
    for bare plane and carved it; what was left of its edge stood on the plane as ribbons: the
    demo's held-out horn had 4.8 % of its raised surface stray, 1.4 % with this (docs/reconstruct.md)."""
    tilt = np.degrees(np.arccos(np.clip(rim_normals[:, 2], -1.0, 1.0))) if len(rim_normals) else np.zeros(1)
    degrees = np.clip(FLAT_NOISE * np.percentile(tilt, 90), *FLAT_DEG)
    return float(np.cos(np.radians(degrees)))


SPECK = 1e-3  # pieces of a view's part pixels under this share of the view are noise, not part


def silhouette(part: np.ndarray) -> np.ndarray:
    """Rays (flattened) that show the part: its pixels, without specks a noisy plane normal makes."""
    labels, count = label(part, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.reshape(-1), minlength=count + 1)
    keep = sizes >= SPECK * part.size
    keep[0] = False
    return keep[labels].reshape(-1)


def bare_plane(flat: np.ndarray, on_plane: np.ndarray) -> np.ndarray:
    """Rays (flattened) that see the bare plane: pixels of +z normal connected to the plane's outer rim.

    A flat top of the part also has a +z normal, but it is not connected to the rim of the square."""
    labels, _ = label(flat, structure=np.ones((3, 3)))
    rim = flat.reshape(-1) & (np.abs(on_plane[:, :2]).max(1) > RIM)
    keep = np.unique(labels.reshape(-1)[rim])
    return np.isin(labels.reshape(-1), keep[keep > 0])


@dataclass
class Rendered:
    """One step's evaluation of the model: volume rendering per ray, the SDF at the step's free-space
    points, and the gradients at the smoothness term's pairs of points."""

    opacity: torch.Tensor
    normal: torch.Tensor
    surface: torch.Tensor  # expected part-surface point per ray
    gradient: torch.Tensor  # the SDF gradient there
    part_weight: torch.Tensor  # the part's share of the opacity
    free: torch.Tensor  # (F, 3) random points of the part's box, for the eikonal and carve terms
    free_values: torch.Tensor  # the SDF there
    free_gradient: torch.Tensor
    pair_gradients: torch.Tensor  # (2, P, 3): at surface points of rays on the part, and beside them


def render(
    model: PartSdf,
    bank: RayBank,
    index: torch.Tensor,
    samples: int,
    s: float,
    eps: float,
    jitter: bool,
    free_points: int,
) -> Rendered:
    """NeuS rendering of the rays `index` with `samples` intervals each, ending on the plane. The SDF
    at `free_points` random points of the box comes from the same evaluation as the samples, and the
    gradients at the surface points from one more (PartSdf.at)."""
    o, d = bank.origins[index], bank.directions[index]
    near, far = bank.t_near[index], bank.t_far[index]
    steps = torch.linspace(0.0, 1.0, samples + 1, device=o.device).expand(len(index), -1)
    if jitter:
        steps = (steps + (torch.rand(len(index), 1, device=o.device) - 0.5) / samples).clamp(0.0, 1.0)
    t = near[:, None] + (far - near)[:, None] * steps
    points = o[:, None] + t[..., None] * d[:, None]
    free = model.box_min + model.box_size * torch.rand(free_points, 3, device=o.device)
    at_samples, at_free = model.at(points, tetra(free, eps))
    cdf = torch.sigmoid(at_samples * s)
    alpha = ((cdf[:, :-1] - cdf[:, 1:]) / (cdf[:, :-1] + 1e-6)).clamp(0.0, 1.0)
    transmittance = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1.0 - alpha + 1e-7], 1), 1)
    weights = alpha * transmittance[:, :-1]
    plane_weight = transmittance[:, -1] * bank.hits_plane[index]
    part = weights.sum(1)
    mid = 0.5 * (points[:, :-1] + points[:, 1:])
    surface = (weights[..., None] * mid).sum(1) / part.clamp_min(1e-6)[:, None]
    anchors = surface[part.detach() > 0.5].detach()
    pairs = torch.stack([anchors, anchors + 0.02 * torch.randn_like(anchors)])
    at_surface, at_pairs = model.at(tetra(surface, eps), tetra(pairs, eps))
    _, gradient = with_gradient(at_surface, eps)
    unit = gradient / gradient.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    up = torch.tensor([0.0, 0.0, 1.0], device=o.device)
    normal = part[:, None] * unit + plane_weight[:, None] * up
    free_values, free_gradient = with_gradient(at_free, eps)
    _, pair_gradients = with_gradient(at_pairs, eps)
    return Rendered(
        part + plane_weight, normal, surface, gradient, part, free, free_values, free_gradient, pair_gradients
    )


def _carve_loss(hull: Hull, points: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """How far inside the part the points above the plane that lie where the views prove space empty
    (outside the carved hull) are: the free-space term acts only along the few rays that see bare
    plane, too weakly to dissolve a dome the start hemisphere grew into (docs/reconstruct.md)."""
    where = points.detach().cpu().numpy()  # one copy to the host a step, for the hull's lookup
    carved = torch.as_tensor(~in_hull(hull, where) & (where[:, 2] > 0.0), device=points.device)
    return (-values[carved]).clamp_min(0.0).mean() if carved.any() else values.sum() * 0.0


def sharpness(config: SdfConfig, progress: float) -> float:
    """NeuS's sharpness s at `progress` (0 to 1) of the fit: from s_warm to s_start over the first
    warm_share of the steps, then geometrically to s_end. The wide density of the warm-up (about
    1/s = 0.1 deep) lets the start hemisphere grow out to a thin part far from it (a horn's tip) before
    the surface sharpens; without it the demo's held-out horn lost its tip at one seed in four
    (docs/reconstruct.md, "The sharpness warm-up")."""
    warm = config.warm_share
    if progress < warm:
        return config.s_warm * (config.s_start / config.s_warm) ** (progress / warm)
    return config.s_start * (config.s_end / config.s_start) ** ((progress - warm) / (1.0 - warm))


def fit_sdf(
    views: NormalViews,
    config: SdfConfig,
    device: torch.device,
    seed: int,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> PartSdf:
    """Fit the part SDF to the views (the model keeps their carved hull); `progress(step, losses)` is
    called every iteration."""
    torch.manual_seed(seed)
    bank = build_rays(views, device, config.part_margin)
    model = PartSdf(config, device)
    model.hull = bank.hull
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.9, 0.99), eps=1e-15, fused=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 0.1 ** (step / max(config.iterations, 1))
    )
    part_rays = torch.nonzero(bank.sees_part)[:, 0]
    n_part = int(config.rays * config.part_ray_share) if len(part_rays) else 0
    for step in range(config.iterations):
        progress_frac = step / max(config.iterations - 1, 1)
        eps = config.eps_start * (config.eps_end / config.eps_start) ** progress_frac
        s = sharpness(config, progress_frac)
        index = torch.cat(
            [
                part_rays[torch.randint(len(part_rays), (n_part,), device=device)],
                torch.randint(len(bank.mask), (config.rays - n_part,), device=device),
            ]
        )
        out = render(model, bank, index, config.samples, s, eps, jitter=True, free_points=512)
        mask = bank.mask[index]
        fg = mask > 0.5
        opacity = out.opacity.clamp(1e-4, 1.0 - 1e-4)
        mask_loss = nn.functional.binary_cross_entropy(opacity, mask)
        cos = nn.functional.cosine_similarity(out.normal[fg], bank.normals[index][fg], dim=-1)
        normal_loss = (1.0 - cos).mean() if fg.any() else opacity.sum() * 0.0
        carve = _carve_loss(bank.hull, out.free, out.free_values) if config.carve_weight else 0.0
        on_part = out.part_weight.detach() > 0.5
        grads = torch.cat([out.gradient[on_part], out.free_gradient])
        eikonal = ((grads.norm(dim=-1) - 1.0) ** 2).mean()
        if on_part.any():
            g = out.pair_gradients / out.pair_gradients.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            smooth = (g[0] - g[1]).pow(2).sum(-1).mean()
        else:
            smooth = eikonal * 0.0
        bare = bank.bare_plane[index]
        free_loss = out.part_weight[bare].mean() if bare.any() else 0.0  # L1: bounded gradients
        shows = bank.silhouette[index]
        silhouette_loss = -out.part_weight[shows].clamp(1e-4, 1.0).log().mean() if shows.any() else 0.0
        loss = (
            config.free_weight * free_loss
            + config.silhouette_weight * (1.0 - progress_frac) * silhouette_loss
            + config.normal_weight * normal_loss
            + config.mask_weight * mask_loss
            + config.eikonal_weight * eikonal
            + config.smooth_weight * smooth
            + config.carve_weight * carve
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress is not None:
            progress(
                step,
                {
                    "normal": float(normal_loss.detach()),
                    "mask": float(mask_loss.detach()),
                    "eik": float(eikonal.detach()),
                },
            )
    return model
