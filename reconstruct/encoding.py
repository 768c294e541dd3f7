"""Fast positional encodings: a multiresolution feature grid for 3D points, Fourier features for 2D.

The grid is Instant-NGP's multiresolution encoding with every level dense (at these resolutions the
levels fit in memory, so no hashing is needed) and trilinear interpolation: on the CPU by a kernel
that reads every level of a point in one pass (`reconstruct.trilinear`), elsewhere by `grid_sample`
on views of the same table. A pure-torch gather-based hash grid was measured 2x slower on this CPU
(docs/reconstruct.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class GridConfig:
    """Levels, features per level, and the coarsest and finest resolutions (geometric in between)."""

    levels: int = 8
    features: int = 2
    base_resolution: int = 8
    finest_resolution: int = 64

    def resolutions(self) -> list[int]:
        growth = math.exp(math.log(self.finest_resolution / self.base_resolution) / max(self.levels - 1, 1))
        return [round(self.base_resolution * growth**level) for level in range(self.levels)]

    @property
    def out_dim(self) -> int:
        return self.levels * self.features


class MultiResGrid(nn.Module):
    """Trilinear interpolation of per-level feature volumes, all in one (cells, features) table;
    inputs in [0, 1]^3."""

    def __init__(self, config: GridConfig) -> None:
        super().__init__()
        self.config = config
        sizes = config.resolutions()
        if min(sizes) < 2:
            raise ValueError(f"Every level of the grid needs at least 2 cells a side, not {sizes}.")
        self.sizes = np.array(sizes, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum([r**3 for r in sizes])[:-1]]).astype(np.int64)
        volumes = [torch.empty(config.features, r**3).uniform_(-1e-4, 1e-4) for r in sizes]
        self.table = nn.Parameter(torch.cat(volumes, 1).T.contiguous())  # level by level, as volumes

    def volumes(self) -> list[torch.Tensor]:
        """Each level as a (1, features, r, r, r) view of the table, indexed [z, y, x] (one split,
        so the backward is one concatenation, not a table-sized scatter per level)."""
        sizes = [int(r) for r in self.sizes]
        levels = self.table.split([r**3 for r in sizes])
        features = self.config.features
        return [v.T.reshape(1, features, r, r, r) for v, r in zip(levels, sizes, strict=True)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3) clamped to [0, 1] -> (N, levels * features)."""
        if x.device.type == "cpu":
            import vdm.reconstruct.trilinear as trilinear  # numba, only where it runs

            return trilinear.lookup(x, self.table, self.sizes, self.offsets)
        return self.sampled(x)

    def sampled(self, x: torch.Tensor) -> torch.Tensor:
        """The same lookup by `grid_sample`, one level at a time (CUDA's kernels)."""
        # grid_sample wants (x, y, z) -> (W, H, D) in [-1, 1]; volumes are indexed [z, y, x].
        g = (x.clamp(0.0, 1.0) * 2.0 - 1.0).view(1, -1, 1, 1, 3)
        out = [functional.grid_sample(v, g, mode="bilinear", align_corners=True) for v in self.volumes()]
        return torch.cat(out, 1).view(self.config.out_dim, -1).T


class Fourier(nn.Module):
    """(N, d) -> (N, d + 2 d k): the input and sin/cos at frequencies pi * 2^0 .. pi * 2^(k-1)."""

    def __init__(self, frequencies: int) -> None:
        super().__init__()
        self.register_buffer("bands", math.pi * 2.0 ** torch.arange(frequencies, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = (x[..., None] * self.bands).flatten(-2)
        return torch.cat([x, angles.sin(), angles.cos()], -1)

    def out_dim(self, in_dim: int) -> int:
        return in_dim * (1 + 2 * len(self.bands))
