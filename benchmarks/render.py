"""Rendering speed: views per second at 512 x 512 (lit RGB + id pass + exact normals, mask, depth).

Patches are synthetic height fields (a bump with ripples on the square) at two tessellations,
the size of a stitched patch (about 20k triangles) and a heavy one (about 100k).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.table import Row, timed
from vdm.patch import PART, PLANE, Patch
from vdm.rig import RENDER_SIZE, VIEWS


def bump_patch(n: int) -> Patch:
    """An n x n grid over the square, displaced by a rippled bump: 2 (n - 1)^2 triangles."""
    xs = np.linspace(-1.0, 1.0, n)
    x, y = np.meshgrid(xs, xs)
    r2 = x**2 + y**2
    z = 0.8 * np.exp(-r2 / 0.18) * (1.0 + 0.1 * np.sin(12.0 * x) * np.cos(9.0 * y))
    z[np.maximum(np.abs(x), np.abs(y)) >= 1.0] = 0.0
    vertices = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    i = np.arange(n - 1)
    a = (i[:, None] * n + i[None, :]).ravel()
    faces = np.concatenate([np.stack([a, a + 1, a + n + 1], 1), np.stack([a, a + n + 1, a + n], 1)])
    labels = np.where(z.ravel() > 1e-3, PART, PLANE).astype(np.uint8)
    return Patch(vertices, faces, labels)


def run() -> list[Row]:
    from vdm.render.renderer import PatchRenderer
    from vdm.render.views import view_pngs

    rows = []
    start = time.perf_counter()
    renderer = PatchRenderer(RENDER_SIZE)
    rows.append(
        Row("render", "first context", (time.perf_counter() - start) * 1000, "ms", "EGL, one per process")
    )
    for n in (101, 225):
        patch = bump_patch(n)
        renderer.render(patch)  # warm: shaders compiled
        seconds = timed(lambda patch=patch: renderer.render(patch), repeat=5)
        note = f"{len(patch.faces):,} triangles, 7 views of 512^2"
        rows.append(
            Row(
                "render", f"views/s ({len(patch.faces) // 1000}k tris)", len(VIEWS) / seconds, "views/s", note
            )
        )
        views = renderer.render(patch)
        png = timed(lambda views=views: view_pngs(views))
        rows.append(
            Row("render", f"PNG encode ({len(patch.faces) // 1000}k tris)", png * 1000, "ms", "21 files")
        )
    renderer.close()
    return rows
