"""train/: fine-tune Zero123++ to emit the six-view normal grid from one condition image."""
