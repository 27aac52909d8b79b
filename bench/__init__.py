"""Benchmarks for kolaborasi: `make bench` (national scale) and `make bench-smoke`.

Each figure is measured beside a reference in the same run on the same machine, because
these machines are too noisy for absolute numbers to mean much. See bench/README.md."""
