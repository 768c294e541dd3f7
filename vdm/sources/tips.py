"""Annotated part tips of the built-in meshes: the ground truth `vdm propose` is measured on.

A tip is the point a curator would click on a part, with the part's name and kind: a head part or
a body part (a stamp an artist wants) or a limb (a leg the mesh stands on: a poor stamp). The
procedural beasts know their own tips (vdm.sources.beasts); the others ship as
`vdm/data/tips/<name>.json` (vdm.sources.builtin.builtin_tips answers for both).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

KINDS = ("head part", "body part", "limb")
TIPS_DIR = Path(__file__).resolve().parent.parent / "data" / "tips"


@dataclass(frozen=True)
class Tip:
    """An annotated part: its name, its kind (KINDS) and the point at its tip (mesh coordinates)."""

    name: str
    kind: str
    point: tuple[float, float, float]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"A tip's kind is one of {', '.join(KINDS)}, not {self.kind!r}.")

    @property
    def stamp(self) -> bool:
        """Whether an artist would want this part as a brush (limbs are not)."""
        return self.kind != "limb"


def annotated_tips(name: str) -> list[Tip]:
    """The hand-annotated tips of `builtin:<name>` (`vdm/data/tips/<name>.json`); KeyError when
    nobody annotated that mesh."""
    path = TIPS_DIR / f"{name}.json"
    if not path.is_file():
        raise KeyError(name)
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Tip(t["name"], t["kind"], tuple(t["point"])) for t in data["tips"]]
