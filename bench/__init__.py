"""Benchmark harness: ``python -m bench --rows N`` measures search, details, operations, export and pages."""
