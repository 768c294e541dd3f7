"""reconstruct/: six normal maps to a vector displacement map (neural SDF, then a deformation field).

Entry points (loaded on first use): `ReconstructConfig` and `reconstruct(normals, out, config)`,
and the VDM file's `read_vdm` / `write_vdm` (conventions section 6).
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from reconstruct.config import ReconstructConfig
    from reconstruct.pipeline import reconstruct
    from vdm.vdm_file import read_vdm, write_vdm

__all__ = ["ReconstructConfig", "read_vdm", "reconstruct", "write_vdm"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ReconstructConfig": "reconstruct.config",
        "reconstruct": "reconstruct.pipeline",
        "read_vdm": "vdm.vdm_file",
        "write_vdm": "vdm.vdm_file",
    },
)
