"""The floor of ``monitor``: settings, errors, logging, metrics, the Korean calendar,
quiet hours, the loopback server helper and the worker process. Imports nothing of
``monitor`` above it."""
