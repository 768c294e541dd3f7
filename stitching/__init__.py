"""stitching/: fuse lassoed faces into one clean part with a flat border, stitched into the base square."""
