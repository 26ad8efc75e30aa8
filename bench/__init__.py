"""Load benchmarks: `python -m bench` (see README)."""
