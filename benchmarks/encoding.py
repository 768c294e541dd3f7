"""Stage 1's feature-grid lookups, side by side in one run: the CPU kernel (reconstruct/trilinear.py)
against torch's 3-D `grid_sample` on the same table, forward and backward, one torch thread.

The points are a stage-1 step's worth of ray samples (512 rays of 49 samples, in ray order, as
`reconstruct.sdf.render` asks for them), with the gradient to the table; at each quality's grid.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from benchmarks.table import Row, print_table, timed

RAYS, SAMPLES = 512, 49


def ray_samples(rays: int, samples: int, seed: int = 0) -> torch.Tensor:
    """(rays * samples, 3) points in [0, 1]^3 along random straight rays through the cube."""
    generator = torch.Generator().manual_seed(seed)
    start = torch.rand(rays, 1, 3, generator=generator)
    end = torch.rand(rays, 1, 3, generator=generator)
    t = torch.linspace(0.0, 1.0, samples)[None, :, None]
    return (start + t * (end - start)).reshape(-1, 3)


def lookup_seconds(grid: torch.nn.Module, lookup: Callable, points: torch.Tensor) -> float:
    """Median seconds of one forward and backward of `lookup` (the gradient to the grid's table)."""
    weights = torch.randn(len(points), grid.config.out_dim, generator=torch.Generator().manual_seed(1))

    def step() -> None:
        grid.zero_grad(set_to_none=True)
        (lookup(points) * weights).sum().backward()

    step()
    return timed(step, repeat=7)


def run() -> list[Row]:
    from vdm.reconstruct.config import QUALITIES
    from vdm.reconstruct.encoding import MultiResGrid
    from vdm.reconstruct.pipeline import quality_settings

    torch.set_num_threads(1)
    points = ray_samples(RAYS, SAMPLES)
    rows = []
    for quality in QUALITIES:
        config = quality_settings(quality).sdf.grid
        grid = MultiResGrid(config)
        kernel = lookup_seconds(grid, grid.forward, points)
        sampled = lookup_seconds(grid, grid.sampled, points)
        note = f"{len(points)} ray samples, {config.levels} levels to {config.finest_resolution}"
        rows += [
            Row(
                "reconstruct",
                f"{quality} grid lookup: kernel",
                kernel * 1e3,
                "ms",
                f"{note}, forward + backward",
            ),
            Row(
                "reconstruct", f"{quality} grid lookup: grid_sample", sampled * 1e3, "ms", f"{note}, the same"
            ),
            Row(
                "reconstruct",
                f"{quality} grid lookup: kernel speed-up",
                sampled / kernel,
                "x",
                "one torch thread",
            ),
        ]
    return rows


if __name__ == "__main__":
    print_table(run())
