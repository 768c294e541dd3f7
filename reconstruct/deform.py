"""Stage 2: a neural deformation field from the square to the stage 1 surface, sampled as a VDM.

g(u) = (u, 0) + MLP(fourier(u)) for u in [-1, 1]^2: a residual MLP whose last layer starts at zero,
so training starts at the identity (the flat square). It is fitted by the two-sided mean Chamfer
distance between points g(u) (u uniform on the square) and the stage 1 points; folding lets it reach
under overhangs. The square's border is pinned to the plane with a weight ramped up during training.
A modest Fourier encoding keeps g smooth: that smoothness is what removes stage 1's noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from reconstruct.encoding import Fourier
from vdm.vdm_file import pixel_centres


@dataclass(frozen=True)
class DeformConfig:
    """Stage 2 settings (the `fast` quality by default)."""

    iterations: int = 1000
    points: int = 1024  # g(u) samples and target samples per step
    lr: float = 3e-3
    hidden: int = 128
    layers: int = 3
    frequencies: int = 2  # pi and 2 pi: higher ones fold the sheet into ripples (docs/reconstruct.md)
    border_weight: float = 10.0  # reached at `border_ramp` of training
    border_ramp: float = 0.5
    border_points: int = 256


class DeformationField(nn.Module):
    """The map from the square (u in [-1, 1]^2) to patch-frame surface points."""

    def __init__(self, config: DeformConfig) -> None:
        super().__init__()
        self.fourier = Fourier(config.frequencies)
        layers: list[nn.Module] = []
        width = self.fourier.out_dim(2)
        for _ in range(config.layers):
            layers += [nn.Linear(width, config.hidden), nn.SiLU()]
            width = config.hidden
        last = nn.Linear(width, 3)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.mlp = nn.Sequential(*layers, last)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        flat = torch.cat([u, torch.zeros_like(u[:, :1])], -1)
        return flat + self.mlp(self.fourier(u))


def chamfer_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Two-sided mean (unsquared) Chamfer distance between point sets."""
    d = torch.cdist(a, b)
    return 0.5 * (d.min(1).values.mean() + d.min(0).values.mean())


def border_samples(n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """n random points on the square's edge."""
    t = torch.rand(n, generator=generator) * 2.0 - 1.0
    side = torch.randint(4, (n,), generator=generator)
    sign = torch.where(side % 2 == 0, 1.0, -1.0)
    u = torch.stack([sign, t], -1)
    u[side >= 2] = u[side >= 2].flip(-1)
    return u.to(device)


def fit_deformation(
    target: np.ndarray,
    config: DeformConfig,
    device: torch.device,
    seed: int,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> DeformationField:
    """Fit g to the target points (N, 3); `progress(step, losses)` is called every iteration."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    field = DeformationField(config).to(device)
    points = torch.as_tensor(target, dtype=torch.float32, device=device)
    optimiser = torch.optim.Adam(field.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 0.1 ** (step / max(config.iterations, 1))
    )
    for step in range(config.iterations):
        u = (torch.rand(config.points, 2, generator=generator) * 2.0 - 1.0).to(device)
        pick = torch.randint(len(points), (config.points,), generator=generator).to(device)
        fit = chamfer_loss(field(u), points[pick])
        edge = border_samples(config.border_points, generator, device)
        flat = torch.cat([edge, torch.zeros_like(edge[:, :1])], -1)
        border = (field(edge) - flat).pow(2).sum(-1).mean()
        ramp = min(1.0, step / max(config.border_ramp * config.iterations, 1.0))
        loss = fit + config.border_weight * ramp * border
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress is not None:
            progress(step, {"chamfer": float(fit.detach()), "border": float(border.detach())})
    return field


@torch.no_grad()
def sample_field(field: DeformationField, resolution: int) -> np.ndarray:
    """g at the pixel centres of a resolution x resolution VDM: surface points (N, N, 3)."""
    x, y = pixel_centres(resolution)
    u = torch.as_tensor(np.stack([x, y], -1).reshape(-1, 2), dtype=torch.float32)
    device = next(field.parameters()).device
    out = torch.cat([field(chunk.to(device)).cpu() for chunk in u.split(65_536)])
    return out.numpy().reshape(resolution, resolution, 3)
