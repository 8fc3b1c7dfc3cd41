"""Fakes and fixtures shared by the tests and the benchmarks (a real Bot API server,
a webhook receiver, outbox and database fillers). Not part of the installed package."""
