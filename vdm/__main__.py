"""`python -m vdm` runs the `vdm` console script."""

from app.cli import main

main()
