"""The `vdm` commands of reconstruct/."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
