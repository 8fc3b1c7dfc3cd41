"""The console notifier: alerts on standard output, for a first run and for debugging.

On a terminal an alert is a coloured rich panel; piped into a file or a log
collector it is the plain text form, so the output stays greppable. Texts are built
as rich ``Text`` objects, never parsed as rich markup, so a ``[bold]`` in a report
title prints as typed.
"""

from __future__ import annotations

import sys
from typing import ClassVar, Literal

from pydantic_settings import SettingsConfigDict
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from notifiers.base import Alert, DigestMessage, Notifier, NotifierSettings
from notifiers.formatting import AlertView, build_view, render_text

_BORDER = {"normal": "blue", "correction": "yellow", "withdrawn": "red"}


class ConsoleSettings(NotifierSettings):
    """``CONSOLE_*`` settings."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_")

    #: auto: rich formatting when stdout is a terminal; always / never force it
    color: Literal["auto", "always", "never"] = "auto"
    #: show alerts in this language whatever the delivery row says (empty: as given)
    lang: Literal["ko", "en"] | None = None


def render_rich(view: AlertView) -> Panel:
    """The alert as a rich panel (no markup parsing anywhere)."""
    lines: list[Text] = [Text(f"⚠ {m}", style="bold red") for m in view.markers]
    lines.append(Text(view.report_nm, style="bold"))
    if view.facts:
        lines.append(Text(" · ".join(f"{f.label}: {f.value}" for f in view.facts), style="dim"))
    for line in view.context:
        lines.append(Text.assemble((f"{line.label}: ", "cyan"), line.value))
    if view.relevance.label:
        lines.append(
            Text.assemble((f"{view.relevance.label}: ", "cyan"), (view.relevance.value, "bold"))
        )
    lines.extend(Text(f"  • {r}") for r in view.reasons)
    if view.more_reasons:
        lines.append(Text(f"  {view.more_reasons}", style="dim"))
    lines.append(Text(view.url, style=f"link {view.url} underline"))
    title = Text(view.corp_name, style="bold")
    if view.category:
        title.append(f" · {view.category}", style="")
    return Panel(
        Group(*lines),
        title=title,
        title_align="left",
        border_style=_BORDER.get(view.severity, "blue"),
        expand=False,
    )


class ConsoleNotifier(Notifier):
    name: ClassVar[str] = "console"
    settings_model: ClassVar[type[NotifierSettings] | None] = ConsoleSettings
    rate_per_second: ClassVar[float | None] = None
    per_destination_interval: ClassVar[float] = 0.0
    max_message_chars: ClassVar[int | None] = None

    def __init__(self, settings: ConsoleSettings | None = None) -> None:
        self.settings = settings or ConsoleSettings()

    def _rich(self) -> bool:
        if self.settings.color == "auto":
            return sys.stdout.isatty()
        return self.settings.color == "always"

    def _console(self) -> Console:
        # sys.stdout is looked up per message: tests and daemons may replace it.
        return Console(
            file=sys.stdout,
            force_terminal=True if self.settings.color == "always" else None,
            no_color=self.settings.color == "never",
            highlight=False,
            soft_wrap=False,
        )

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        view = build_view(alert, self.settings.lang or lang)
        if self._rich():
            self._console().print(render_rich(view))
        else:
            print(render_text(view), end="\n\n", flush=True)

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        print(digest.text, end="\n\n", flush=True)

    async def send_text(self, text: str, destination: str) -> None:
        print(text, flush=True)

    async def health(self) -> str:
        return "ok (terminal)" if self._rich() else "ok (plain text)"
