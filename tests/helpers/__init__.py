"""Helpers shared by the test modules (not by the benchmarks: those live in ``testkit``)."""
