"""Run by Blender's Python (bpy 4.5 or 5.0): brushes that stamp VDMs, as Blender's own VDM Brush
Baker sets one up, saved as assets in one .blend, each with a preview that Blender renders itself.

    python blend_script.py icons BRUSHES.json            # render the icons not rendered yet
    python blend_script.py write BRUSHES.json OUT.blend  # the brushes, with their icons (rendered if missing)

BRUSHES.json: {"brushes": [{"name", "exr", "packed_as", "description", "tags", "license", "author",
"catalog_id", "preview"}]}; `packed_as` is the packed EXR's path relative to the .blend; `preview` is
the icon's PNG (Blender's render of the stamp): several processes can render the icons of one library's
shards, and one then writes the library. It imports bpy, numpy (the one bpy ships with) and the standard
library only: it runs in the separate environment that holds Blender's module (`.venv-blender`), started
by `bake/blend.py`.

A brush: Draw, its texture the EXR (packed, Non-Color, not clamped, EXTEND beyond the image as the
baker sets it), Area Plane mapping with vector displacement, Anchored stroke, constant falloff,
strength 1 and no pen pressure on strength (the stamp keeps its encoded height), marked as an asset
with its description, tags, licence, author and catalog. The preview: the EXR displacing a disc of
the brush's radius (Displace modifier, RGB to XYZ, UV), shaded grey turning to clay with the
displacement's length, rendered by Cycles on the CPU.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import bpy
import numpy as np

PREVIEW_SIZE = 192  # pixels of the square icon
PREVIEW_SAMPLES = 12
GRID = 160  # vertices along the side of the preview's grid
CLAY = (0.55, 0.30, 0.18, 1.0)
GREY = (0.36, 0.36, 0.36, 1.0)
VIEW_ELEVATION_DEG = 40.0
VIEW_AZIMUTH_DEG = -25.0


def _sculpt_context() -> None:
    """An empty scene with a mesh in Sculpt Mode: Area Plane mapping is only offered there."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    mesh = bpy.data.meshes.new("sculpt")
    mesh.from_pydata([(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)], [], [(0, 1, 2, 3)])
    sculpt = bpy.data.objects.new("sculpt", mesh)
    sculpt.hide_render = True  # in no preview
    bpy.context.scene.collection.objects.link(sculpt)
    bpy.context.view_layer.objects.active = sculpt
    bpy.ops.object.mode_set(mode="SCULPT")


def _disc_grid() -> bpy.types.Object:
    """The preview's surface: a grid over the brush's disc (radius 1), UVs at (x + 1) / 2."""
    c = -1.0 + (2.0 * np.arange(GRID) + 1.0) / GRID
    xs, ys = np.meshgrid(c, -c)
    vertices = np.column_stack([xs.ravel(), ys.ravel(), np.zeros(GRID * GRID)])
    inside = np.hypot(xs, ys).ravel() <= 1.0 + 1.5 / GRID
    quads = [
        (r * GRID + k, (r + 1) * GRID + k, (r + 1) * GRID + k + 1, r * GRID + k + 1)
        for r in range(GRID - 1)
        for k in range(GRID - 1)
        if inside[[r * GRID + k, (r + 1) * GRID + k, (r + 1) * GRID + k + 1, r * GRID + k + 1]].all()
    ]
    mesh = bpy.data.meshes.new("preview")
    mesh.from_pydata(vertices.tolist(), [], quads)
    mesh.validate()
    layer = mesh.uv_layers.new(name="UVMap")
    loops = np.array([loop.vertex_index for loop in mesh.loops])
    layer.data.foreach_set("uv", ((vertices[loops, :2] + 1.0) / 2.0).ravel())
    mesh.polygons.foreach_set("use_smooth", [True] * len(mesh.polygons))
    grid = bpy.data.objects.new("preview", mesh)
    bpy.context.scene.collection.objects.link(grid)
    return grid


def _material(image_node_target: bpy.types.Object) -> bpy.types.ShaderNodeTexImage:
    """Grey turning to clay with height (the displacement's z, read from the same EXR by UV), as the
    previews are coloured: by its length, the transition band's plane, which slides in x and y,
    showed clay around a part's foot as if it were raised. Returns the image node, whose image each
    brush sets."""
    material = bpy.data.materials.new("stamp")
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    image = nodes.new("ShaderNodeTexImage")
    image.interpolation = "Linear"
    image.extension = "EXTEND"
    xyz = nodes.new("ShaderNodeSeparateXYZ")
    height = nodes.new("ShaderNodeMath")
    height.operation = "ABSOLUTE"
    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].position, ramp.color_ramp.elements[0].color = 0.0, GREY
    ramp.color_ramp.elements[1].position, ramp.color_ramp.elements[1].color = 0.02, CLAY
    shader = nodes["Principled BSDF"]
    shader.inputs["Roughness"].default_value = 0.6
    links.new(image.outputs["Color"], xyz.inputs[0])
    links.new(xyz.outputs["Z"], height.inputs[0])
    links.new(height.outputs["Value"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], shader.inputs["Base Color"])
    image_node_target.data.materials.append(material)
    return image


def _preview_scene() -> tuple[bpy.types.Object, bpy.types.Object, bpy.types.ShaderNodeTexImage]:
    """Camera, sun, a fill light from the camera, sky and the displaced disc, rendered by Cycles on
    the CPU."""
    scene = bpy.context.scene
    grid = _disc_grid()
    image_node = _material(grid)
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    camera.data.type = "ORTHO"
    scene.collection.objects.link(camera)
    scene.camera = camera
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(35), math.radians(-25), math.radians(20))
    scene.collection.objects.link(sun)
    # a fill light from the camera, casting no shadow: the plane under an overhang, a cave the sun
    # and the sky cannot reach, was black in the icons (the cow horn, the bunny ear); lit from the
    # viewer it reads as a surface
    fill = bpy.data.objects.new("fill", bpy.data.lights.new("fill", "SUN"))
    fill.data.energy = 1.5
    fill.data.use_shadow = False
    fill.parent = camera  # it looks where the camera looks
    scene.collection.objects.link(fill)
    scene.world = bpy.data.worlds.new("sky")
    scene.world.use_nodes = True
    scene.world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.55
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = PREVIEW_SAMPLES
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = PREVIEW_SIZE
    scene.render.film_transparent = True
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    return grid, camera, image_node


def _frame(camera: bpy.types.Object, image: bpy.types.Image) -> None:
    """Look at the disc from the front-left and above, wide enough for the stamp's height."""
    pixels = np.empty(image.size[0] * image.size[1] * image.channels, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    height = float(np.abs(pixels.reshape(-1, image.channels)[:, 2]).max())
    elevation, azimuth = math.radians(VIEW_ELEVATION_DEG), math.radians(VIEW_AZIMUTH_DEG)
    direction = (
        math.sin(azimuth) * math.cos(elevation),
        -math.cos(azimuth) * math.cos(elevation),
        math.sin(elevation),
    )
    target = (0.0, 0.0, 0.35 * height)
    camera.location = tuple(t + 6.0 * d for t, d in zip(target, direction, strict=True))
    camera.rotation_euler = (math.pi / 2 - elevation, 0.0, azimuth)
    camera.data.ortho_scale = 2.3 + 0.9 * height


def _render_preview(grid, camera, image_node, texture, path: str) -> None:
    """The icon, written as a PNG: the stamp as Blender shows it."""
    grid.modifiers.clear()
    displace = grid.modifiers.new("VDM", type="DISPLACE")
    displace.texture = texture
    displace.texture_coords = "UV"
    displace.direction = "RGB_TO_XYZ"
    displace.mid_level = 0.0
    displace.strength = 1.0
    image_node.image = texture.image
    _frame(camera, texture.image)
    bpy.context.scene.render.filepath = path
    bpy.ops.render.render(write_still=True)


def _icon_pixels(path: str) -> tuple[tuple[int, int], np.ndarray]:
    """An icon PNG's size and RGBA float pixels as Blender holds them (rows bottom first)."""
    icon = bpy.data.images.load(path)
    size = tuple(icon.size)
    pixels = np.empty(size[0] * size[1] * 4, dtype=np.float32)
    icon.pixels.foreach_get(pixels)
    bpy.data.images.remove(icon)
    return size, pixels


def _texture(entry: dict) -> bpy.types.Texture:
    image = bpy.data.images.load(entry["exr"])
    image.name = entry["name"]
    image.colorspace_settings.name = "Non-Color"
    texture = bpy.data.textures.new(entry["name"], type="IMAGE")
    texture.image = image
    texture.extension = "EXTEND"
    texture.use_clamp = False
    return texture


def icons(manifest: str) -> None:
    """Render the icon of every brush whose PNG is not there yet."""
    entries = json.loads(Path(manifest).read_text(encoding="utf-8"))["brushes"]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = _preview_scene()
    for entry in entries:
        if not Path(entry["preview"]).is_file():
            texture = _texture(entry)
            _render_preview(*scene, texture, entry["preview"])
            bpy.data.textures.remove(texture)


def _brush(entry: dict, texture: bpy.types.Texture) -> bpy.types.Brush:
    brush = bpy.data.brushes.new(entry["name"], mode="SCULPT")
    brush.texture = texture
    brush.use_color_as_displacement = True
    brush.texture_slot.map_mode = "AREA_PLANE"
    brush.stroke_method = "ANCHORED"
    if hasattr(brush, "curve_distance_falloff_preset"):  # Blender 5.0's name
        brush.curve_distance_falloff_preset = "CONSTANT"
    else:
        brush.curve_preset = "CONSTANT"
    brush.strength = 1.0
    brush.use_pressure_strength = False
    brush.asset_mark()
    meta = brush.asset_data
    meta.description = entry["description"]
    meta.license = entry["license"]
    meta.author = entry["author"]
    meta.catalog_id = entry["catalog_id"]
    for tag in entry["tags"]:
        meta.tags.new(tag, skip_if_exists=True)
    return brush


def write(manifest: str, out: str) -> None:
    """The library: one brush asset per entry, its icon the entry's PNG (rendered first if missing)."""
    entries = json.loads(Path(manifest).read_text(encoding="utf-8"))["brushes"]
    if not all(Path(e["preview"]).is_file() for e in entries):
        icons(manifest)
    _sculpt_context()
    brushes = set()
    for entry in entries:
        texture = _texture(entry)
        texture.image.pack()
        texture.image.filepath_raw = entry["packed_as"]  # relative: no path of the baker's machine
        brush = _brush(entry, texture)
        size, pixels = _icon_pixels(entry["preview"])
        preview = brush.preview_ensure()
        preview.image_size = size
        preview.image_pixels_float.foreach_set(pixels)
        brushes.add(brush)
    bpy.data.libraries.write(out, brushes, fake_user=True, compress=True)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"icons": icons, "write": write}[command](*arguments)
