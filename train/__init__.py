"""train/: fine-tune Zero123++ to emit the six-view normal grid from one condition image."""

HUB_ID = "sudo-ai/zero123plus-v1.2"  # the public base model
