"""Remeshing of the trimmed part to the patch's target edge length (pymeshlab).

Poisson output is fine-grained and has slivers where the trim cut it. A quadric edge-collapse
decimation first brings the face count to what the target edge length implies (fast, shape
preserving), then isotropic explicit remeshing evens the triangles out. Both keep the boundary
loop a boundary loop (they only split, collapse and slide boundary edges along it).
"""

from __future__ import annotations

import numpy as np

from vdm.errors import Rejected
from vdm.geometry import face_areas
from vdm.meshtools import largest_component
from vdm.topology import boundary_loops

EVEN_TRIANGLE_AREA = np.sqrt(3.0) / 4.0  # a triangle of an even (equilateral) mesh, in squared edges


def remesh(
    vertices: np.ndarray, faces: np.ndarray, edge_length: float, iterations: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remeshed (vertices, faces, main boundary loop)."""
    import pymeshlab

    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=vertices, face_matrix=faces.astype(np.int32)))
    target_faces = int(face_areas(vertices, faces).sum() / (edge_length**2 * EVEN_TRIANGLE_AREA))
    if len(faces) > 1.2 * target_faces:
        ms.meshing_decimation_quadric_edge_collapse(
            targetfacenum=max(target_faces, 64),
            preserveboundary=True,
            boundaryweight=2.0,
            preservetopology=True,
            optimalplacement=True,
            planarquadric=True,
            qualitythr=0.5,
        )
    ms.meshing_isotropic_explicit_remeshing(
        iterations=iterations,
        targetlen=pymeshlab.PureValue(edge_length),
        featuredeg=180.0,  # a smooth Poisson surface has no creases to keep
        checksurfdist=True,
        maxsurfdist=pymeshlab.PureValue(0.25 * edge_length),
    )
    ms.meshing_remove_unreferenced_vertices()
    mesh = ms.current_mesh()
    v = np.asarray(mesh.vertex_matrix(), dtype=np.float64)
    f = np.asarray(mesh.face_matrix(), dtype=np.int64)
    v, f, _ = largest_component(v, f)
    loops = boundary_loops(f)
    if len(loops) != 1:
        raise Rejected("trim", f"The remeshed part has {len(loops)} boundary loops instead of one.")
    return v, f, loops[0]
