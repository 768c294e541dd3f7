"""Offscreen renders of a patch from the fixed 7-view orthographic rig (conventions sections 4, 5).

One `PatchRenderer` owns one offscreen OpenGL context (pyrender; EGL by default, OSMesa with
PYOPENGL_PLATFORM=osmesa) and reuses it for every view of every patch. Per view it makes two passes:

- a lit pass (4x multisampled): the RGB image, white background, grey 0.5 plane, the part in a
  fixed colour or its carried vertex colours;
- a triangle-id pass (not multisampled): which triangle covers each pixel centre. The normal map,
  mask and depth are then computed exactly from the pixel-centre rays (render.geometry), so the
  normal map is the 8-bit encoding of the true interpolated unit normal in the patch frame.

Any triangle mesh in the patch frame can be rendered this way (a stitched patch, or a surface
decoded from a VDM): give it as a `vdm.patch.Patch`. Back faces are drawn too (open meshes).
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # before pyrender imports PyOpenGL
logging.getLogger("OpenGL").setLevel(logging.WARNING)  # "No OpenGL_accelerate module loaded"

from collections.abc import Iterable  # noqa: E402

import numpy as np  # noqa: E402
import pyrender  # noqa: E402

from vdm.errors import VdmError  # noqa: E402
from vdm.images import BACKGROUND, encode_normals  # noqa: E402
from vdm.patch import PLANE, Patch  # noqa: E402
from vdm.render.config import RenderConfig  # noqa: E402
from vdm.render.geometry import corner_normals, pixel_barycentrics  # noqa: E402
from vdm.render.lighting import to_linear  # noqa: E402
from vdm.render.shaders import RigShaderCache  # noqa: E402
from vdm.render.views import ViewImages, write_views  # noqa: E402
from vdm.rig import RENDER_SIZE, VIEW_EXTENT, VIEWS, View, camera_to_world, project  # noqa: E402

log = logging.getLogger(__name__)

__all__ = ["PatchRenderer", "RenderConfig", "ViewImages", "render_views", "shared_renderer", "write_views"]

MAX_FACES = (1 << 24) - 2  # triangle ids travel in 24 bits of RGB, 0 is the background
Z_NEAR, Z_FAR = 0.01, 10.0  # the camera is 5 from the origin; the patch lies well within 5 of it


def _check_mesh(patch: Patch) -> None:
    faces, n_vertices = patch.faces, len(patch.vertices)
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise VdmError("The mesh to render has no triangles.")
    if len(faces) > MAX_FACES:
        raise VdmError(
            f"The mesh to render has {len(faces):,} triangles; the renderer takes at most {MAX_FACES:,}."
        )
    if faces.min() < 0 or faces.max() >= n_vertices:
        raise VdmError("The mesh to render has triangles that index missing vertices.")
    if not np.isfinite(patch.vertices).all():
        raise VdmError("The mesh to render has non-finite vertex coordinates.")
    if len(patch.labels) != n_vertices:
        raise VdmError("The mesh to render needs one label per vertex.")


def _close_offscreen(gl: pyrender.OffscreenRenderer) -> None:
    """Free one offscreen renderer. With EGL, pyrender's own delete() also calls eglTerminate on
    the display, which every EGL context of the process shares: it would break other renderers."""
    platform = gl._platform
    if not hasattr(platform, "_egl_context"):
        gl.delete()
        return
    from OpenGL.EGL import eglDestroyContext

    platform.make_current()
    gl._renderer.delete()
    platform.make_uncurrent()
    eglDestroyContext(platform._egl_display, platform._egl_context)


class PatchRenderer:
    """Renders patches (or any patch-frame triangle mesh) from the rig, reusing one GL context."""

    def __init__(self, size: int = RENDER_SIZE, config: RenderConfig | None = None) -> None:
        if size < 8:
            raise VdmError(f"Render size {size} is too small; use at least 8 pixels.")
        self.size = int(size)
        self.config = config or RenderConfig()
        try:
            self._gl = pyrender.OffscreenRenderer(self.size, self.size)
        except Exception as exc:  # any GL/EGL failure: one sentence for the user
            platform = os.environ.get("PYOPENGL_PLATFORM", "egl")
            raise VdmError(
                f"Offscreen OpenGL ({platform}) could not start ({type(exc).__name__}); install "
                "libegl1 libegl-mesa0 libgl1-mesa-dri, or libosmesa6 and set PYOPENGL_PLATFORM=osmesa."
            ) from exc
        self._gl._renderer._program_cache = RigShaderCache()  # lit and id passes (render.shaders)
        lighting = self.config.lighting
        self._scene = pyrender.Scene(bg_color=[1.0, 1.0, 1.0, 1.0], ambient_light=[lighting.ambient] * 3)
        half = VIEW_EXTENT / 2
        camera = pyrender.OrthographicCamera(xmag=half, ymag=half, znear=Z_NEAR, zfar=Z_FAR)
        self._camera = self._scene.add(camera)
        light = pyrender.DirectionalLight(color=np.ones(3), intensity=lighting.key_intensity())
        self._light = self._scene.add(light)
        self._light_offset = lighting.pose_in_camera()
        self._material = pyrender.MetallicRoughnessMaterial(doubleSided=True)

    def __enter__(self) -> PatchRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the GL context (the renderer is unusable afterwards)."""
        if self._gl is not None:
            _close_offscreen(self._gl)
            self._gl = None

    def albedo(self, patch: Patch) -> np.ndarray:
        """Per-vertex sRGB albedo in [0, 1]: grey plane, carried colours or the fixed part colour."""
        n = len(patch.vertices)
        part = (
            patch.vertex_colors[:, :3] / 255.0
            if patch.vertex_colors is not None
            else np.broadcast_to(np.asarray(self.config.part_colour, dtype=np.float64), (n, 3))
        )
        return np.where((patch.labels == PLANE)[:, None], self.config.plane_grey, part)

    def render(self, patch: Patch, views: Iterable[int] | None = None) -> dict[int, ViewImages]:
        """Render the views (default all 7 of the rig) of a patch-frame triangle mesh."""
        if self._gl is None:
            raise VdmError("This renderer was closed.")
        _check_mesh(patch)
        vertices, faces = patch.vertices, patch.faces
        normals = corner_normals(vertices, faces, self.config.crease_angle_deg)
        # One GL vertex per distinct (vertex, corner normal): creases split, smooth parts stay shared.
        corner_vertex = faces.reshape(-1)
        key = np.column_stack([corner_vertex.astype(np.float64), normals.reshape(-1, 3)])
        _, first, corner_to_gl = np.unique(
            np.ascontiguousarray(key).view(np.dtype((np.void, key.itemsize * 4))).ravel(),
            return_index=True,
            return_inverse=True,
        )
        indices = corner_to_gl.reshape(-1, 3).astype(np.uint32)
        gl_vertex = corner_vertex[first]
        positions = vertices[gl_vertex].astype(np.float32)
        colours = to_linear(self.albedo(patch))[gl_vertex]
        front = pyrender.Mesh(
            [
                pyrender.Primitive(
                    positions=positions,
                    normals=normals.reshape(-1, 3)[first].astype(np.float32),
                    color_0=np.column_stack([colours, np.ones(len(colours))]).astype(np.float32),
                    indices=indices,
                    material=self._material,
                )
            ]
        )
        # The id pass culls back faces, so it draws the triangles twice: as wound, then wound the
        # other way. Both are primitives of ONE mesh, drawn in that fixed order: where a front and a
        # back face tie in depth at a silhouette pixel, the same one wins every time (two nodes
        # would be drawn in the order of a set of nodes, which changes from run to run).
        ids = pyrender.Mesh(
            [
                pyrender.Primitive(positions=positions, indices=indices),
                pyrender.Primitive(positions=positions, indices=indices[:, ::-1].copy()),
            ]
        )
        front_node, id_node = self._scene.add(front), self._scene.add(ids)
        try:
            return {
                k: self._render_view(VIEWS[k], vertices, faces, normals, id_node)
                for k in (range(len(VIEWS)) if views is None else views)
            }
        finally:
            self._scene.remove_node(front_node)
            self._scene.remove_node(id_node)

    def _render_view(
        self,
        view: View,
        vertices: np.ndarray,
        faces: np.ndarray,
        normals: np.ndarray,
        id_node: pyrender.Node,
    ) -> ViewImages:
        pose = camera_to_world(view)
        self._scene.set_pose(self._camera, pose)
        self._scene.set_pose(self._light, pose @ self._light_offset)
        id_node.mesh.is_visible = False
        rgb, _ = self._gl.render(self._scene)
        id_node.mesh.is_visible = True
        seg = {id_node: (255, 255, 255)}
        ids, _ = self._gl.render(self._scene, pyrender.RenderFlags.SEG, seg_node_map=seg)
        s = self.size
        packed = np.zeros((s, s, 4), dtype=np.uint8)
        packed[..., :3] = ids
        face_ids = packed.view("<u4")[..., 0].astype(np.int32) - 1
        hit = np.flatnonzero(face_ids.ravel() >= 0)
        f = face_ids.ravel()[hit]
        if len(f) and f.max() >= len(faces):
            raise VdmError("The triangle-id render returned ids beyond the mesh (a GL driver problem).")
        rows, cols = np.divmod(hit, s)
        vertex_px, vertex_depth = project(vertices, view, s)
        bary = pixel_barycentrics(vertex_px[faces], f, cols, rows)
        n = np.einsum("ni,nij->nj", bary, normals[f])
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        mask = face_ids >= 0
        normal_px = np.zeros((s * s, 3), dtype=np.float32)
        normal_px[hit] = n
        depth = np.zeros(s * s, dtype=np.float32)
        depth[hit] = np.einsum("ni,ni->n", bary, vertex_depth[faces[f]])
        encoded = np.full((s * s, 3), BACKGROUND, dtype=np.uint8)
        encoded[hit] = encode_normals(n, np.ones(len(n), dtype=bool))
        return ViewImages(
            view=view.index,
            rgb=np.ascontiguousarray(rgb),
            normal=encoded.reshape(s, s, 3),
            mask=mask,
            normals=normal_px.reshape(s, s, 3),
            depth=depth.reshape(s, s),
            face_ids=face_ids,
        )


_SHARED: dict[int, PatchRenderer] = {}


def shared_renderer(size: int = RENDER_SIZE) -> PatchRenderer:
    """This process's renderer of that size (created once: one GL context per process and size)."""
    if size not in _SHARED:
        _SHARED[size] = PatchRenderer(size)
    return _SHARED[size]


def render_views(patch: Patch, size: int = RENDER_SIZE) -> dict[int, ViewImages]:
    """All 7 views of a patch with this process's shared renderer."""
    return shared_renderer(size).render(patch)
