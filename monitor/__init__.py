"""dartwatch's engine: OpenDART client, poller, matcher, dispatcher, scheduler and CLI."""

__version__ = "0.1.0"
