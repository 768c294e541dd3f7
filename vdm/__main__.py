"""`python -m vdm` runs the `vdm` console script."""

from vdm.cli import main

main()
