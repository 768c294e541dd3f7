"""`vdm pack`: many parts as one brush library for Blender (and the other sculptors).

The parts: a dataset (its patches, named by their records' notes), folders of patch meshes or
selection records, or `vdm bake` outputs (their brush VDMs as they are). Each part is baked as a
brush (centred, inside Blender's circle) in a worker process into its own folder under
PACK/.work/<key> (the key: a hash of its file, the bake's settings and the sources' face limit and
Objaverse cache), so a run that stops is resumed by running it again; a part the bake refuses gets
one sentence and the rest go on. Then Blender renders the missing icons (one process per core) and
writes the library:

    PACK/vdm-brushes.blend        every brush as an asset, with its icon, in catalogs VDM/<part>/<source>
    PACK/blender_assets.cats.txt  the catalogs
    PACK/vdm/<name>.exr           each brush's VDM, half + ZIP (Blender's baker's default)
    PACK/<tool>/<name>...         with --format zbrush|mudbox|3dcoat: each tool's file (bake.formats)
    PACK/previews/<name>.png      the icons; contact_sheet.png: all of them with their names
    PACK/INSTALL.md               how to use the library in each tool
    PACK/pack.json                what is in it, and what was left out and why
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rich.console import Console

from vdm.atomic import writable_dir, write_text_atomic
from vdm.bake.asset import brush_asset, brush_credits, category, file_stem, part_name, source_name
from vdm.bake.blend import BrushAsset, render_icons, write_blend, write_catalogs
from vdm.bake.config import BakeConfig
from vdm.bake.formats import FORMATS, write_format
from vdm.dataset import entry_source, read_manifest
from vdm.errors import Rejected, VdmError, short_reason
from vdm.executors import ProcessExecutor, TaskFailure
from vdm.folder_lock import LOCK_NAME, FolderLock
from vdm.progress import WorkProgress
from vdm.source_config import SourceConfig
from vdm.state_files import json_object, read_state_json
from vdm.wording import counted

log = logging.getLogger(__name__)

LIBRARY = "vdm-brushes.blend"
WORK = ".work"
DONE = "part.json"  # written last in a part's work folder: the part is settled


@dataclass(frozen=True)
class PackPart:
    """One part to make a brush of, and what names it."""

    key: str
    label: str  # the part as the user gave it, for messages
    kind: str  # "patch" (a .ply), "record" (a selection, stitched first) or "brush" (a vdm bake output)
    path: Path
    note: str
    source: str  # the mesh source, for the catalog and the description


@dataclass
class PackSummary:
    brushes: list[dict]
    refused: list[dict]
    library: Path


def _digest(path: Path, settings: str) -> str:
    return hashlib.sha256(path.read_bytes() + settings.encode()).hexdigest()[:16]


def _dataset_parts(folder: Path, settings: str) -> list[PackPart]:
    """A dataset's patches, named by their records' notes (or their generators)."""
    parts = []
    for entry in read_manifest(folder):
        patch = folder / entry["files"]["patch"]
        note = entry.get("note") or entry.get("generator", {}).get("generator", "")
        spec = entry_source(entry)
        parts.append(
            PackPart(_digest(patch, settings), entry["patch_id"], "patch", patch, note, spec or folder.name)
        )
    return parts


NOT_PARTS = ("pack.json", "settings.json", "summary.json", "report.json")  # vdm's own files, in folders
NOT_PART_SUFFIXES = (".report.json",)  # `vdm stitch` writes one beside each patch


@dataclass
class Gathered:
    """The parts of the inputs, and the files in their folders that cannot be parts (with why)."""

    parts: list[PackPart]
    unreadable: list[dict]


def gather(inputs: list[Path], settings: str, skip: Path | None = None) -> Gathered:
    """The parts of the inputs, in the order given (folders: sorted by name, without `skip`, the
    library itself, and without vdm's own files). A file in a folder that is no part is left out
    with its reason; a path given that does not exist, or is of no kind, is one sentence."""
    found = Gathered([], [])
    for given in inputs:
        path = Path(given)
        if path.is_dir() and (path / "manifest.jsonl").is_file():
            found.parts += _dataset_parts(path, settings)
        elif path.is_dir() and (path / "vdm.exr").is_file():
            found.parts.append(_baked_part(path, settings))
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if _may_be_part(p, skip))
            inner = gather(children, settings, skip)
            found.parts += inner.parts
            found.unreadable += inner.unreadable
        elif path.suffix.lower() in (".ply", ".json") and path.is_file():
            try:
                found.parts.append(_file_part(path, settings))
            except VdmError as exc:
                found.unreadable.append({"part": str(path), "reason": str(exc).rstrip(".")})
        elif not path.exists():
            raise VdmError(f"{path} does not exist.")
        else:
            raise VdmError(
                f"{path} is not a dataset, a folder, a patch .ply, a selection .json or a `vdm bake` output."
            )
    return found


def _baked_part(folder: Path, settings: str) -> PackPart:
    """A `vdm bake` output: its brush VDM, named as the bake named it (its report's brush)."""
    try:
        about = json.loads((folder / "report.json").read_text(encoding="utf-8"))["brush"]
        name, source = str(about["name"]), str(about["source"])
    except (OSError, ValueError, KeyError, TypeError):  # an older bake: the folder names it
        name, source = "", folder.name
    vdm = folder / "vdm.exr"
    return PackPart(_digest(vdm, settings), str(folder), "brush", vdm, name, source)


def _file_part(path: Path, settings: str) -> PackPart:
    if path.suffix.lower() == ".ply":
        from vdm.patch import patch_origin

        note, source = patch_origin(path)
        return PackPart(_digest(path, settings), str(path), "patch", path, note, source)
    from vdm.records import load_record

    record = load_record(path)
    return PackPart(_digest(path, settings), str(path), "record", path, record.note, record.source.spec)


def _may_be_part(path: Path, skip: Path | None) -> bool:
    """Whether a folder's entry is worth reading as a part: a .ply, a .json that vdm did not write
    for itself, or a folder other than the library being made and its work folder."""
    if path.is_dir():
        return path.name != WORK and (skip is None or path.resolve() != skip.resolve())
    name = path.name.lower()
    if name in NOT_PARTS or name.endswith(NOT_PART_SUFFIXES):
        return False
    return path.suffix.lower() in (".ply", ".json")


def _once(parts: list[PackPart]) -> list[PackPart]:
    """The parts without repeats: the same file with the same settings is one brush."""
    first: dict[str, PackPart] = {}
    for part in parts:
        if part.key in first:
            log.info("%s is the same part as %s: packed once", part.label, first[part.key].label)
        else:
            first[part.key] = part
    return list(first.values())


def _check_out(out: Path, parts: list[PackPart]) -> None:
    """Refuse a --out that holds files and no pack (no work folder, no library), or a library of
    other parts: packing there would replace them. A pack that stopped is resumed."""
    if not out.is_dir():
        return
    if (out / "pack.json").is_file():
        made = read_state_json(
            out / "pack.json", "The library index", json_object(brushes=list), "pack into a new folder"
        )
        labels = {p.label for p in parts}
        given = [b.get("label") if isinstance(b, dict) else b for b in made["brushes"]]
        others = [str(label) for label in given if label not in labels]
        if others:
            raise VdmError(
                f"{out} holds a library with {counted(len(others), 'part')} not among these inputs "
                f"({others[0]}{', ...' if len(others) > 1 else ''}); packing there would drop them: "
                "pack into a new folder, or give those parts too."
            )
    elif not (out / WORK).is_dir() and any(p.name != LOCK_NAME for p in out.iterdir()):  # no pack here
        raise VdmError(
            f"{out} already holds other files; a library goes into a new folder (or one vdm pack made)."
        )


def bake_part(part: PackPart, config: BakeConfig, folder: Path, sources: SourceConfig) -> dict:
    """Bake one part as a brush into `folder` (vdm.exr and part.json, the latter last); a refusal
    is written as the part's reason. Runs in a worker process."""
    from vdm.bake.brush import bake_patch
    from vdm.vdm_file import read_vdm, write_vdm

    folder.mkdir(parents=True, exist_ok=True)
    meta = {"label": part.label, "note": part.note, "source": part.source, "kind": part.kind}
    try:
        if part.kind == "brush":
            displacement = read_vdm(part.path)
            report = (
                json.loads((part.path.parent / "report.json").read_text(encoding="utf-8"))
                if (part.path.parent / "report.json").is_file()
                else {}
            )
            if report.get("config", {}).get("frame") != "brush":
                raise VdmError("it was baked in the patch frame; bake it again with `vdm bake --frame brush`")
            meta["map"] = report.get("map", {})
        else:
            baked = bake_patch(_patch(part, sources), config)
            displacement, meta["map"] = baked.displacement, baked.report
            if baked.report["crossing"]:
                raise VdmError(f"its VDM's surface still crosses itself at {baked.report['crossing']} faces")
        write_vdm(folder / "vdm.exr", displacement)
        meta["status"] = "ok"
    except (VdmError, Rejected) as exc:
        reason = exc.reason if isinstance(exc, Rejected) else str(exc)
        meta |= {"status": "refused", "reason": reason.rstrip(".")}
    except Exception as exc:  # a bug or a library failure: this part is left out, the rest go on
        meta |= {"status": "refused", "reason": f"unexpected {type(exc).__name__} ({short_reason(exc)})"}
    write_text_atomic(folder / DONE, json.dumps(meta, indent=1, default=str) + "\n")
    return meta


def _bake_task(task: tuple[PackPart, BakeConfig, Path, SourceConfig]) -> tuple[PackPart, dict]:
    """The executor's unit of work: one part, returned with its result."""
    part, config, folder, sources = task
    return part, bake_part(part, config, folder, sources)


def _patch(part: PackPart, sources: SourceConfig):
    from vdm.patch import read_patch

    if part.kind == "patch":
        return read_patch(part.path, sources.max_faces)
    from vdm.stitching.outputs import record_selection
    from vdm.stitching.selection import stitch_selection

    _, mesh, face_ids = record_selection(part.path, sources)
    return stitch_selection(mesh, face_ids).patch


def _bake_all(
    parts: list[PackPart],
    config: BakeConfig,
    sources: SourceConfig,
    work: Path,
    workers: int,
    console: Console,
) -> dict[str, dict]:
    """Every part's settled result, baking those not settled before (in `workers` processes)."""
    settled = {
        p.key: json.loads((work / p.key / DONE).read_text(encoding="utf-8"))
        for p in parts
        if (work / p.key / DONE).is_file()
    }
    todo = [p for p in parts if p.key not in settled]
    if settled:
        log.info("resuming: %d of %d parts baked before", len(settled), len(parts))
    tasks = [(p, config, work / p.key, sources) for p in todo]
    refused = 0
    with WorkProgress(console, "baking brushes", len(todo), "parts") as progress:
        for outcome in ProcessExecutor(workers).run(_bake_task, tasks):
            if isinstance(outcome, TaskFailure):  # its worker died twice (a crash, out of memory)
                part, _, folder, _ = outcome.task
                result = {"label": part.label, "note": part.note, "source": part.source, "kind": part.kind}
                result |= {"status": "refused", "reason": outcome.reason.rstrip(".")}
                folder.mkdir(parents=True, exist_ok=True)
                write_text_atomic(folder / DONE, json.dumps(result, indent=1) + "\n")
            else:
                part, result = outcome
            settled[part.key] = result
            refused += result["status"] != "ok"
            progress.advance(f"refused {refused}")
    return settled


def _names(parts: list[PackPart], settled: dict[str, dict]) -> dict[str, str]:
    """A unique brush name per baked part: its note's (or file's) name, then its source, then a number."""
    base = {p.key: part_name(p.note, Path(p.label).stem) for p in parts if settled[p.key]["status"] == "ok"}
    names: dict[str, str] = {}
    taken: set[str] = set()
    by_base: dict[str, list[PackPart]] = {}
    for part in parts:
        if part.key in base:
            by_base.setdefault(base[part.key], []).append(part)
    for name, group in sorted(by_base.items()):
        for part in group:
            candidate = name if len(group) == 1 else f"{name} ({source_name(part.source)})"
            number = 2
            unique = candidate
            while unique in taken:
                unique, number = f"{candidate} {number}", number + 1
            taken.add(unique)
            names[part.key] = unique
    return names


def _icons(assets: list[BrushAsset], workers: int) -> None:
    """Blender renders the missing icons, the assets split among `workers` processes."""
    missing = [a for a in assets if not a.preview.is_file()]
    shards = [missing[i::workers] for i in range(workers) if missing[i::workers]]
    with ThreadPoolExecutor(max(1, len(shards))) as threads:
        for done in [threads.submit(render_icons, shard) for shard in shards]:
            done.result()


def pack(
    inputs: list[Path],
    out: Path,
    config: BakeConfig,
    formats: tuple[str, ...],
    workers: int,
    console: Console,
    sources: SourceConfig | None = None,
) -> PackSummary:
    """Make the library (module docstring) in `out`; parts baked before are not baked again. Records
    are stitched from, and each brush's licence and author read from, `sources`' Objaverse cache."""
    sources = sources or SourceConfig()
    config = replace(config, frame="brush")
    # a part's key holds the settings that decide its bake: a refusal made with another face limit or
    # cache (a record's object not there) is not kept when the pack is resumed with the right one
    made_with = {"max_faces": sources.max_faces, "objaverse_cache": str(sources.objaverse_cache)}
    settings = json.dumps({**config.to_json(), **made_with}, sort_keys=True)
    found = gather(inputs, settings, skip=out)
    parts = _once(found.parts)
    if not parts:
        raise VdmError("There is nothing to pack: no patch, selection, dataset or brush in the inputs.")
    _check_out(out, parts)
    out = writable_dir(out, create=True)
    with FolderLock(out, f"Library {out} is being packed", "pack into another --out"):
        work = out / WORK
        settled = _bake_all(parts, config, sources, work, workers, console)
        refused = found.unreadable + [
            {"part": p.label, "reason": settled[p.key]["reason"]}
            for p in parts
            if settled[p.key]["status"] != "ok"
        ]
        for item in refused:
            log.warning("%s is left out: %s.", item["part"], item["reason"])
        names = _names(parts, settled)
        if not names:
            raise VdmError(f"No part of the {len(parts)} could be made a brush (the reasons are above).")
        assets = _assets(parts, names, out, config, formats, sources)
        _icons(assets, workers)
        library = write_blend(assets, out / LIBRARY)
        write_catalogs(out, [a.catalog for a in assets])
        brushes = _finish(assets, parts, names, out, refused, formats)
        log.info(
            "%s in %s (%s left out)",
            counted(len(assets), "brush", "brushes"),
            library,
            counted(len(refused), "part"),
        )
        return PackSummary(brushes, refused, library)


def _assets(
    parts, names, out: Path, config: BakeConfig, formats: tuple[str, ...], sources: SourceConfig
) -> list[BrushAsset]:
    """The library's brushes sorted by catalog and name, their files written beside the library."""
    from vdm.vdm_file import read_vdm

    credits = brush_credits([part.source for part in parts if part.key in names], sources)
    assets = []
    for part in parts:
        if part.key not in names:
            continue
        name, folder = names[part.key], out / WORK / part.key
        displacement = read_vdm(folder / "vdm.exr")
        stem = file_stem(name)
        vdm = write_format(writable_dir(out / "vdm", create=True), stem, displacement, "blender")
        for fmt in formats:
            if fmt != "blender":
                write_format(writable_dir(out / fmt, create=True), stem, displacement, fmt)
        credit = credits.get(part.source)
        asset = brush_asset(name, vdm, folder / "icon.png", part.source, part.note, config.resolution, credit)
        assets.append(
            replace(asset, catalog=f"{category(part.note, name, part.label)}/{source_name(part.source)}")
        )
    return sorted(assets, key=lambda a: (a.catalog, a.name))


def _finish(
    assets: list[BrushAsset], parts, names, out: Path, refused: list[dict], formats: tuple[str, ...]
) -> list[dict]:
    """Icons beside the library, the contact sheet, INSTALL.md and pack.json."""
    from vdm.images import read_image, write_png
    from vdm.render.sheet import icon_sheet

    previews = writable_dir(out / "previews", create=True)
    icons = []
    for asset in assets:
        shutil.copyfile(asset.preview, previews / f"{file_stem(asset.name)}.png")
        icons.append((asset.name, asset.catalog, read_image(asset.preview, "RGBA")))
    title = f"vdm brush library: {counted(len(assets), 'brush', 'brushes')} ({out.name})"
    write_png(out / "contact_sheet.png", icon_sheet(icons, title))
    write_text_atomic(out / "INSTALL.md", install_text(len(assets), formats))
    by_key = {p.key: p for p in parts}
    key_of = {name: key for key, name in names.items()}
    brushes = [
        {
            "name": a.name,
            "catalog": a.catalog,
            "file": f"vdm/{Path(a.vdm).name}",
            "licence": a.license,
            "author": a.author,
            **_origin(by_key[key_of[a.name]]),
        }
        for a in assets
    ]
    write_text_atomic(
        out / "pack.json", json.dumps({"brushes": brushes, "left_out": refused}, indent=1) + "\n"
    )
    return brushes


def _origin(part: PackPart) -> dict:
    return {k: v for k, v in asdict(part).items() if k in ("label", "note", "source")}


TOOL_ADVICE = {
    "zbrush": "Preferences > ImportExport > Vector Displacement Map: TangentFlipAndSwitch 25, "
    "Mid 0; use a file as a VDM alpha on a plane (its brushes store meshes: stamp once, then "
    "Brush > Create).",
    "mudbox": "Stamp tray > Add Stamp with a `_vdm` file; sculpt with strength 100.",
    "3dcoat": "put the files in a folder under Brushes (32-bit EXR are VDM alphas); flip X/Y there "
    "if a stamp comes out mirrored.",
}


def install_text(count: int, formats: tuple[str, ...] = ()) -> str:
    """INSTALL.md: the library in Blender 4.5 / 5.0, and in each other sculptor it was made for."""
    tools = [name for name in FORMATS if name != "blender" and name in formats]
    if tools:
        others = "\n".join(f"- `{name}/`: {FORMATS[name].tool}: {TOOL_ADVICE[name]}" for name in tools)
    else:
        others = f"None made: `vdm pack ... --format {'|'.join(TOOL_ADVICE)}` adds a folder per tool."
    return f"""# A library of {counted(count, "VDM sculpt brush", "VDM sculpt brushes")}

## Blender 4.5 LTS and 5.0
1. Edit > Preferences > File Paths > Asset Libraries: **+**, and choose this folder. Name it, e.g. "VDM".
2. Open a mesh, enter **Sculpt Mode**. The brushes are in the asset shelf at the bottom of the 3D view
   (and in the brush selector of the tool settings), under the catalogs VDM > part > source.
3. Click a brush, then click and drag on the mesh: the stamp grows under the cursor (Anchored stroke);
   the drag sets its size. Blender's brush acts inside its circle only: every stamp lies inside it.

The brushes keep their VDMs packed inside `{LIBRARY}`; `vdm/` holds the same EXRs (half float, ZIP).

## Other sculptors
{others}
"""
