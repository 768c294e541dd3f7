"""lasso/: select a part of a mesh by drawing a polygon on screen (Polyscope GUI and headless engine)."""
