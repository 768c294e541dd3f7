"""reconstruct/: six normal maps to a vector displacement map (a neural SDF, then its surface baked onto
the square as `vdm bake` does, or GenVDM's deformation field with `--stage2 field`).

Entry points (loaded on first use): `ReconstructConfig` and `reconstruct(normals, out, config)`.
The VDM file itself (conventions section 6) is the core's: `vdm.vdm_file`.
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.reconstruct.config import ReconstructConfig
    from vdm.reconstruct.pipeline import reconstruct

__all__ = ["ReconstructConfig", "reconstruct"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ReconstructConfig": "vdm.reconstruct.config",
        "reconstruct": "vdm.reconstruct.pipeline",
    },
)
