"""The `vdm` console script: one command per pipeline step (conventions section 8).

Bad input raises VdmError anywhere below; `main` turns it into one sentence on stderr and exit
status 1, never a traceback. Each stage keeps its commands in <stage>/commands.py (light imports
at module level, heavy ones inside the command functions) and adds them in its `register(app)`,
so `vdm --help` stays fast.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import vdm.bake.commands
import vdm.lasso.commands
import vdm.mine.commands
import vdm.propose.commands
import vdm.reconstruct.commands
import vdm.render.commands
import vdm.stitching.commands
import vdm.train.commands
from vdm import __version__
from vdm.atomic import os_reason
from vdm.cli_options import Exclude, configure_logging, vdm_command
from vdm.console import table_console
from vdm.errors import VdmError, printable
from vdm.reconstruct.config import ReconstructConfig
from vdm.source_config import SourceConfig
from vdm.train.config import HUB_ID, GenerateConfig

log = logging.getLogger("vdm")
INTERRUPTED = 130  # the exit status of a command stopped by Ctrl-C

app = typer.Typer(
    name="vdm",
    help="Mine vector-displacement-map stamps from 3D assets and train the image-to-VDM model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vdm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log debug detail.")] = False,
    _show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    configure_logging(verbose)


def info(
    source: Annotated[str, typer.Argument(help="A mesh path, objaverse:<uid> or builtin:<name>.")],
    *,
    sources: Annotated[SourceConfig, Exclude("subset")],  # one source: no batch to limit
) -> None:
    """Load a source as the loaded mesh and describe it (counts, bounds, sha256)."""
    import numpy as np

    from vdm.sources import load_source

    mesh = load_source(source, sources)
    components = len(mesh.to_trimesh().split(only_watertight=False))
    lo, hi = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
    table = Table(title=printable(mesh.source.spec), show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")  # a sha256 is never cut
    for key, value in [
        ("kind", mesh.source.kind),
        ("sha256", mesh.source.sha256),
        ("vertices", f"{len(mesh.vertices):,}"),
        ("faces", f"{mesh.n_faces:,}"),
        ("components", f"{components:,}"),
        ("bounds min", np.array2string(lo, precision=4)),
        ("bounds max", np.array2string(hi, precision=4)),
        ("colours", "yes" if mesh.vertex_colors is not None else "no"),
    ]:
        table.add_row(key, value)
    table_console().print(table)


def sources_command(
    lvis: Annotated[
        bool, typer.Option("--lvis", help="List Objaverse LVIS categories instead of built-in meshes.")
    ] = False,
    category: Annotated[
        str | None, typer.Argument(help="With --lvis: print this category's sources, one per line.")
    ] = None,
    *,
    config: Annotated[SourceConfig, Exclude("max_faces", "subset")],
) -> None:
    """List sources to lasso: built-in meshes, Objaverse LVIS categories, or one category's objects."""
    from vdm.sources import builtin_names, lvis_categories, objaverse_source

    if not lvis:
        if category is not None:
            raise VdmError("A category is only meaningful with --lvis.")
        for name in builtin_names():
            typer.echo(f"builtin:{name}")
        return
    categories = lvis_categories(config.objaverse_cache)
    if category is None:
        for name in sorted(categories):
            typer.echo(f"{name}\t{len(categories[name])}")
        return
    if category not in categories:
        raise VdmError(f"There is no LVIS category '{category}' (run `vdm sources --lvis` to list them).")
    for uid in categories[category]:
        typer.echo(objaverse_source(uid))


def image(
    picture: Annotated[
        Path,
        typer.Argument(help="A picture of the part: RGBA, or on a plain light background, or with --mask."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for every output (brush.blend, vdm.exr...).")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="GenVDM's checkpoint (.ckpt), a run of `vdm train`, a Zero123++ directory or hub id, or an "
            "InstantMesh-style UNet (.bin) on --base.",
        ),
    ] = "",
    base: Annotated[
        str, typer.Option("--base", help="With a UNet file: the Zero123++ it goes on (hub id or directory).")
    ] = HUB_ID,
    mask: Annotated[
        Path | None, typer.Option("--mask", help="A mask of the part (white) when the picture has no alpha.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The brush's name (default: the picture's).")
    ] = None,
    normals: Annotated[
        Path | None,
        typer.Option(
            "--normals",
            help="Six normal maps already made (a grid PNG or a `vdm render` folder): no model runs.",
        ),
    ] = None,
    *,
    generate: GenerateConfig,
    reconstruct: Annotated[
        ReconstructConfig, Exclude("seed", "device", "threads", "baseline", "bake.frame", "bake.border")
    ],
) -> None:
    """One picture to a sculpt brush: cut-out, six normal maps, reconstruction, brush.blend."""
    from dataclasses import replace

    from vdm.app.image import picture_to_brush
    from vdm.console import table_console

    threads = generate.threads or reconstruct.threads
    reconstruct = replace(reconstruct, seed=generate.seed, device=generate.device, threads=threads)
    result = picture_to_brush(
        picture, out, model, generate, reconstruct, mask, base, name, table_console(True), normals
    )
    for label, seconds in result.seconds.items():
        log.info("%s: %.1f s", label, seconds)
    typer.echo(f"brush: {result.paths['blend']}")


def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for every output of the demo.")] = Path(
        "out/demo"
    ),
) -> None:
    """Run the pipeline on the built-in meshes, offline, on a CPU, and print where everything is."""
    from vdm.app.demo import run_demo

    run_demo(out)


def app_command(
    host: Annotated[
        str, typer.Option("--host", help="The address to serve on (0.0.0.0: every network interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to serve on.")] = 7860,
    model: Annotated[
        str, typer.Option("--model", help="The model the picture tab starts with (as for vdm image).")
    ] = "",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the runs, one folder each (default: a new temporary folder)."),
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option("--dataset", help="A dataset folder of `vdm mine` for the Dataset tab.")
    ] = None,
    proposals: Annotated[
        Path | None,
        typer.Option(
            "--proposals", help="A folder of `vdm propose` for the Review tab to open.", file_okay=False
        ),
    ] = None,
    selections: Annotated[
        Path,
        typer.Option(
            "--selections",
            help="Where the Review tab saves the accepted records (the --out of `vdm lasso`).",
            file_okay=False,
        ),
    ] = Path("selections"),
) -> None:
    """A local web app: a picture to a sculpt brush, a mined dataset to browse, proposals to review."""
    try:
        from vdm.app.web import serve  # Gradio: only for this command
    except ModuleNotFoundError as exc:
        if exc.name != "gradio":
            raise
        raise VdmError("vdm app needs Gradio: install the app extra (pip install -e '.[app]').") from exc
    serve(host, port, model, out, dataset, proposals, selections)


app.command("info")(vdm_command(info))
app.command("sources")(vdm_command(sources_command))
app.command("demo")(vdm_command(demo))
app.command("image")(vdm_command(image))
app.command("app")(vdm_command(app_command))
for stage_commands in (
    vdm.lasso.commands,
    vdm.propose.commands,
    vdm.stitching.commands,
    vdm.render.commands,
    vdm.bake.commands,
    vdm.mine.commands,
    vdm.train.commands,
    vdm.reconstruct.commands,
):
    stage_commands.register(app)


def main() -> None:
    """Entry point of the console script: user errors become one sentence and exit status 1."""
    try:
        app(prog_name="vdm")  # standalone: usage errors and --help exit through click itself
    except VdmError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # an environment failure no stage turned into a sentence (full disk...)
        where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
        typer.echo(f"error: {where}{os_reason(exc)}.", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("error: interrupted.", err=True)
        sys.exit(INTERRUPTED)
    except SystemExit as exc:
        if exc.code == INTERRUPTED:  # typer turns Ctrl-C into exit 130 without a word
            typer.echo("error: interrupted.", err=True)
        raise


if __name__ == "__main__":
    main()
