"""What a brush is called and says about itself in Blender's asset shelf: its name (from the part's
note, its file, or the user), a description, tags (source, category, size), its catalog, and the
licence and author of the mesh it was made from (an Objaverse object's annotations)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vdm.bake.blend import NAME_LENGTH, BrushAsset, file_stem
from vdm.bake.formats import FORMATS
from vdm.errors import VdmError, printable
from vdm.source_config import SourceConfig
from vdm.wording import counted

if TYPE_CHECKING:
    from vdm.sources import Credit

# Words a curator's note (or a procedural part's generator) names a part by: the catalog below
# VDM/ that groups like parts, in this order of precedence.
CATEGORIES = (
    "horn", "antler", "ear", "nose", "snout", "muzzle", "beak", "tail", "claw", "tooth", "fang",
    "spike", "fin", "wing", "tentacle", "hook", "mushroom", "bulb", "eye", "lip", "brow", "scale",
    "bump", "leg", "arm", "hand", "foot",
)  # fmt: skip

log = logging.getLogger(__name__)


def part_name(note: str, fallback: str) -> str:
    """A brush name a person reads: the note's first clause ("right horn, with the skin..." ->
    "Right horn"), else the fallback (a file's stem), at most Blender's name length."""
    first = re.split(r"[,;(\n]", note.strip(), maxsplit=1)[0].strip() if note else ""
    name = first or fallback.replace("_", " ").replace("-", " ").strip() or "VDM brush"
    name = printable(name[0].upper() + name[1:])  # a byte no text has (a non-UTF-8 --name) as \xNN
    kept = name.encode("utf-8")[:NAME_LENGTH].decode("utf-8", errors="ignore").strip()
    if kept != name.strip():
        log.warning("the brush name %r is cut to Blender's %d bytes: %r", name, NAME_LENGTH, kept)
    return kept


def category(*texts: str) -> str:
    """The first part word found in the texts (note, name, generator), else "other"."""
    words = set(re.findall(r"[a-z]+", " ".join(texts).lower()))
    words |= {w.removesuffix("s") for w in words}
    return next((c for c in CATEGORIES if c in words), "other")


def source_name(spec: str) -> str:
    """A short name of a mesh source: builtin:cow -> cow, a path -> its stem, objaverse:<uid> -> the
    uid's first 8 characters."""
    kind, _, ref = spec.partition(":")
    if kind == "builtin":
        return ref
    if kind == "objaverse":
        return f"objaverse-{ref[:8]}"
    return Path(spec).stem or "patch"


def brush_credits(sources_of_brushes: list[str], sources: SourceConfig) -> dict[str, Credit]:
    """The licence and author of each brush's source, by source (`sources.source_credits`, one
    pass over the annotations). What cannot be read (no annotations in the cache and no network,
    or none for an object) is said in one warning, and those brushes are made without them."""
    from vdm.sources import objaverse_uid, source_credits

    objects = {s for s in sources_of_brushes if objaverse_uid(s)}
    if objects:
        log.info(
            "reading the licence and author of %s from the Objaverse annotations",
            counted(len(objects), "object"),
        )
    try:
        found = source_credits(sources_of_brushes, sources)
    except VdmError as exc:
        log.warning("%s Brushes carry no licence or author: add them before sharing them.", exc)
        return {}
    missing = sorted(objects - set(found))
    if missing:
        log.warning(
            "Objaverse has no annotations for %s: %s no licence or author.",
            ", ".join(missing),
            "its brush carries" if len(missing) == 1 else "their brushes carry",
        )
    return found


def brush_asset(
    name: str, vdm: Path, preview: Path, source: str, note: str, resolution: int, credit: Credit | None = None
) -> BrushAsset:
    """The asset of one brush: catalog VDM/<category>/<source>, tags of source, category and size,
    and its source's licence and author (`credit`) in the asset's fields and its description."""
    where = source_name(source)
    kind = category(note, name)
    words = f"{note.strip()}. " if note.strip() and note.strip() != name else ""
    origin = source if ":" in source else Path(source).name  # a file's name, not the maker's folders
    description = (
        f"{name}: a vector displacement stamp. {words}Made by vdm from {printable(origin)}, {resolution} px."
    )
    return BrushAsset(
        name=name,
        vdm=vdm,
        description=f"{description} {printable(credit.sentence())}" if credit else description,
        tags=("vdm", kind, where, f"{resolution}px"),
        catalog=f"{kind}/{where}",
        preview=preview,
        license=printable(credit.licence) if credit else "",
        author=printable(credit.author) if credit else "",
    )


BRUSH_FILES = ("report.json", "brush.blend", "icon.png", "blender_assets.cats.txt")


def clear_brush_files(out: Path) -> None:
    """Remove the files a brush baked into `out` before left (its report first: a folder without one
    holds no finished brush), and its other sculptors' files, which its report names. The VDM,
    mesh and preview are replaced as they are written."""
    report = out / "report.json"
    try:
        made = json.loads(report.read_text(encoding="utf-8"))
        stem = file_stem(str(made["brush"]["name"]))
    except (OSError, ValueError, KeyError, TypeError):  # no brush baked here, or an older report
        stem = None
    others = (
        [out / f"{stem}{fmt.suffix}" for tool, fmt in FORMATS.items() if tool != "blender"] if stem else []
    )
    for path in [out / name for name in BRUSH_FILES] + others:
        path.unlink(missing_ok=True)


def write_tool_files(
    out: Path,
    displacement: np.ndarray,
    vdm: Path,
    name: str,
    note: str,
    source: str,
    blend: bool,
    formats: tuple[str, ...] | list[str],
    credit: Credit | None = None,
) -> dict[str, Path]:
    """Beside a brush's vdm.exr: each other sculptor's file, and with `blend` brush.blend (the brush
    asset with its source's `credit`, its Blender-rendered icon.png) and the folder's catalog file;
    returns them by name."""
    from vdm.bake.blend import write_blend, write_catalogs
    from vdm.bake.formats import write_format

    paths = {tool: write_format(out, file_stem(name), displacement, tool) for tool in formats}
    if blend:
        asset = brush_asset(name, vdm, out / "icon.png", source, note, displacement.shape[0], credit)
        paths["blend"] = write_blend([asset], out / "brush.blend")
        paths["catalogs"] = write_catalogs(out, [asset.catalog])
    return paths
