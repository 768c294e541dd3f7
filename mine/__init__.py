"""mine/: selection records to a dataset (conventions section 7): stitch, augment and render each
record in a worker (local processes or Ray), write and commit the results resumably.

Entry points (loaded on first use): `MineConfig` and `mine(inputs, out, config, executor)`; the
executors are `ProcessExecutor` and `RayExecutor` (`vdm.executors`).
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.mine.config import MineConfig
    from vdm.mine.driver import mine

__all__ = ["MineConfig", "mine"]
__getattr__, __dir__ = lazy_exports(__name__, {"MineConfig": "vdm.mine.config", "mine": "vdm.mine.driver"})
