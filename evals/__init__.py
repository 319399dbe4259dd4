"""Measuring Lessons (never imported by the product): `quality/` (gold questions, metrics, baselines, the harness,
RESULTS.md) and `bench/` (speed, memory and size at growing corpus sizes, BENCH.md)."""
