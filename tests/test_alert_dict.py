"""Alert.to_dict is built field by field for speed; it must stay what asdict gives."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from notifiers.base import Alert, FactChange, MilestoneRef, Reason


def _reference(alert: Alert) -> dict[str, object]:
    data = asdict(alert)
    data["first_seen_at"] = alert.first_seen_at.isoformat() if alert.first_seen_at else None
    data["filed_at"] = alert.filed_at.isoformat() if alert.filed_at else None
    data["url"] = alert.url
    return data


def test_a_full_alert_matches_asdict_and_round_trips() -> None:
    alert = Alert(
        rcept_no="20260115000123",
        corp_code="00266961",
        corp_name="네이버",
        report_nm="[기재정정]타법인주식및출자증권취득결정",
        rcept_dt="20260115",
        first_seen_at=datetime(2026, 1, 15, 1, 2, 3, tzinfo=UTC),
        filed_at=datetime(2026, 1, 15, 1, 1, tzinfo=UTC),
        milestone_before=MilestoneRef("2025-12", "1차 평가", "First review", -30, key=True),
        milestone_after=MilestoneRef("2026-06", "2차", "Second", 150, end="2026-08"),
        reasons=(Reason(5, "팀", "team"), Reason(-2, "정정", "correction")),
        changes=(FactChange("amount", "금액", "1", "2"),),
        facts={"amount": 1200, "when": "2026-02-01", "parts": ["a", "b"]},
        summary="요약",
    )
    data = alert.to_dict()
    assert data == _reference(alert)
    assert list(data) == list(_reference(alert))
    # a copy: changing the dict never reaches the (frozen) alert
    data["facts"]["parts"].append("c")
    assert alert.facts["parts"] == ["a", "b"]
    assert Alert.from_dict(alert.to_dict()) == alert


def test_a_bare_alert_matches_asdict() -> None:
    alert = Alert("1", "2", "c", "r", "20260101")
    assert alert.to_dict() == _reference(alert)
