"""GenVDM's training-target normal maps, made again with Blender (bpy 4.5): a patch rendered as
GenVDM's `dataset/renderNormal_training.py` renders one with BlenderProc 2.7.1, so a test can check
this project's reading of those maps (train.normal_frames) against something that is not ours.

The scene, as theirs (research notes: /tmp/research/genvdm_inference.md sections 2 and 2.1):
- the patch PLY, imported by Blender's own PLY importer, placed with its base plane in world x = 0
  and its part toward world +x: world = (patch z, patch x, patch y), as the object's matrix_world;
  shaded smooth with Blender's own normals, split where faces meet at more than the crease angle
  (this project's renderer splits its normals there too);
- per view k, a camera at 5 (cos e cos a, cos e sin a, sin e) (world z up) with a TRACK_TO
  constraint to an empty at the origin (track -Z, up Y), orthographic, ortho_scale 3, square image;
- Cycles with the normal pass (view_layer.use_pass_normal: world-space normals), transparent film.
  Unlike theirs (32 samples, Blender's default 1.5 px pixel filter), one sample through a 0.01 px box
  filter: each pixel holds the normal at its centre, as this project's renderer computes it, so
  silhouettes are not blends of two surfaces;
- BlenderProc's `enable_normals_output` compositor, here in numpy on the multilayer EXR: with
  M = matrix_world(camera) @ Rx(-90 deg), res_r = sum_c n_world[c] M[c][r], and
  R = (res_0 + 1) / 2, G = (res_2 + 1) / 2, B = (1 - res_1) / 2 (net: (R_w2c n_world + 1) / 2,
  the view's own OpenGL camera frame); `* 255` into uint8 (truncating, as their script writes
  its PNG), alpha 0 where the depth is the image's largest (their mask: the background).

The tests call `render_like_genvdm`; Blender's Python runs this same file as a script (bpy is
imported only there, in the environment that has it).
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLENDER_PYTHON = REPO / ".venv-blender" / "bin" / "python"
DISTANCE = 5.0
ORTHO_SCALE = 3.0
AZIMUTHS = (-60.0, -30.0, 0.0, 30.0, 60.0, 0.0, 0.0)  # their render.yaml, view index k = 0..6
ELEVATIONS = (0.0, 0.0, 0.0, 0.0, 0.0, 45.0, -45.0)
CREASE_ANGLE_DEG = 60.0  # vdm.render.config.RenderConfig().crease_angle_deg
PATCH_TO_WORLD = ((0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0))  # world = (z, x, y) of the patch


def render_like_genvdm(patch_ply: Path, size: int) -> dict[int, object]:
    """Per view k (0..6) the (size, size, 4) uint8 RGBA normal map GenVDM's render script would
    write for the patch: RGB the normal in view k's own OpenGL camera frame, alpha 0 on the
    background and 255 elsewhere."""
    import numpy as np

    from vdm.bake.blend import run_blender_script

    with tempfile.TemporaryDirectory(prefix="vdm-genvdm-normals-") as folder:
        printed = run_blender_script(
            Path(__file__), str(Path(patch_ply).resolve()), folder, str(size), python=BLENDER_PYTHON
        )
        cameras = json.loads(printed.strip().splitlines()[-1])
        tiles = {}
        for k, matrix_world in enumerate(cameras):
            normal, depth = _read_passes(Path(folder) / f"{k}.exr")
            tiles[k] = _blenderproc_encoding(normal, depth, np.asarray(matrix_world))
        return tiles


def _read_passes(path: Path):
    """The world-space normal pass (H, W, 3) and the depth pass (H, W) of a Blender multilayer EXR,
    row 0 at the top."""
    import numpy as np
    import OpenEXR

    with OpenEXR.File(str(path), separate_channels=True) as exr:
        channels = {name.split(".", 1)[-1]: c.pixels for name, c in exr.channels().items()}
    normal = np.stack([channels[f"Normal.{a}"] for a in "XYZ"], axis=-1).astype(np.float64)
    return normal, channels["Depth.Z"].astype(np.float64)


def _blenderproc_encoding(normal, depth, camera_to_world):
    """BlenderProc 2.7.1's normal output for one frame (its compositor's arithmetic), then GenVDM's
    PNG: RGB = uint8(255 x output), alpha = depth != max(depth)."""
    import numpy as np

    rx = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # Matrix.Rotation(-pi/2, 3, 'X')
    m = camera_to_world[:3, :3] @ rx
    res = np.einsum("hwc,cr->hwr", normal, m)  # res_r = sum_c n[c] * M[c][r]
    out = np.stack([0.5 * res[..., 0] + 0.5, 0.5 * res[..., 2] + 0.5, -0.5 * res[..., 1] + 0.5], axis=-1)
    rgba = np.zeros((*depth.shape, 4), dtype=np.uint8)
    rgba[..., :3] = np.clip(out * 255.0, 0.0, 255.0).astype(np.uint8)
    rgba[..., 3] = np.where(depth != depth.max(), 255, 0)
    return rgba


def _scene(size: int):
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 1
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.use_denoising = False
    scene.cycles.max_bounces = 0
    scene.cycles.pixel_filter_type = "BOX"
    scene.cycles.filter_width = 0.01  # Blender's least: every sample at the pixel centre
    scene.render.film_transparent = True
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "OPEN_EXR_MULTILAYER"
    scene.render.image_settings.color_depth = "32"
    layer = scene.view_layers[0]
    layer.use_pass_normal = True
    layer.use_pass_z = True
    return scene


def _patch_object(ply: str):
    import bpy
    from mathutils import Matrix

    bpy.ops.wm.ply_import(filepath=ply, forward_axis="Y", up_axis="Z")  # no axis change
    patch = bpy.context.selected_objects[0]
    patch.data.shade_smooth()
    patch.data.set_sharp_from_angle(angle=math.radians(CREASE_ANGLE_DEG))
    patch.matrix_world = Matrix(PATCH_TO_WORLD).to_4x4()
    return patch


def _camera(scene, k: int, target):
    import bpy

    a, e = math.radians(AZIMUTHS[k]), math.radians(ELEVATIONS[k])
    data = bpy.data.cameras.new(f"camera {k}")
    data.type = "ORTHO"
    data.ortho_scale = ORTHO_SCALE
    camera = bpy.data.objects.new(f"camera {k}", data)
    camera.location = (
        DISTANCE * math.cos(e) * math.cos(a),
        DISTANCE * math.cos(e) * math.sin(a),
        DISTANCE * math.sin(e),
    )
    track = camera.constraints.new(type="TRACK_TO")
    track.target = target
    track.track_axis = "TRACK_NEGATIVE_Z"
    track.up_axis = "UP_Y"
    scene.collection.objects.link(camera)
    return camera


def _render(ply: str, folder: str, size: str) -> None:
    import bpy

    scene = _scene(int(size))
    _patch_object(ply)
    origin = bpy.data.objects.new("origin", None)
    scene.collection.objects.link(origin)
    cameras = [_camera(scene, k, origin) for k in range(len(AZIMUTHS))]
    bpy.context.view_layer.update()  # the constraints set each camera's matrix_world
    for k, camera in enumerate(cameras):
        scene.camera = camera
        scene.render.filepath = str(Path(folder) / f"{k}.exr")
        bpy.ops.render.render(write_still=True)
    print(json.dumps([[list(row) for row in c.matrix_world] for c in cameras]))


if __name__ == "__main__":
    _render(*sys.argv[1:])
