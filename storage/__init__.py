"""Persistence for dartwatch: table models, repositories and migrations.

This package imports nothing from ``monitor`` or ``notifiers``: they depend on it,
never the other way round.
"""
