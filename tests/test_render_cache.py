"""The per-fan-out rendering cache: one rendering per (alert, language, format)."""

from __future__ import annotations

from collections.abc import Callable

from notifiers.base import Alert
from notifiers.render_cache import RenderCache
from tests.helpers.notifier import sample_alert


class Renderer:
    """Counts the renderings it is asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, alert: Alert, lang: str) -> Callable[[], str]:
        def render() -> str:
            self.calls.append((alert.rcept_no, lang))
            return f"{alert.rcept_no} {lang}"

        return render


def test_the_same_alert_is_rendered_once_per_language_and_format() -> None:
    cache: RenderCache[str] = RenderCache()
    render = Renderer()
    alert = sample_alert()
    for _ in range(3):
        assert cache.get(alert, "ko", "html", render(alert, "ko")) == f"{alert.rcept_no} ko"
    assert cache.get(alert, "en", "html", render(alert, "en")) == f"{alert.rcept_no} en"
    cache.get(alert, "en", "json", render(alert, "en"))
    # Another format of the same language is a rendering of its own.
    assert render.calls == [(alert.rcept_no, "ko"), (alert.rcept_no, "en"), (alert.rcept_no, "en")]


def test_a_rebuilt_alert_is_rendered_again_even_when_equal() -> None:
    cache: RenderCache[str] = RenderCache()
    render = Renderer()
    first, second = sample_alert(), sample_alert()
    assert first == second and first is not second
    cache.get(first, "ko", "json", render(first, "ko"))
    cache.get(second, "ko", "json", render(second, "ko"))
    assert len(render.calls) == 2


def test_the_cache_is_bounded() -> None:
    cache: RenderCache[str] = RenderCache(size=2)
    render = Renderer()
    alerts = [sample_alert(rcept_no=f"2026011500000{i}") for i in range(3)]
    for alert in alerts:
        cache.get(alert, "ko", "html", render(alert, "ko"))
    cache.get(alerts[2], "ko", "html", render(alerts[2], "ko"))  # still cached
    assert len(render.calls) == 3
    cache.get(alerts[0], "ko", "html", render(alerts[0], "ko"))  # evicted: rendered again
    assert render.calls[-1] == (alerts[0].rcept_no, "ko") and len(render.calls) == 4
