"""The statistics core.

Nothing in this package imports Django: arrays and DataFrames go in, result objects come
out. A contract in ``pyproject.toml`` (import-linter) enforces that.
"""
