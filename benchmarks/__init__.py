"""Benchmarks: speed and accuracy figures of every stage, printed as one table (`make bench`)."""
