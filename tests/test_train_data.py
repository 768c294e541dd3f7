"""Training data: the held-out split keeps selections whole, augmentation keeps the background white
and depends only on its seed, and batches depend only on the step."""

from __future__ import annotations

import numpy as np

from train.augment import augment_condition
from train.config import AugmentConfig
from train.data import StepBatchSampler, split_entries


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
