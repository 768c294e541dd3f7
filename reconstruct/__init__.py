"""reconstruct/: six normal maps to a vector displacement map (neural SDF, then a deformation field)."""
