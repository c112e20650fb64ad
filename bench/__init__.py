"""Benchmarks of the Dinghuo stack against floors measured in the same run (see README.md)."""
