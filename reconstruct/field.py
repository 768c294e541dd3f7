"""Stage 2 as GenVDM does it (`--stage2 field`): a neural deformation field from the square to 3-D.

An MLP maps a point (u, v) of the square to the surface point it moves to; it is fitted by Chamfer
distance to points sampled on stage 1's surface (plane and part), with a boundary term that holds
the square's edge, and a band inside it, on the plane at their own place. The VDM is the field at
the pixel centres minus the plane point. As in GenVDM's `extract_VDM.py` (read, not copied): a
LeakyReLU MLP of 8 layers with a skip from layer 4, Adam at 5e-4, the first 50 steps regressing the
identity (u, v, 0), then the squared Chamfer distance both ways, summed over the points (chamferdist's
reduction: 250,000 times the mean here, `fit_scale`) plus the boundary term, a mean, whose weight
is 0 for the first half, rises to 10 by 60 % and stays; boundary points on the edge (weight 1) and in
a band 0.1 wide inside it (weight falling linearly to 0). GenVDM's border is the circle of radius
0.9; this project's is the square's edge (conventions section 6; `--border disc` fades the result
as a bake does). GenVDM fits every point of a 500 x 500 grid to every stage 1 vertex each step
with 256 units a layer, 1500 steps, on a GPU; on a CPU each step draws random points of both.

`VertexGrid` is the ablation's "direct optimisation of the grid's vertices": the same losses with a
lattice of free 3-D vertices (bilinearly interpolated) in place of the MLP. Nothing in either
anchors the bare plane, bounds distortion or forbids folds: docs/reconstruct.md has the numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial import cKDTree
from torch import nn
from torch.nn import functional

from vdm.bake.sample import to_displacement
from vdm.patch import Patch
from vdm.surface_metrics import sample_surface
from vdm.vdm_grid import pixel_centres


@dataclass(frozen=True)
class FieldConfig:
    """The deformation field's network and fit (the `fast` quality by default)."""

    iterations: int = 600
    hidden: int = 128  # GenVDM: 256
    layers: int = 8
    skip_layer: int = 4  # the residual connection's layer
    lr: float = 5e-4
    batch: int = 2048  # square points per step (GenVDM: all 250,000 of its grid)
    targets: int = 4096  # stage 1 surface points per step that must be reached, from the pool
    identity_steps: int = 50  # steps regressing (u, v, 0) before the Chamfer fit
    edge_points: int = 256
    band_points: int = 1024
    band: float = 0.1  # width of the boundary band inside the edge
    boundary_weight: float = 10.0
    fit_scale: float = 250_000.0  # GenVDM sums its squared distances over its 500 x 500 grid, not a mean
    boundary_ramp: tuple[float, float] = (0.5, 0.6)  # fractions of the fit: weight 0 before, full after
    vertex_lattice: int = 128  # VertexGrid's vertices per side
    vertex_lr: float = 5e-3


TARGET_POOL = 60_000  # stage 1 surface points sampled by area: what the moved points are pulled onto


class DeformationMlp(nn.Module):
    """(N, 2) square points -> (N, 3): LeakyReLU layers with one residual skip (GenVDM's network)."""

    def __init__(self, config: FieldConfig) -> None:
        super().__init__()
        sizes = [2] + [config.hidden] * config.layers
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.skip_layer = config.skip_layer
        self.out = nn.Linear(config.hidden, 3)

    def forward(self, uv: torch.Tensor) -> torch.Tensor:
        x, skipped = uv, None
        for i, layer in enumerate(self.layers):
            if i == self.skip_layer:
                skipped = x
            x = functional.leaky_relu(layer(x), 0.01)
        return self.out(x if skipped is None else x + skipped)


class VertexGrid(nn.Module):
    """(N, 2) square points -> (N, 3): bilinear interpolation of a lattice of free vertices that
    starts as the flat square."""

    def __init__(self, config: FieldConfig) -> None:
        super().__init__()
        side = torch.linspace(-1.0, 1.0, config.vertex_lattice)
        y, x = torch.meshgrid(side, side, indexing="ij")
        self.vertices = nn.Parameter(torch.stack([x, y, torch.zeros_like(x)])[None])  # (1, 3, L, L)

    def forward(self, uv: torch.Tensor) -> torch.Tensor:
        out = functional.grid_sample(self.vertices, uv.view(1, -1, 1, 2), align_corners=True)
        return out.view(3, -1).T


def _boundary(config: FieldConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Points on the square's edge and in the band inside it, and their weights (1 on the edge,
    falling linearly to 0 across the band)."""
    side = torch.randint(4, (config.edge_points + config.band_points,), generator=generator)
    along = torch.rand(len(side), generator=generator) * 2.0 - 1.0
    depth = torch.cat(
        [torch.zeros(config.edge_points), torch.rand(config.band_points, generator=generator) * config.band]
    )
    across = (1.0 - depth) * torch.where(side % 2 == 0, 1.0, -1.0)
    vertical = (side < 2)[:, None]  # the right and left edges
    points = torch.where(vertical, torch.stack([across, along], 1), torch.stack([along, across], 1))
    return points, 1.0 - depth / config.band


def squared_chamfer(
    moved: torch.Tensor, pool: torch.Tensor, pool_tree: cKDTree, targets: torch.Tensor
) -> torch.Tensor:
    """GenVDM's loss: the mean squared distance from each moved point to the target surface (all of
    `pool`, whose k-d tree is `pool_tree`) plus from each of `targets` (drawn from it) to the moved
    points. Nearest neighbours come from k-d trees (no gradient flows through a choice of neighbour);
    the distances are differentiated."""
    a = moved.detach().cpu().numpy()
    to_surface = pool[torch.as_tensor(pool_tree.query(a)[1], device=moved.device)]
    to_moved = moved[torch.as_tensor(cKDTree(a).query(targets.cpu().numpy())[1], device=moved.device)]
    return (moved - to_surface).square().sum(1).mean() + (targets - to_moved).square().sum(1).mean()


def fit_deformation(
    model: nn.Module,
    surface: Patch,
    config: FieldConfig,
    seed: int,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> nn.Module:
    """Fit `model` (DeformationMlp or VertexGrid) from the square onto `surface` (module docstring)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    points = sample_surface(surface, TARGET_POOL, seed).points
    tree = cKDTree(points)
    pool = torch.as_tensor(points, dtype=torch.float32, device=device)
    lr = config.vertex_lr if isinstance(model, VertexGrid) else config.lr
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    start, full = (round(f * config.iterations) for f in config.boundary_ramp)
    for step in range(config.iterations):
        uv = (torch.rand(config.batch, 2, generator=generator) * 2.0 - 1.0).to(device)
        edge, weight = (t.to(device) for t in _boundary(config, generator))
        out = model(torch.cat([uv, edge]))
        moved, held = out[: len(uv)], out[len(uv) :]
        if step < config.identity_steps:
            fit = (moved - functional.pad(uv, (0, 1))).square().mean()
        else:
            targets = pool[torch.randint(len(pool), (config.targets,), generator=generator).to(device)]
            fit = squared_chamfer(moved, pool, tree, targets)
        ramp = np.clip((step - start) / max(full - start, 1), 0.0, 1.0)
        boundary = ((held - functional.pad(edge, (0, 1))).square().sum(1) * weight).mean()
        loss = config.fit_scale * fit + config.boundary_weight * float(ramp) * boundary
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        if progress is not None:
            progress(step, {"chamfer": float(fit.detach()), "boundary": float(boundary.detach())})
    return model


@torch.no_grad()
def field_displacement(model: nn.Module, resolution: int, border: str) -> np.ndarray:
    """The VDM (N, N, 3) a fitted deformation encodes: its points at the pixel centres, minus the
    plane points; the border ring 0 (and `border` "disc" faded, as a bake does)."""
    x, y = pixel_centres(resolution)
    device = next(model.parameters()).device
    uv = torch.as_tensor(np.stack([x, y], -1).reshape(-1, 2), dtype=torch.float32, device=device)
    points = torch.cat([model(chunk) for chunk in uv.split(65_536)]).cpu().numpy()
    return to_displacement(points.reshape(resolution, resolution, 3).astype(np.float64), border)


def field_stage2(
    surface: Patch,
    config: FieldConfig,
    resolution: int,
    border: str,
    device: torch.device,
    seed: int,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> np.ndarray:
    """`--stage2 field`: GenVDM's deformation field fitted to stage 1's surface, as a VDM."""
    torch.manual_seed(seed)
    model = DeformationMlp(config).to(device)
    return field_displacement(fit_deformation(model, surface, config, seed, progress), resolution, border)
