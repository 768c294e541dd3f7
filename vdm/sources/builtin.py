"""Built-in sources: the real meshes the pymeshlab wheel installs, and procedural assets."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from vdm.errors import VdmError
from vdm.sources.beasts import BEASTS, beast_arrays, beast_tips
from vdm.sources.creature import creature_arrays
from vdm.sources.files import load_file
from vdm.sources.mesh import LoadedMesh, SourceRef, canonical_sha256, check_geometry
from vdm.sources.tips import Tip, annotated_tips

# Name -> path inside pymeshlab's installed tests/sample_meshes folder.
PYMESHLAB_SAMPLES = {
    "cow": "cow.obj",
    "bunny": "bunny.obj",
    "bunny10k_textured": "bunny10k_textured.obj",
    "airplane": "airplane.obj",
    "bone": "bone.ply",
    "face000": "rangemaps/face000.ply",
}

# Name -> (serialisation tag, generator of vertices, faces, RGBA colours).
PROCEDURAL: dict[str, tuple[str, Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]]] = {
    "creature": ("vdm.builtin.creature/1", creature_arrays),
    **{
        f"beast{seed}": (f"vdm.builtin.beast{seed}/1", partial(beast_arrays, seed))
        for seed in range(1, BEASTS + 1)
    },
}


def builtin_names() -> list[str]:
    """Every name `builtin:<name>` accepts."""
    return sorted([*PYMESHLAB_SAMPLES, *PROCEDURAL])


def pymeshlab_sample_dir() -> Path:
    """The sample_meshes folder of the installed pymeshlab wheel, found at run time."""
    import pymeshlab  # imported here: it loads Qt/MeshLab libraries, only needed for these meshes

    return Path(pymeshlab.__file__).resolve().parent / "tests" / "sample_meshes"


def load_builtin(name: str, max_faces: int) -> LoadedMesh:
    """Load `builtin:<name>`."""
    if name in PYMESHLAB_SAMPLES:
        path = pymeshlab_sample_dir() / PYMESHLAB_SAMPLES[name]
        if not path.exists():
            raise VdmError(f"Built-in mesh '{name}' is missing from the pymeshlab install ({path}).")
        return load_file(path, max_faces, kind="builtin", ref=name)
    if name in PROCEDURAL:
        tag, generate = PROCEDURAL[name]
        vertices, faces, colours = generate()
        where = f"Built-in mesh '{name}'"
        check_geometry(vertices, faces, where, max_faces)
        source = SourceRef("builtin", name, canonical_sha256(tag, vertices, faces, colours))
        return LoadedMesh(source, vertices, faces, colours)
    raise VdmError(f"There is no built-in mesh '{name}' (choose from {', '.join(builtin_names())}).")


def builtin_tips(name: str) -> list[Tip]:
    """The annotated part tips of `builtin:<name>`: a beast's from its construction, the cow's and
    the creature's from vdm/data/tips (KeyError for a mesh nobody annotated)."""
    seed = name.removeprefix("beast")
    if name in PROCEDURAL and seed.isdigit():
        return beast_tips(int(seed))
    return annotated_tips(name)
