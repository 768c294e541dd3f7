"""app/: the roof over the stages: the `vdm` console script (`app.cli`) and `vdm demo` (`app.demo`).

The only package that imports every stage; the core (vdm/) and the stages never import it.
"""
