"""Open a .blend of brushes with Blender's own Python (bpy 4.5 LTS or 5.0) and report what Blender
sees: each brush's settings, asset data and preview, and the surface Blender makes of its VDM where
its brush acts: a grid at the pixel centres displaced by the brush's own texture (Displace modifier:
RGB to XYZ, UV coordinates, mid-level 0, strength 1, Blender's decoding of a VDM) through a vertex
group that is 1 inside the brush's circle and 0 outside (a sculpt brush acts only inside its circle).

The tests call `inspect_blend`; Blender's Python runs this same file as a script (bpy is imported
only there, in the environment that has it).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLENDERS = {
    "4.5": REPO / ".venv-blender" / "bin" / "python",
    "5.0": REPO / ".venv-blender5" / "bin" / "python",
}


def inspect_blend(blend: Path, version: str) -> tuple[list[dict], dict]:
    """Every brush of a .blend as Blender `version` sees it, and per brush name the (N, N, 3) surface
    Blender makes of its VDM inside its circle and everywhere (`<name>` and `<name> unmasked`)."""
    import numpy as np

    from vdm.bake.blend import run_blender_script

    with tempfile.TemporaryDirectory(prefix="vdm-blend-") as folder:
        printed = run_blender_script(
            Path(__file__), str(Path(blend).resolve()), folder, python=BLENDERS[version]
        )
        brushes = json.loads(printed.strip().splitlines()[-1])
        surfaces = {}
        for index, brush in enumerate(brushes):
            surfaces[brush["name"]] = np.load(Path(folder) / f"{index}.npy")
            surfaces[brush["name"] + " unmasked"] = np.load(Path(folder) / f"{index}-all.npy")
        return brushes, surfaces


def _sculpt_object():
    import bpy

    mesh = bpy.data.meshes.new("sculpt")
    mesh.from_pydata([(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)], [], [(0, 1, 2, 3)])
    sculpt = bpy.data.objects.new("sculpt", mesh)
    bpy.context.scene.collection.objects.link(sculpt)
    bpy.context.view_layer.objects.active = sculpt
    bpy.ops.object.mode_set(mode="SCULPT")  # Area Plane mapping reads as itself only here


def _settings(brush) -> dict:
    import numpy as np

    image = brush.texture.image
    preview = brush.preview
    icon = np.zeros(preview.image_size[0] * preview.image_size[1] * 4, dtype=np.float32)
    preview.image_pixels_float.foreach_get(icon)
    falloff = getattr(brush, "curve_distance_falloff_preset", None) or brush.curve_preset
    meta = brush.asset_data
    return {
        "name": brush.name,
        "version": ".".join(map(str, bpy_version())),
        "asset": meta is not None,
        "description": meta.description,
        "tags": [t.name for t in meta.tags],
        "catalog_id": meta.catalog_id,
        "license": meta.license,
        "author": meta.author,
        "sculpt_shelf": bool(meta.get("use_paint_sculpt")),
        "preview_size": list(preview.image_size),
        "preview_custom": preview.is_image_custom,
        "preview_spread": float(icon.reshape(-1, 4)[:, :3].std()),
        "map_mode": brush.texture_slot.map_mode,
        "vector_displacement": brush.use_color_as_displacement,
        "stroke_method": brush.stroke_method,
        "falloff": falloff,
        "strength": brush.strength,
        "pressure_strength": brush.use_pressure_strength,
        "extension": brush.texture.extension,
        "clamp": brush.texture.use_clamp,
        "colorspace": image.colorspace_settings.name,
        "packed": image.packed_file is not None,
        "image_path": image.filepath_raw,
        "size": list(image.size),
    }


def bpy_version() -> tuple:
    import bpy

    return tuple(bpy.app.version)


def _surface(brush, masked: bool):
    """The grid at the VDM's pixel centres displaced by the brush's texture (inside the circle)."""
    import bpy
    import numpy as np

    n = brush.texture.image.size[0]
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
    layer.data.foreach_set("uv", ((vertices[loops, :2] + 1.0) / 2.0).ravel())  # u = (x + 1) / 2
    grid = bpy.data.objects.new("grid", mesh)
    bpy.context.scene.collection.objects.link(grid)
    modifier = grid.modifiers.new("VDM", type="DISPLACE")
    if masked:
        circle = grid.vertex_groups.new(name="circle")
        inside = np.flatnonzero(np.hypot(vertices[:, 0], vertices[:, 1]) <= 1.0)
        circle.add(inside.tolist(), 1.0, "REPLACE")
        modifier.vertex_group = "circle"
    modifier.texture = brush.texture
    modifier.texture_coords = "UV"
    modifier.direction = "RGB_TO_XYZ"
    modifier.mid_level = 0.0
    modifier.strength = 1.0
    evaluated = grid.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
    surface = np.zeros(len(evaluated.vertices) * 3)
    evaluated.vertices.foreach_get("co", surface)
    return surface.reshape(n, n, 3)


def _inspect(blend: str, folder: str) -> None:
    import bpy
    import numpy as np

    bpy.ops.wm.read_factory_settings(use_empty=True)
    with bpy.data.libraries.load(blend, link=False, assets_only=True) as (source, target):
        target.brushes = list(source.brushes)
    _sculpt_object()
    brushes = sorted(target.brushes, key=lambda b: b.name)
    report = [_settings(b) for b in brushes]
    for index, brush in enumerate(brushes):
        np.save(Path(folder) / f"{index}.npy", _surface(brush, masked=True))
        np.save(Path(folder) / f"{index}-all.npy", _surface(brush, masked=False))
    print(json.dumps(report))


if __name__ == "__main__":
    _inspect(*sys.argv[1:])
