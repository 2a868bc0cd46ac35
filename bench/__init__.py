"""Benchmarks: ``python -m bench.run --help`` (see bench/run.py)."""
