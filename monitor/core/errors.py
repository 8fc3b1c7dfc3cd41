"""Errors the CLI reports as one clear line (no traceback)."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; printed as ``dartwatch: <message>``."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(UserError):
    """Bad arguments (exit 2)."""

    exit_code = 2
