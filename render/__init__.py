"""render/: offscreen renders of a patch from the fixed 7-camera orthographic rig."""
