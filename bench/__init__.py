"""Benchmarks for kolaborasi: `make bench` (national scale) and `make bench-smoke`.

Each figure is measured beside a reference in the same run on the same machine
(DESIGN §5). See bench/README.md."""
