"""Notifier plugins: each turns an :class:`~notifiers.base.Alert` or a
:class:`~notifiers.base.DigestMessage` into a message somewhere.

Built-ins are registered exactly as third-party plugins are, through the
``dartwatch.notifiers`` entry-point group.
"""
