"""Benchmarks: `make bench` (python -m benchmarks) prints a table of figures and ratios."""
