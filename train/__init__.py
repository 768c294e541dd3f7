"""train/: fine-tune Zero123++ to emit the six-view normal grid from one condition image.

Entry points (loaded on first use): `TrainConfig` and `train(config)` (train.trainer),
`GenerateConfig` and `generate(image, model, out, config)` (train.generate), and `HUB_ID`,
the public base model.
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.train.config import HUB_ID, GenerateConfig, TrainConfig
    from vdm.train.generate import generate
    from vdm.train.trainer import train

__all__ = ["HUB_ID", "GenerateConfig", "TrainConfig", "generate", "train"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "HUB_ID": "vdm.train.config",
        "GenerateConfig": "vdm.train.config",
        "TrainConfig": "vdm.train.config",
        "generate": "vdm.train.generate",
        "train": "vdm.train.trainer",
    },
)
