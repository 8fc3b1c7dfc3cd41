"""The Telegram bot investors talk to: commands, buttons, subscriptions.

Public surface for the daemon: :class:`BotConfig`, :func:`start_bot` (returns a
:class:`RunningBot` whose ``stop()`` undoes it) and the :class:`BotServices` protocol
the daemon implements (``monitor.bot.monitor_services``).
"""

from monitor.bot.application import (
    BotConfig,
    BotStartError,
    RunningBot,
    WebhookApp,
    build_application,
    start_bot,
    stop_bot,
)
from monitor.bot.services import BotServices, CompanyInfo, Resolution

__all__ = [
    "BotConfig",
    "BotServices",
    "BotStartError",
    "CompanyInfo",
    "Resolution",
    "RunningBot",
    "WebhookApp",
    "build_application",
    "start_bot",
    "stop_bot",
]
