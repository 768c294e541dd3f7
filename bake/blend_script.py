"""Run by Blender's Python (bpy): write a .blend holding a sculpt brush that stamps a VDM, or check one.

    python blend_script.py write VDM.exr BRUSH.blend
    python blend_script.py check BRUSH.blend OUT.npy   # the brush's settings on stdout (JSON), and
                                                        # the Displace-modifier surface of its EXR

It imports bpy and the standard library only: it runs in the separate environment that holds
Blender's module (`.venv-blender`, whose numpy is the one bpy is built for), started by
`bake/blend.py`. The brush is set up as Blender's own VDM Brush Baker sets one up: a Draw brush
whose texture is the EXR (packed into the file, Non-Color, not clamped), Area Plane mapping,
vector displacement on, Anchored stroke, constant falloff, strength 1, marked as an asset.
"""

from __future__ import annotations

import json
import sys

import bpy

BRUSH_NAME = "VDM brush"


def _sculpt_context() -> None:
    """An empty scene with a mesh in Sculpt Mode: brush settings such as Area Plane mapping are only
    offered there."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    mesh = bpy.data.meshes.new("plane")
    mesh.from_pydata([(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)], [], [(0, 1, 2, 3)])
    plane = bpy.data.objects.new("plane", mesh)
    bpy.context.scene.collection.objects.link(plane)
    bpy.context.view_layer.objects.active = plane
    bpy.ops.object.mode_set(mode="SCULPT")


def write(exr: str, out: str) -> None:
    _sculpt_context()
    image = bpy.data.images.load(exr)
    image.colorspace_settings.name = "Non-Color"
    image.pack()
    texture = bpy.data.textures.new("VDM", type="IMAGE")
    texture.image = image
    texture.use_clamp = False
    brush = bpy.data.brushes.new(BRUSH_NAME, mode="SCULPT")
    brush.texture = texture
    brush.use_color_as_displacement = True
    brush.texture_slot.map_mode = "AREA_PLANE"
    brush.stroke_method = "ANCHORED"
    brush.curve_preset = "CONSTANT"
    brush.strength = 1.0
    brush.use_fake_user = True
    brush.asset_mark()
    bpy.ops.wm.save_as_mainfile(filepath=out, compress=True)


def check(blend: str, out: str) -> None:
    """Print the brush's settings; save (as .npy) the surface a Displace modifier with the brush's
    EXR (RGB to XYZ, UV coordinates, mid-level 0, strength 1) makes of a grid whose vertices sit at
    the pixel centres."""
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
    command, *arguments = sys.argv[1:]
    {"write": write, "check": check}[command](*arguments)
