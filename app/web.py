"""`vdm app`: the toolkit in a browser on this machine, as a Gradio app (the field's convention:
Zero123++, InstantMesh and Wonder3D ship their demos as one).

Picture to brush: a picture (RGBA, on a plain light background, or with a mask) to the brush of `vdm
image` (vdm.app.image.picture_to_brush), through a model or from six normal maps made already. Each
run writes into its own folder under the output folder; the page shows the condition image (the
cut-out when no model runs), the normal grid, the brush in 3-D (its decoded surface, mesh.ply, as
brush.glb), the preview and the files to download. Dataset: a folder written by `vdm mine`, its
patches (front view, normal grid, baked VDM) and its rejections. Review: the proposals of `vdm
propose` as a grid decided from the keyboard (vdm.app.review_web). A user's mistake is one sentence on
the page, never a traceback. Only `vdm app` imports this module: `vdm --help` never loads Gradio.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from rich.console import Console
from tqdm import tqdm

from vdm.app.image import STEPS, picture_to_brush
from vdm.app.review_web import review_tab
from vdm.atomic import os_reason, writable_dir
from vdm.errors import VdmError
from vdm.reconstruct.config import QUALITIES, QUALITY_NOTES, ReconstructConfig
from vdm.train.config import GenerateConfig

log = logging.getLogger(__name__)

PATCH_COLUMNS = ["patch", "selection", "source", "max height"]
REJECTION_COLUMNS = ["id", "stage", "reason"]
GALLERY_LIMIT = 240  # front views in the gallery: a 1,200-patch dataset stays quick to open
THUMBNAIL = 128  # side of a gallery picture, in pixels
PART_COLOUR = (214, 160, 110, 255)  # the part in the 3-D view, warm over the grey plane
PLANE_COLOUR = (140, 140, 150, 255)
FOLLOW_TQDM = gr.Progress(track_tqdm=True)  # a handler's parameter default: its tqdm bars are the progress
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # glTF's up is +y


def refusal(sentence: str) -> gr.Error:
    """The page's error for a mistake: the sentence, kept until closed; the server's console gets the
    sentence too, as `vdm` prints it, and no traceback."""
    log.error("error: %s", sentence)
    return gr.Error(sentence, duration=None, print_exception=False)


@contextmanager
def one_sentence() -> Iterator[None]:
    """A user's mistake (VdmError) or the machine's (OSError) becomes the page's error: one sentence."""
    try:
        yield
    except VdmError as exc:
        raise refusal(str(exc)) from exc
    except OSError as exc:
        where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
        raise refusal(f"{where}{os_reason(exc)}.") from exc


class StepConsole(Console):
    """The console picture_to_brush announces its steps on (one rule each), shown as the page's
    progress: a tqdm bar per step, named after it (Gradio follows tqdm bars, the reconstruction's
    own bar appearing beneath it)."""

    def __init__(self) -> None:
        super().__init__(file=io.StringIO())
        self.bar: tqdm | None = None

    def rule(self, title: Any = "", *_args: Any, **_kwargs: Any) -> None:
        done = 0 if self.bar is None else self.bar.n + 1
        self.close()
        self.bar = tqdm(total=len(STEPS), desc=str(title), unit="step")
        self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_folder(root: Path, picture: Path) -> Path:
    """A new folder name for one run under root (its time, the picture's name, a random tag): a run
    never writes over another's files. picture_to_brush creates it once the inputs are sound."""
    return root / f"{time.strftime('%Y%m%d-%H%M%S')}-{picture.stem}-{uuid.uuid4().hex[:6]}"


def surface_glb(mesh_ply: Path, glb: Path) -> Path:
    """The brush's decoded surface as GLB for the 3-D view: y up as glTF wants (the patch frame is
    z up), the part in a warm colour over the grey plane."""
    import trimesh

    from vdm.patch import PART, read_patch

    patch = read_patch(mesh_ply)
    colours = np.where((patch.labels == PART)[:, None], PART_COLOUR, PLANE_COLOUR).astype(np.uint8)
    mesh = trimesh.Trimesh(patch.vertices @ Z_UP_TO_Y_UP.T, patch.faces, vertex_colors=colours, process=False)
    glb.write_bytes(mesh.export(file_type="glb"))
    return glb


def make_brush(
    root: Path,
    picture: str | None,
    mask: str | None,
    normals: str | None,
    model: str | None,
    quality: str,
    name: str | None,
) -> tuple[Any, ...]:
    """One run of the Picture-to-brush tab: the condition image, the grid, the GLB, the preview,
    vdm.exr, brush.blend and a line of where and how long."""
    if not picture:
        raise refusal("Upload a picture of the part first.")
    generate = GenerateConfig()
    reconstruct = ReconstructConfig(quality=quality, seed=generate.seed, device=generate.device)
    out = run_folder(root, Path(picture))
    with one_sentence(), closing(StepConsole()) as steps:
        result = picture_to_brush(
            Path(picture),
            out,
            (model or "").strip(),
            generate,
            reconstruct,
            mask=Path(mask) if mask else None,
            name=(name or "").strip() or None,
            console=steps,
            normals=Path(normals) if normals else None,
        )
        glb = surface_glb(result.paths["mesh"], out / "brush.glb")
    paths = result.paths
    shown = [paths.get("condition", paths["cutout"]), paths["normals"], glb, paths["preview"]]
    times = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items())
    return (*map(str, [*shown, paths["vdm"], paths["blend"]]), f"Written to `{out}`: {times}.")


def patch_rows(entries: list[dict[str, Any]]) -> list[list[Any]]:
    """The patches table: one row per manifest line."""
    return [
        [
            e["patch_id"],
            e["selection_id"],
            e.get("source", ""),
            round(e.get("quality", {}).get("max_height", float("nan")), 3),
        ]
        for e in entries
    ]


def thumbnail(dataset: Path, patch_id: str) -> np.ndarray:
    """A patch's front RGB view, small, for the gallery."""
    from PIL import Image

    from vdm.dataset import view_path
    from vdm.images import open_image
    from vdm.rig import FRONT_VIEW

    image = open_image(view_path(dataset, patch_id, "rgb", FRONT_VIEW)).convert("RGB")
    return np.asarray(image.resize((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS))


def open_dataset(folder: str | None) -> tuple[Any, ...]:
    """The Dataset tab for a folder of `vdm mine`: gallery, patches table, the patch chooser (on the
    first patch), the rejections table and a line of counts."""
    from vdm.dataset import REJECTED, read_jsonl, read_manifest

    dataset = Path((folder or "").strip()).expanduser()
    with one_sentence():
        entries = read_manifest(dataset)
        rejected = read_jsonl(dataset / REJECTED)
        shown = entries[:GALLERY_LIMIT]
        gallery = [(thumbnail(dataset, e["patch_id"]), e["patch_id"]) for e in shown]
    ids = [e["patch_id"] for e in entries]
    first = ids[0] if ids else None
    counts = f"{len(entries)} patches, {len(rejected)} rejected"
    if len(shown) < len(entries):
        counts += f" (the gallery shows the first {len(shown)})"
    return (
        gallery,
        patch_rows(entries),
        gr.Dropdown(choices=ids, value=first),
        [[r["id"], r["stage"], r["reason"]] for r in rejected],
        f"`{dataset}`: {counts}.",
    )


def patch_pictures(folder: str | None, patch_id: str | None) -> tuple[Any, Any, Any]:
    """One patch's front RGB view, its normal grid and its baked VDM as a picture (None when the
    dataset has no VDM of it)."""
    from vdm.dataset import load_training_pair, patch_paths
    from vdm.vdm_file import read_vdm
    from vdm.vdm_grid import vdm_picture

    if not patch_id:
        return None, None, None
    dataset = Path((folder or "").strip()).expanduser()
    with one_sentence():
        pair = load_training_pair(dataset, {"patch_id": patch_id})
        exr = dataset / patch_paths(patch_id)["vdm"]
        vdm = vdm_picture(read_vdm(exr)) if exr.is_file() else None
    return pair.condition, pair.normal_grid, vdm


def upload(label: str, elem_id: str, height: int) -> gr.Image:
    """An image input handed over as its uploaded file, unconverted (alpha and exact pixels kept)."""
    return gr.Image(
        label=label,
        type="filepath",
        image_mode=None,
        sources=["upload", "clipboard"],
        height=height,
        elem_id=elem_id,
    )


def picture_tab(root: Path, model: str) -> None:
    """The Picture-to-brush tab's inputs, outputs and Run button."""
    with gr.Row():
        with gr.Column(scale=1):
            picture = upload("Picture of the part (RGBA, or on a plain light background)", "picture", 300)
            with gr.Row():
                mask = upload("Mask", "mask", 180)
                normals = upload("Normal maps", "normals", 180)
            model_box = gr.Textbox(
                value=model,
                label="Model: GenVDM's checkpoint, a run of `vdm train`, a Zero123++ folder or hub id",
                elem_id="model",
            )
            with gr.Accordion("Settings", open=False):
                quality = gr.Radio(
                    [(f"{preset} ({QUALITY_NOTES[preset]})", preset) for preset in QUALITIES],
                    value="fast",
                    label="Reconstruction quality",
                    elem_id="quality",
                )
                name = gr.Textbox(label="Brush name (default: the picture's)", elem_id="name")
            run = gr.Button("Run", variant="primary", elem_id="run")
        with gr.Column(scale=2):
            with gr.Row():
                condition = gr.Image(label="Condition image", format="png", height=320, elem_id="condition")
                grid = gr.Image(label="Six normal maps", format="png", height=320, elem_id="grid")
            with gr.Row():
                brush = gr.Model3D(
                    label="The brush in 3-D", camera_position=(45, 50, None), height=320, elem_id="brush3d"
                )
                preview = gr.Image(label="Preview", format="png", height=320, elem_id="preview")
            with gr.Row():
                vdm_file = gr.File(label="VDM (vdm.exr)", height=90, elem_id="vdm-file")
                blend_file = gr.File(label="Blender brush (brush.blend)", height=90, elem_id="blend-file")
            summary = gr.Markdown(elem_id="summary")

    def on_run(
        picture: str | None,
        mask: str | None,
        normals: str | None,
        model: str | None,
        quality: str,
        name: str | None,
        _progress: gr.Progress = FOLLOW_TQDM,
    ) -> tuple[Any, ...]:
        return make_brush(root, picture, mask, normals, model, quality, name)

    run.click(
        on_run,
        [picture, mask, normals, model_box, quality, name],
        [condition, grid, brush, preview, vdm_file, blend_file, summary],
    )


def dataset_tab(app: gr.Blocks, dataset: Path | None) -> None:
    """The Dataset tab: a folder of `vdm mine`, its patches and its rejections (opened with the page
    when the command named one)."""
    with gr.Row():
        folder = gr.Textbox(
            value=str(dataset or ""),
            label="Dataset folder (written by `vdm mine`)",
            elem_id="dataset",
            scale=4,
        )
        open_button = gr.Button("Open", elem_id="open-dataset", scale=1)
    counts = gr.Markdown(elem_id="dataset-counts")
    gallery = gr.Gallery(
        label="Front views", columns=8, height=300, format="png", allow_preview=False, elem_id="gallery"
    )
    patches = gr.Dataframe(headers=PATCH_COLUMNS, label="Patches", interactive=False, elem_id="patches")
    chosen = gr.Dropdown(label="Patch", choices=[], elem_id="patch")
    with gr.Row():
        rgb = gr.Image(label="Front view (condition)", format="png", height=360, elem_id="patch-rgb")
        grid = gr.Image(label="Six normal maps", format="png", height=360, elem_id="patch-grid")
        vdm = gr.Image(label="Baked VDM", format="png", height=360, elem_id="patch-vdm")
    rejections = gr.Dataframe(
        headers=REJECTION_COLUMNS, label="Rejections", interactive=False, wrap=True, elem_id="rejections"
    )

    def on_select(event: gr.SelectData) -> str:
        return event.value["caption"]  # a gallery picture's caption is its patch id

    opened = [open_button.click, folder.submit, *([app.load] if dataset else [])]
    gr.on(opened, open_dataset, folder, [gallery, patches, chosen, rejections, counts])
    gallery.select(on_select, None, chosen)
    chosen.change(patch_pictures, [folder, chosen], [rgb, grid, vdm])


def build_app(
    model: str, out: Path, dataset: Path | None, proposals: Path | None = None, selections: Path | None = None
) -> gr.Blocks:
    """The three tabs; runs write under `out`, the Picture tab's model starts as `model`, the Review
    tab opens `proposals` into `selections` when given."""
    with gr.Blocks(title="vdm: pictures to sculpt brushes", analytics_enabled=False) as app:
        gr.Markdown("# vdm: a picture to a vector-displacement sculpt brush")
        with gr.Tab("Picture to brush"):
            gr.Markdown(
                "A picture of the part: RGBA, or on a plain light background, or with a mask. Then a model, "
                "or six normal maps made already (a 3 x 2 grid PNG, as `vdm generate` writes), and Run."
            )
            picture_tab(out, model)
        with gr.Tab("Dataset"):
            dataset_tab(app, dataset)
        with gr.Tab("Review"):
            gr.Markdown(
                "The proposals of `vdm propose`, a page at a time: accept or reject each from the keyboard; "
                "the decisions go to the same journal as `vdm lasso --proposals`."
            )
            review_tab(app, proposals, selections)
    return app


def serve(
    host: str,
    port: int,
    model: str,
    out: Path | None,
    dataset: Path | None,
    proposals: Path | None = None,
    selections: Path | None = None,
) -> None:
    """Serve the app at host:port until Ctrl-C; runs go under `out` (default: a new temporary folder)."""
    out = writable_dir(out, create=True) if out is not None else Path(tempfile.mkdtemp(prefix="vdm-app-"))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own requests to itself, each logged
    log.info("each run writes into a folder under %s", out)
    app = build_app(model, out, dataset, proposals, selections).queue()
    try:
        app.launch(server_name=host, server_port=port, allowed_paths=[str(out.resolve())], show_error=True)
    except OSError as exc:
        if exc.errno is not None:
            raise
        raise VdmError(  # Gradio's own: it could not bind the address
            f"Cannot serve on {host}:{port}: the port is taken or the address is not this machine's "
            "(choose another with --port or --host)."
        ) from exc
