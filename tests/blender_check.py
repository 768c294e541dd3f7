"""Open a brush .blend with Blender's own Python (bpy) and report what Blender sees: the brush's
settings, and the surface Blender's Displace modifier makes of its VDM on a grid at the pixel centres
(RGB to XYZ, UV coordinates, mid-level 0, strength 1: Blender's own decoding of the brush texture).

The tests call `check_blend`; Blender's Python runs this same file as a script (bpy is imported only
there, in the environment that has it).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

BRUSH_NAME = "VDM brush"


def check_blend(blend: Path) -> tuple[dict, np.ndarray]:  # noqa: F821 (numpy of the test side)
    """The brush settings a .blend holds, and the (N, N, 3) surface Blender makes of its VDM."""
    import numpy as np

    from vdm.bake.blend import run_blender_script

    with tempfile.TemporaryDirectory(prefix="vdm-blend-") as folder:
        surface = Path(folder) / "surface.npy"
        printed = run_blender_script(Path(__file__), str(Path(blend).resolve()), str(surface))
        settings = json.loads(printed.strip().splitlines()[-1])
        return settings, np.load(surface)


def _check(blend: str, out: str) -> None:
    """Print the brush's settings; save (as .npy) the surface a Displace modifier with the brush's
    EXR (RGB to XYZ, UV coordinates, mid-level 0, strength 1) makes of a grid whose vertices sit at
    the pixel centres."""
    import bpy
    import numpy as np

    bpy.ops.wm.open_mainfile(filepath=blend)
    brush = bpy.data.brushes[BRUSH_NAME]
    image = brush.texture.image
    settings = {
        "version": bpy.app.version_string,
        "map_mode": brush.texture_slot.map_mode,
        "vector_displacement": brush.use_color_as_displacement,
        "stroke_method": brush.stroke_method,
        "colorspace": image.colorspace_settings.name,
        "packed": image.packed_file is not None,
        "clamp": brush.texture.use_clamp,
        "asset": brush.asset_data is not None,
        "size": list(image.size),
    }
    n = image.size[0]
    centres = -1.0 + (2.0 * np.arange(n) + 1.0) / n
    xs, ys = np.meshgrid(centres, -centres)  # row 0 of the VDM is y = +1
    vertices = np.column_stack([xs.ravel(), ys.ravel(), np.zeros(n * n)])
    quads = [
        (r * n + c, (r + 1) * n + c, (r + 1) * n + c + 1, r * n + c + 1)
        for r in range(n - 1)
        for c in range(n - 1)
    ]
    mesh = bpy.data.meshes.new("grid")
    mesh.from_pydata(vertices.tolist(), [], quads)
    layer = mesh.uv_layers.new(name="UVMap")
    loops = np.array([loop.vertex_index for loop in mesh.loops])
    # Texture coordinate (u, v) of a pixel centre: u = (x + 1) / 2, v = (y + 1) / 2.
    layer.data.foreach_set("uv", ((vertices[loops, :2] + 1.0) / 2.0).ravel())
    grid = bpy.data.objects.new("grid", mesh)
    bpy.context.scene.collection.objects.link(grid)
    modifier = grid.modifiers.new("VDM", type="DISPLACE")
    modifier.texture = brush.texture
    modifier.texture_coords = "UV"
    modifier.direction = "RGB_TO_XYZ"
    modifier.mid_level = 0.0
    modifier.strength = 1.0
    evaluated = grid.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
    surface = np.zeros(len(evaluated.vertices) * 3)
    evaluated.vertices.foreach_get("co", surface)
    np.save(out, surface.reshape(-1, 3).reshape(n, n, 3))
    print(json.dumps(settings))


if __name__ == "__main__":
    _check(*sys.argv[1:])
