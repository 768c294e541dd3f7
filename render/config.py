"""How patches look in the renders (light: the miner records it in a dataset's settings)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vdm.render.lighting import Lighting
from vdm.rig import PLANE_GREY, RENDER_SIZE
from vdm.settings import check_settings, setting


def render_size() -> Any:
    """The side of rendered views as a setting: the field of every config that renders the rig."""
    return setting(
        RENDER_SIZE, flag="--size", min=8, max=4096, label="render size", help="View side in pixels."
    )


@dataclass(frozen=True)
class ViewSize:
    """The side of the views `vdm render` writes."""

    size: int = render_size()

    def __post_init__(self) -> None:
        check_settings(self)


@dataclass(frozen=True)
class RenderConfig:
    """How patches look: colours, shading creases and lighting."""

    part_colour: tuple[float, float, float] = (0.80, 0.62, 0.50)  # sRGB in [0, 1], a clay tone
    plane_grey: float = PLANE_GREY
    crease_angle_deg: float = 60.0  # faces meeting at a sharper angle do not share normals
    lighting: Lighting = field(default_factory=Lighting)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
