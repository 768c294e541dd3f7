"""`vdm propose`: parts worth a stamp, as ranked selection records a curator reviews."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import vdm_command
from vdm.errors import VdmError
from vdm.propose.config import ProposeConfig
from vdm.source_config import SourceConfig
from vdm.wording import counted

log = logging.getLogger(__name__)


def propose_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Meshes to propose parts of: paths, objaverse:<uid>, builtin:<name>, a folder of meshes, "
            "or lvis:<category>.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the proposal records.", file_okay=False)],
    redo: Annotated[bool, typer.Option("--redo", help="Propose again for meshes already done.")] = False,
    *,
    config: ProposeConfig,
    sources_config: SourceConfig,
) -> None:
    """Find protrusions (ears, horns, noses, tails...) and write each as a ranked selection record."""
    from vdm.atomic import writable_dir
    from vdm.propose.batch import propose_sources
    from vdm.sources.listing import expand_sources

    writable_dir(out, create=True)
    specs = expand_sources(sources, sources_config)
    lines, failed = propose_sources(specs, out, config, sources_config, redo)
    for line in lines:
        typer.echo(line)
    if failed:
        raise VdmError(
            f"{len(failed)} of {counted(len(specs), 'source')} failed "
            f"(the reasons are in {out}/proposals/failed.json)."
        )


def register(app: typer.Typer) -> None:
    """Add this stage's command to the `vdm` app."""
    app.command("propose")(vdm_command(propose_command))
