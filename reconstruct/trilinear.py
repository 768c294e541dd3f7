"""Trilinear lookups in a stack of dense feature volumes, every level of a point in one pass (CPU).

torch's 3-D `grid_sample` samples one level per call, and on the CPU its backward is a scalar loop: the
two were 60 % of a stage-1 step (benchmarks/RESULTS.md, "Speed"). These two numba kernels read and
write every level of a point at once, in one thread (as torch's 3-D CPU kernel does for one batch).
The volumes live in one table of shape (cells, features): level l's cell (z, y, x) is row
`offsets[l] + (z * r + y) * r + x`, with r >= 2 its resolution, so CUDA can still view it as volumes.

The compiled kernels are cached on disk where numba finds a writable place (beside this module, else
~/.cache/numba); with none, they are compiled in each process instead of failing the import.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import torch
from torch.autograd.function import once_differentiable

# fastmath without "nnan" and "ninf": a NaN point must reach _cell's comparisons, not undefined code
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


def _compiled(function: Callable) -> Callable:
    """numba's njit, cached on disk when numba has somewhere to write (else per process)."""
    try:
        return numba.njit(cache=True, fastmath=FASTMATH, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, fastmath=FASTMATH, nogil=True)(function)


@_compiled
def _unit(value: float) -> float:
    """The coordinate clamped to [0, 1]; NaN goes to 0, so no index ever leaves the table."""
    return min(value, 1.0) if value > 0.0 else 0.0


@_compiled
def _cell(point: np.ndarray, size: int) -> tuple[int, float, float, float]:
    """The first row offset of the cell holding `point` at this resolution, and the point's
    fractions across it."""
    scale = size - 1
    px, py, pz = _unit(point[0]) * scale, _unit(point[1]) * scale, _unit(point[2]) * scale
    x0, y0, z0 = min(int(px), size - 2), min(int(py), size - 2), min(int(pz), size - 2)
    return (z0 * size + y0) * size + x0, px - x0, py - y0, pz - z0


@_compiled
def _forward(points, table, sizes, offsets, out):  # numba arrays, untyped
    """out[i] = every level's features at points[i], level-major."""
    features = table.shape[1]
    for i in range(points.shape[0]):
        for level in range(sizes.shape[0]):
            r = sizes[level]
            cell, fx, fy, fz = _cell(points[i], r)
            a = offsets[level] + cell
            for f in range(features):
                c00 = table[a, f] + fx * (table[a + 1, f] - table[a, f])
                c01 = table[a + r, f] + fx * (table[a + r + 1, f] - table[a + r, f])
                b = a + r * r
                c10 = table[b, f] + fx * (table[b + 1, f] - table[b, f])
                c11 = table[b + r, f] + fx * (table[b + r + 1, f] - table[b + r, f])
                c0 = c00 + fy * (c01 - c00)
                out[i, level * features + f] = c0 + fz * (c10 + fy * (c11 - c10) - c0)


@_compiled
def _backward(points, table, sizes, offsets, grad_out, grad_table, grad_points, want_points):
    """Adds each point's share of grad_out to the 8 corners of its cell at every level; with
    `want_points`, also writes d(grad_out . features)/d(point) (the trilinear slopes)."""
    features = table.shape[1]
    for i in range(points.shape[0]):
        gx = gy = gz = 0.0
        for level in range(sizes.shape[0]):
            r = sizes[level]
            cell, fx, fy, fz = _cell(points[i], r)
            ex, ey, ez = 1.0 - fx, 1.0 - fy, 1.0 - fz
            a = offsets[level] + cell
            b = a + r * r
            for f in range(features):
                g = grad_out[i, level * features + f]
                grad_table[a, f] += ez * ey * ex * g
                grad_table[a + 1, f] += ez * ey * fx * g
                grad_table[a + r, f] += ez * fy * ex * g
                grad_table[a + r + 1, f] += ez * fy * fx * g
                grad_table[b, f] += fz * ey * ex * g
                grad_table[b + 1, f] += fz * ey * fx * g
                grad_table[b + r, f] += fz * fy * ex * g
                grad_table[b + r + 1, f] += fz * fy * fx * g
                if want_points:  # the lerps along x, then their slopes along x, y and z
                    x00, x01 = table[a + 1, f] - table[a, f], table[a + r + 1, f] - table[a + r, f]
                    x10, x11 = table[b + 1, f] - table[b, f], table[b + r + 1, f] - table[b + r, f]
                    c00, c01 = table[a, f] + fx * x00, table[a + r, f] + fx * x01
                    c10, c11 = table[b, f] + fx * x10, table[b + r, f] + fx * x11
                    scale = (r - 1) * g
                    gx += (ez * (ey * x00 + fy * x01) + fz * (ey * x10 + fy * x11)) * scale
                    gy += (ez * (c01 - c00) + fz * (c11 - c10)) * scale
                    gz += (c10 + fy * (c11 - c10) - c00 - fy * (c01 - c00)) * scale
        if want_points:
            grad_points[i, 0] = gx
            grad_points[i, 1] = gy
            grad_points[i, 2] = gz


class _Lookup(torch.autograd.Function):
    """Autograd for the kernels: the table's gradient always, the points' when they need one."""

    @staticmethod
    def forward(
        ctx, points: torch.Tensor, table: torch.Tensor, sizes: np.ndarray, offsets: np.ndarray
    ) -> torch.Tensor:
        out = torch.empty(points.shape[0], len(sizes) * table.shape[1], dtype=table.dtype)
        _forward(points.detach().numpy(), table.detach().numpy(), sizes, offsets, out.numpy())
        ctx.save_for_backward(points, table)
        ctx.sizes, ctx.offsets = sizes, offsets
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None, None, None]:
        points, table = ctx.saved_tensors
        want_points = ctx.needs_input_grad[0]
        grad_table, grad_points = torch.zeros_like(table), torch.zeros_like(points)
        _backward(
            points.detach().numpy(), table.detach().numpy(), ctx.sizes, ctx.offsets,
            grad_out.contiguous().numpy(), grad_table.numpy(), grad_points.numpy(), want_points,
        )  # fmt: skip
        return (
            (grad_points if want_points else None),
            (grad_table if ctx.needs_input_grad[1] else None),
            None,
            None,
        )


def lookup(points: torch.Tensor, table: torch.Tensor, sizes: np.ndarray, offsets: np.ndarray) -> torch.Tensor:
    """(N, 3) CPU points, clamped to [0, 1]^3 -> (N, levels * features), level-major, differentiable
    in both (a coordinate outside the cube gets no gradient, as from `clamp`)."""
    return _Lookup.apply(points.clamp(0.0, 1.0).to(table.dtype).contiguous(), table, sizes, offsets)
