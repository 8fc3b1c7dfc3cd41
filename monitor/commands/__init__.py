"""One module per CLI verb; see :mod:`monitor.cli`."""
