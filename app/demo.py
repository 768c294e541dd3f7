"""`vdm demo`: the whole pipeline on the built-in meshes, offline, on a CPU.

Proposes parts of the built-in creature (what spares a curator most of the lassoing) and counts
how many of its shipped hand-made selections the proposals find. Mines the selection records
shipped in vdm/data/selections (all but one held-out selection) into a small dataset, trains the
tiny Zero123++ on it for a short while, generates a normal grid from a picture of the held-out
part, and reconstructs a VDM from the held-out patch's ground-truth normal renders. The tiny model
has random weights and a few hundred steps: its grids are noise, which is why the reconstruction
starts from ground-truth normals. Everything lands under one directory; running it again resumes
the mining and retrains from scratch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from vdm.atomic import writable_dir, write_text_atomic
from vdm.console import table_console
from vdm.dataset import read_jsonl, read_manifest
from vdm.errors import VdmError
from vdm.images import write_png
from vdm.patch import Patch, part_faces, read_patch
from vdm.records import shipped_record, shipped_records
from vdm.render.vdm_preview import write_preview
from vdm.rig import FRONT_VIEW
from vdm.vdm_file import read_vdm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoConfig:
    """The demo's sizes: the defaults take a few minutes on 2 cores; `reduced()` is for the tests."""

    heldout: str = "creature-horn"  # shipped record kept out of training, reconstructed at the end
    augmentations: int = 3  # patches per training selection
    size: int = 512  # render side of the dataset views
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    train_steps: int = 300
    generate_steps: int = 20
    reconstruct_quality: str = "fast"
    propose_mesh: str = "creature"  # proposals are made on this built-in mesh
    propose_check: bool = True  # stitch-check the proposals (about 2 s each)
    seed: int = 0

    @classmethod
    def reduced(cls) -> DemoConfig:
        """A smaller demo with the same steps, for the test that runs it end to end."""
        return cls(
            augmentations=1, size=256, workers=1, train_steps=20, generate_steps=4, propose_check=False
        )


@dataclass
class DemoResult:
    """Where the outputs are and the figures of the summary table."""

    out: Path
    paths: dict[str, Path]
    figures: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"paths": {k: str(v) for k, v in self.paths.items()}, "figures": self.figures}


def _stray(scores: dict[str, Any]) -> str:
    """The stray-geometry figures of a brush score (bake.metrics), as the table says them."""
    seen = scores.get("stray_seen")
    where = f", {seen:.1%} where the views see" if seen is not None else ""
    return f"stray {scores['stray_share']:.1%} (p99 {scores['stray_p99']:.3f}{where})"


def _split_records(heldout: str) -> tuple[list[Path], Path]:
    held = shipped_record(heldout)
    return [p for p in shipped_records() if p != held], held


def _heldout_brush(patch_path: Path, entry: dict, out: Path) -> Path:
    """The held-out part as an artist gets it from `vdm bake --blend`: a brush (centred, inside
    Blender's circle) and its brush.blend."""
    from vdm.bake.asset import part_name, write_tool_files
    from vdm.bake.brush import bake_patch, write_brush
    from vdm.bake.config import BakeConfig
    from vdm.render.vdm_preview import preview_process

    config = BakeConfig(frame="brush")
    with preview_process() as previews:
        brush = bake_patch(read_patch(patch_path), config)
        paths, _ = write_brush(out, brush, config, previews)
    source = entry["source"]
    spec = f"{source['kind']}:{source['ref']}"
    note = entry.get("note", "")
    files = write_tool_files(
        out, brush.displacement, paths["vdm"], part_name(note, "held-out part"), note, spec, True, ()
    )
    return files["blend"]


def _mine(records: list[Path], dataset: Path, config: DemoConfig, augmentations: int) -> dict[str, Any]:
    from vdm.executors import ProcessExecutor
    from vdm.mine.config import MineConfig
    from vdm.mine.driver import mine
    from vdm.stitching.config import Augmentations

    mine_config = MineConfig(augment=Augmentations(augmentations, config.seed), size=config.size)
    summary = mine(
        records, dataset, mine_config, ProcessExecutor(config.workers), console=Console(stderr=True)
    )
    rejected = read_jsonl(dataset / "rejected.jsonl")
    return {
        "patches": summary.dataset_patches,
        "rejected": [f"{r['id']} at {r['stage']}: {r['reason']}" for r in rejected],
        "seconds": summary.seconds,
        "sheet": summary.sheet,
    }


def _propose(out: Path, config: DemoConfig) -> dict[str, Any]:
    """Proposals on the demo's mesh, their index and overview in `out`, and how many of the mesh's
    shipped selections they find."""
    from vdm.propose.batch import save_proposals
    from vdm.propose.config import ProposeConfig
    from vdm.propose.proposals import propose
    from vdm.propose.recall import found_parts
    from vdm.records import load_record
    from vdm.sources import load_source

    mesh = load_source(f"builtin:{config.propose_mesh}")
    propose_config = ProposeConfig(stitch_check=config.propose_check)
    found = propose(mesh, propose_config)
    _, overview = save_proposals(found, out, propose_config)
    shipped = [load_record(p) for p in shipped_records() if p.stem.startswith(f"{config.propose_mesh}-")]
    hits = found_parts([r.face_ids for r in shipped], [p.face_ids for p in found.proposals])
    return {
        "mesh": config.propose_mesh,
        "proposals": len(found.proposals),
        "refused": len(found.refused),
        "shipped_found": sum(hits),
        "shipped": len(hits),
        "seconds": found.seconds,
        "overview": str(overview),
    }


def part_picture(patch: Patch, size: int) -> np.ndarray:
    """An RGBA front picture of a patch's part alone (transparent elsewhere): what an artist gives
    `vdm generate`, like the GenVDM example inputs."""
    from vdm.render.renderer import PatchRenderer

    faces = part_faces(patch)
    if len(faces) == 0:
        raise VdmError("The held-out patch has no part faces to picture.")
    part = Patch(patch.vertices, faces, patch.labels, patch.vertex_colors)
    with PatchRenderer(size) as renderer:
        view = renderer.render(part, views=[FRONT_VIEW])[FRONT_VIEW]
    alpha = np.where(view.mask, 255, 0).astype(np.uint8)
    return np.dstack([view.rgb, alpha])


def _heldout_entry(heldout: Path) -> dict[str, Any]:
    """The held-out dataset's augmentation 0 (the patch as stitched): its manifest entry."""
    entries = read_manifest(heldout)
    if not entries:
        raise VdmError(
            f"The held-out selection was rejected by the miner (see {heldout / 'rejected.jsonl'})."
        )
    return entries[0]


def _train_tiny(dataset: Path, run_dir: Path, config: DemoConfig) -> dict[str, Any]:
    """Train the tiny Zero123++ from scratch on the mined dataset; returns its figures."""
    from vdm.train.config import TrainConfig, ValidationConfig
    from vdm.train.trainer import train

    shutil.rmtree(run_dir, ignore_errors=True)  # a rerun trains from scratch, not from the last run
    trained = train(
        TrainConfig(
            data=dataset,
            out=run_dir,
            model="tiny",
            steps=config.train_steps,
            batch_size=2,
            learning_rate=1e-3,  # the tiny random model, not the 1e-5 of fine-tuning the real one
            warmup_steps=10,
            # The held-out selection is mined apart, never seen in training.
            validation=ValidationConfig(fraction=0.0),
            threads=1,
            seed=config.seed,
        )
    )
    return {
        "steps": trained.step,
        "loss_start": trained.loss_start,
        "loss_end": trained.loss_end,
        "steps_per_second": trained.steps_per_second,
        "seconds": trained.seconds,
    }


def _generate_from_picture(patch_path: Path, run_dir: Path, out: Path, config: DemoConfig) -> Path:
    """Picture the held-out part alone and generate a normal grid from it; returns the picture."""
    from vdm.train.config import GenerateConfig
    from vdm.train.generate import generate

    out.mkdir(parents=True, exist_ok=True)
    picture = write_png(out / "input.png", part_picture(read_patch(patch_path), config.size))
    generate(picture, run_dir, out, GenerateConfig(steps=config.generate_steps, seed=config.seed, threads=1))
    return picture


def _reconstruct_heldout(views_dir: Path, patch_path: Path, out: Path, config: DemoConfig) -> Any:
    """Reconstruct the held-out part's VDM from its ground-truth normal renders; returns the result,
    the surface scores and the brush figures (section 6b) against the held-out patch."""
    from vdm.bake.metrics import brush_scores
    from vdm.reconstruct.config import ReconstructConfig
    from vdm.reconstruct.pipeline import reconstruct
    from vdm.rig import GRID_VIEWS
    from vdm.surface_metrics import compare

    rebuilt = reconstruct(
        views_dir, out, ReconstructConfig(quality=config.reconstruct_quality, seed=config.seed)
    )
    truth = read_patch(patch_path)
    brush = brush_scores(rebuilt.displacement, truth, seen_by=GRID_VIEWS)
    return rebuilt, compare(read_patch(rebuilt.mesh), truth), brush


def run_demo(out: Path, config: DemoConfig | None = None) -> DemoResult:
    """Run the demo into `out`, print the summary table and write out/summary.json."""
    config = config or DemoConfig()
    console = Console(stderr=True)
    start = time.perf_counter()
    writable_dir(out)
    training, heldout_record = _split_records(config.heldout)
    figures: dict[str, Any] = {"config": asdict(config)}

    console.rule(f"1/5 propose parts of the built-in {config.propose_mesh}")
    figures["propose"] = _propose(out / "propose", config)  # the index and overview in propose/proposals/

    console.rule("2/5 mine the shipped selections")
    mined = _mine(training, out / "dataset", config, config.augmentations)
    _mine([heldout_record], out / "heldout", config, 1)
    figures["mine"] = {k: v for k, v in mined.items() if k != "sheet"}
    heldout = _heldout_entry(out / "heldout")
    patch_id, patch_path = heldout["patch_id"], out / "heldout" / heldout["files"]["patch"]

    console.rule("3/5 train the tiny Zero123++")
    run_dir = out / "run"
    figures["train"] = _train_tiny(out / "dataset", run_dir, config)

    console.rule("4/5 generate a normal grid from a picture of the held-out part")
    generated_dir = out / "generate"
    picture = _generate_from_picture(patch_path, run_dir, generated_dir, config)

    console.rule("5/5 reconstruct a VDM from the held-out patch's ground-truth normals")
    views_dir = out / "heldout" / "views" / patch_id  # normal_<k>.png as `vdm render` writes them
    rebuilt, scores, brush = _reconstruct_heldout(views_dir, patch_path, out / "reconstruct", config)
    figures["reconstruct"] = {
        "patch": patch_id,
        "quality": config.reconstruct_quality,
        "chamfer": scores.chamfer,
        "fscore_002": scores.fscore_002,
        "normal_consistency": scores.normal_consistency,
        "seconds": sum(rebuilt.timings.values()),
        "brush": brush.to_json(),
    }
    figures["bake"] = heldout["quality"]["brush"]
    baked = out / "heldout" / heldout["files"]["vdm"]
    baked_preview = write_preview(out / "heldout" / "baked_preview.png", read_vdm(baked))
    brush_blend = _heldout_brush(patch_path, heldout, out / "heldout" / "brush")
    figures["seconds"] = time.perf_counter() - start

    paths = {
        "proposals overview": Path(figures["propose"]["overview"]),
        "dataset": out / "dataset",
        "contact sheet": mined["sheet"] or out / "dataset" / "contact_sheet.png",
        "held-out patch": patch_path,
        "held-out baked VDM": baked,
        "baked VDM preview": baked_preview,
        "baked brush (Blender 4.5+)": brush_blend,
        "training run": run_dir,
        "generate input": picture,
        "generated grid": generated_dir / "grid.png",
        "VDM": rebuilt.vdm,
        "VDM mesh": rebuilt.mesh,
        "VDM preview": rebuilt.preview,
    }
    result = DemoResult(out, paths, figures)
    write_text_atomic(out / "summary.json", json.dumps(result.to_json(), indent=1, default=str) + "\n")
    log.info("summary written to %s", out / "summary.json")
    table_console().print(summary_table(result))
    return result


def summary_table(result: DemoResult) -> Table:
    """The table the demo ends with: what it made and the measured figures."""
    f = result.figures
    table = Table(title=f"vdm demo ({f['seconds']:.0f} s)")
    table.add_column("what")
    table.add_column("value")
    p = f["propose"]
    table.add_row(
        f"proposals on the {p['mesh']}",
        f"{p['proposals']} kept, {p['refused']} refused; {p['shipped_found']} of {p['shipped']} shipped "
        f"selections found ({p['seconds']:.0f} s)",
    )
    table.add_row("patches accepted (training dataset)", str(f["mine"]["patches"]))
    table.add_row("selections rejected", str(len(f["mine"]["rejected"])))
    for line in f["mine"]["rejected"]:
        table.add_row("  rejected", line)
    train_figures = f["train"]
    table.add_row(
        f"training loss, {train_figures['steps']} steps",
        f"{train_figures['loss_start']:.4f} -> {train_figures['loss_end']:.4f}",
    )
    table.add_row("generated grid", "noise: the tiny model has random weights and a short training")
    table.add_row(
        "held-out patch baked (vdm bake)",
        f"Chamfer {f['bake']['chamfer']:.5f}, slide {f['bake']['slide']:.5f}, "
        f"crease {f['bake']['crease']:.1%}, {_stray(f['bake'])}",
    )
    brush = f["reconstruct"]["brush"]
    table.add_row(
        f"reconstruction of the held-out {f['config']['heldout']}",
        f"Chamfer {f['reconstruct']['chamfer']:.4f}, slide {brush['slide']:.5f}, "
        f"crease {brush['crease']:.1%}, {brush['self_intersections']} crossing faces, {_stray(brush)}",
    )
    for name, path in result.paths.items():
        table.add_row(name, str(path))
    return table
