"""The fault-tolerance suite: OpenDART, Telegram, storage and process faults,
bad input and secrets. Every test is marked ``faults``; run it alone with
``.venv/bin/pytest -m faults``."""
