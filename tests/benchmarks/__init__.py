"""Benchmarks run as commands (not pytest tests), e.g. ``python -m tests.benchmarks.calls``."""
