"""Run by Blender's Python (bpy): write a .blend holding a sculpt brush that stamps a VDM.

    python blend_script.py write VDM.exr BRUSH.blend

It imports bpy and the standard library only: it runs in the separate environment that holds
Blender's module (`.venv-blender`, whose numpy is the one bpy is built for), started by
`bake/blend.py`. The brush is set up as Blender's own VDM Brush Baker sets one up: a Draw brush
whose texture is the EXR (packed into the file, Non-Color, not clamped), Area Plane mapping,
vector displacement on, Anchored stroke, constant falloff, strength 1, marked as an asset.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"write": write}[command](*arguments)
