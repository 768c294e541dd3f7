"""`python -m vdm` runs the `vdm` console script."""

from vdm.app.cli import main

main()
