"""Training data: the held-out split keeps selections whole, augmentation keeps the background white
and depends only on its seed, and batches depend only on the step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vdm.train.augment import augment_condition
from vdm.train.config import AugmentConfig
from vdm.train.data import StepBatchSampler, split_entries


def test_split_keeps_selections_whole_and_is_stable():
    entries = [{"patch_id": f"s{i}-a{a}", "selection_id": f"s{i}"} for i in range(40) for a in range(3)]
    train, held = split_entries(entries, 0.2)
    held_selections = {e["selection_id"] for e in held}
    assert held_selections and not held_selections & {e["selection_id"] for e in train}
    assert len(held) == 3 * len(held_selections) and len(train) + len(held) == len(entries)
    assert split_entries(entries[::-1], 0.2)[1] == held[::-1]  # order-independent membership
    assert split_entries(entries, 0.0) == (entries, [])
    two = entries[:6]
    train2, held2 = split_entries(two, 0.01)  # tiny datasets still hold one selection out
    assert len({e["selection_id"] for e in held2}) == 1 and train2


def test_split_holds_whole_source_meshes_out():
    entries = [
        {"patch_id": f"m{m}s{i}-a0", "selection_id": f"m{m}s{i}", "source": {"sha256": f"mesh{m}"}}
        for m in range(30)
        for i in range(4)
    ]
    train, held = split_entries(entries, 0.2)
    held_meshes = {e["source"]["sha256"] for e in held}
    assert held_meshes and not held_meshes & {e["source"]["sha256"] for e in train}
    assert len(held) == 4 * len(held_meshes)  # every part of a held-out mesh is held out
    one_mesh = [e | {"source": {"sha256": "mesh0"}} for e in entries[:12]]
    train1, held1 = split_entries(one_mesh, 0.2)  # one mesh: split by selection, never empty
    assert held1 and train1 and not {e["selection_id"] for e in held1} & {e["selection_id"] for e in train1}


def test_augmentation_keeps_white_background_and_follows_its_seed():
    rgb = np.full((64, 64, 3), 255, dtype=np.uint8)
    rgb[16:48, 16:48] = (128, 128, 128)
    rgb[24:40, 24:40] = (200, 120, 60)
    config = AugmentConfig(zoom=0.0, shift=0.0)
    jittered = augment_condition(rgb, np.random.default_rng(1), config)
    assert (jittered[:16] == 255).all() and not np.array_equal(jittered[24:40, 24:40], rgb[24:40, 24:40])
    moved = augment_condition(rgb, np.random.default_rng(2), AugmentConfig())
    again = augment_condition(rgb, np.random.default_rng(2), AugmentConfig())
    assert np.array_equal(moved, again) and not np.array_equal(moved, rgb)
    assert (moved[0, 0] == 255).all()  # uncovered corners are filled white


def test_batches_depend_only_on_the_step():
    full = list(StepBatchSampler(5, 2, seed=3, start=0, stop=12))
    tail = list(StepBatchSampler(5, 2, seed=3, start=7, stop=12))
    assert full[7:] == tail
    epoch = [index for batch in full[:5] for index, _ in batch][:5]
    assert sorted(epoch) == list(range(5))  # each epoch visits every sample once
    seeds = [seed for batch in full for _, seed in batch]
    assert len(set(seeds)) == len(seeds)


def test_the_genvdm_recipe_makes_its_augmentations():
    """On a synthetic image: the full hue wheel, brightness x0.5-1.5, a resize that loses detail, one
    crop cut alike from the condition and every target tile, and the condition views 0, 1, 2."""
    import torch

    from vdm.train.augment import crop_box, crop_grid, crop_image
    from vdm.train.config import GENVDM_AUGMENT, TrainConfig

    config = TrainConfig(data=Path("d"), out=Path("o"), steps=7_000, recipe="genvdm").with_preset()
    assert config.augment == GENVDM_AUGMENT and config.augment.condition_views == (0, 1, 2)
    assert (config.warmup_steps, config.batch_size, config.mixed_precision) == (0, 6, "no")
    assert config.cycles() == 3  # a hard restart every 3,000 steps
    colour = np.full((64, 64, 3), 255, dtype=np.uint8)
    colour[8:56, 8:56] = (200, 60, 60)  # a red patch on white
    hues, values = [], []
    for seed in range(200):
        out = augment_condition(colour, np.random.default_rng(seed), GENVDM_AUGMENT)
        from PIL import Image

        hsv = np.asarray(Image.fromarray(out[20:44, 20:44]).convert("HSV")).reshape(-1, 3).mean(axis=0)
        hues.append(hsv[0] / 256.0)
        values.append(hsv[2] / 200.0)
    assert max(hues) - min(hues) > 0.8  # around the whole wheel, not +-0.04
    assert 0.45 < min(values) < 0.6 and 1.1 < max(values) <= 1.3  # x0.5 ... x1.5 (clipped at 255)
    checker = np.full((512, 512, 3), 255, dtype=np.uint8)
    checker[::2, ::2] = checker[1::2, 1::2] = 0  # detail at one pixel
    resized = augment_condition(checker, np.random.default_rng(0), GENVDM_AUGMENT)
    assert np.abs(resized.astype(float) - 127.5).mean() < 0.5 * 127.5  # the one-pixel detail is gone
    # One box, alike: a marker at the same place in condition and in every tile lands at the same place.
    tile, box = 32, crop_box(np.random.default_rng(4), GENVDM_AUGMENT)
    assert box != (0.0, 0.0, 1.0, 1.0) and all(0.0 <= v <= 1.0 for v in box)
    condition = np.zeros((tile, tile, 3), dtype=np.uint8)
    condition[20, 12] = 255
    grid = torch.zeros(3, 3 * tile, 2 * tile)
    for r in range(3):
        for c in range(2):
            grid[:, r * tile + 20, c * tile + 12] = 1.0
    cut = crop_image(condition, box)[..., 0].astype(float)
    tiles = crop_grid(grid, box, tile)
    where = np.unravel_index(cut.argmax(), cut.shape)
    for r in range(3):
        for c in range(2):
            t = tiles[0, r * tile : (r + 1) * tile, c * tile : (c + 1) * tile].numpy()
            assert np.unravel_index(t.argmax(), t.shape) == where
    assert where != (20, 12)  # the crop did move it
