"""Step 2a: Screened Poisson reconstruction of the oriented samples (pymeshlab, or open3d).

Both backends run on ONE thread: their multithreaded solvers sum in a thread-dependent order, and
the miner needs the same bytes from the same input on every machine and worker count.
"""

from __future__ import annotations

import logging

import numpy as np

from vdm.errors import Rejected, short_reason
from vdm.stitching.extract import Samples

log = logging.getLogger(__name__)

# Depth up to which pymeshlab's octree is complete. Its default (5) spends a fixed 32^3 nodes on
# empty space around a part; the cap those nodes shape is trimmed away anyway.
FULL_DEPTH = 3


def poisson_surface(
    samples: Samples, depth: int, backend: str, point_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """Watertight surface (vertices, faces) through the samples."""
    try:
        if backend == "open3d":
            vertices, faces = _open3d(samples, depth)
        else:
            vertices, faces = _pymeshlab(samples, depth, point_weight)
    except Exception as exc:  # the C++ solvers raise bare runtime errors on degenerate input
        raise Rejected(
            "poisson", f"Screened Poisson ({backend}) failed on the samples ({short_reason(exc)})."
        ) from exc
    if len(faces) == 0:
        raise Rejected("poisson", f"Screened Poisson ({backend}) produced no surface from the samples.")
    return vertices, faces


def _pymeshlab(samples: Samples, depth: int, point_weight: float) -> tuple[np.ndarray, np.ndarray]:
    import pymeshlab

    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=samples.points, v_normals_matrix=samples.normals))
    ms.generate_surface_reconstruction_screened_poisson(
        depth=depth, pointweight=point_weight, fulldepth=FULL_DEPTH, preclean=False, threads=1
    )
    mesh = ms.current_mesh()
    return np.asarray(mesh.vertex_matrix(), dtype=np.float64), np.asarray(mesh.face_matrix(), dtype=np.int64)


def _open3d(samples: Samples, depth: int) -> tuple[np.ndarray, np.ndarray]:
    import open3d as o3d

    o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(samples.points))
    cloud.normals = o3d.utility.Vector3dVector(samples.normals)
    mesh, _ = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(cloud, depth=depth, n_threads=1)
    # open3d leaves duplicated and unreferenced vertices and degenerate faces: clean them so the
    # trimming step sees a manifold surface.
    mesh.remove_duplicated_vertices()
    mesh.remove_degenerate_triangles()
    mesh.remove_duplicated_triangles()
    mesh.remove_non_manifold_edges()
    mesh.remove_unreferenced_vertices()
    return np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.triangles, dtype=np.int64)
