"""A tiny dataset in the conventions' section-7 layout for the train/ tests: the analytic ball patch
rendered by the real PatchRenderer, once plain and once with the ball recoloured."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from render_shapes import ball_patch

from vdm.atomic import write_bytes_atomic
from vdm.images import png_bytes
from vdm.render.views import view_pngs

RENDER = 64  # render side: small, the tiny model trains on 32-pixel tiles


def write_ball_dataset(root: Path, copies: int = 2) -> Path:
    """`copies` patches (different selections); copy i has its RGB renders tinted differently."""
    from vdm.render.renderer import PatchRenderer

    with PatchRenderer(RENDER) as renderer:
        views = renderer.render(ball_patch(n_around=64, n_ball=24, n_plane=6))
    lines = []
    for i in range(copies):
        selection = f"{i:02d}ba11"
        patch_id = f"{selection}-a0"
        for name, data in view_pngs(views).items():
            write_bytes_atomic(root / "views" / patch_id / name, data)
        if i:  # a second condition colour: the model must tell the samples apart by the condition
            for k, images in views.items():
                tinted = images.rgb.copy()
                tinted[images.mask] = (tinted[images.mask] * np.array([1.0, 0.6, 0.3])).astype(np.uint8)
                write_bytes_atomic(root / "views" / patch_id / f"rgb_{k}.png", png_bytes(tinted))
        lines.append({"patch_id": patch_id, "selection_id": selection, "version": 1})
    (root / "manifest.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return root


def unet_state(checkpoint: Path) -> dict:
    """The trained weights of a checkpoint, its UNet's or its LoRA adapter's (for comparisons)."""
    from safetensors.torch import load_file

    from vdm.train.checkpoints import UNET_WEIGHTS
    from vdm.train.lora import LORA_DIR, LORA_WEIGHTS, is_lora_checkpoint

    if is_lora_checkpoint(checkpoint):
        return load_file(checkpoint / LORA_DIR / LORA_WEIGHTS)
    return load_file(checkpoint / UNET_WEIGHTS)
