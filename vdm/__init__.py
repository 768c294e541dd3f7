"""vdm: the shared core of the toolkit (patch frame, camera rig, mesh sources, selection records, CLI).

The pipeline stages live in the sibling packages lasso/, stitching/, render/, train/ and
reconstruct/; the contracts between them are written down in docs/conventions.md.
"""

__version__ = "0.1.0"
