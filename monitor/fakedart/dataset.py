"""Load the bundled synthetic dataset (``data/companies.json``, ``data/filings.json``),
written by ``tools/fakedart_generate.py``. Bad files fail loudly with the file and entry named."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.core.kcalendar import KST
from monitor.fakedart.model import Company, DartRow, DocumentSpec

DATA_DIR = Path(__file__).with_name("data")
COMPANIES_FILE = DATA_DIR / "companies.json"
FILINGS_FILE = DATA_DIR / "filings.json"

_COMPANY_FIELDS = set(Company.__dataclass_fields__)


class DatasetError(Exception):
    """The bundled dataset is missing or malformed (regenerate with tools/fakedart_generate.py)."""


@lru_cache(maxsize=4)
def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path} is missing; run `python -m tools.fakedart_generate`") from None
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a JSON object")
    return data


def load_companies(*, ncsoft_renamed: bool = False) -> list[Company]:
    """The named companies. ``renamed_to`` entries switch name when asked (NCSOFT -> NC)."""
    companies: list[Company] = []
    for index, entry in enumerate(_read(COMPANIES_FILE).get("companies", [])):
        if not isinstance(entry, dict) or "corp_code" not in entry or "corp_name" not in entry:
            raise DatasetError(f"{COMPANIES_FILE}: company #{index} needs corp_code and corp_name")
        fields = {k: str(v) for k, v in entry.items() if k in _COMPANY_FIELDS}
        if ncsoft_renamed and entry.get("renamed_to"):
            fields["corp_name"] = str(entry["renamed_to"])
            fields["stock_name"] = str(entry["renamed_to"])
        companies.append(Company(**fields))
    return companies


def load_filings(companies: Mapping[str, Company]) -> list[DartRow]:
    """The named companies' filings; names and codes come from *companies*."""
    data = _read(FILINGS_FILE)
    topics: dict[str, str] = data.get("topics", {})
    rows: list[DartRow] = []
    for index, entry in enumerate(data.get("filings", [])):
        try:
            rows.append(_row(entry, companies, topics))
        except (KeyError, ValueError, TypeError) as exc:
            raise DatasetError(f"{FILINGS_FILE}: filing #{index} is malformed ({exc})") from None
    return rows


def _row(
    entry: dict[str, Any], companies: Mapping[str, Company], topics: dict[str, str]
) -> DartRow:
    company = companies[entry["corp_code"]]
    rcept_no = str(entry["rcept_no"])
    day = date(int(rcept_no[:4]), int(rcept_no[4:6]), int(rcept_no[6:8]))
    hour, minute = (int(part) for part in str(entry["time"]).split(":"))
    topic = topics[entry["topic"]] if entry.get("topic") else ""
    flags = str(entry.get("doc", ""))
    return DartRow(
        corp_code=company.corp_code,
        corp_name=company.corp_name,
        stock_code=company.stock_code,
        corp_cls=company.corp_cls,
        report_nm=str(entry["report_nm"]),
        rcept_no=rcept_no,
        flr_nm=str(entry.get("flr_nm") or company.corp_name),
        rcept_dt=rcept_no[:8],
        rm=str(entry.get("rm", "")),
        visible_at=datetime.combine(day, time(hour, minute), KST),
        pblntf_ty=str(entry["ty"])[0],
        pblntf_detail_ty=str(entry["ty"]),
        document=DocumentSpec(
            topic=topic, large="L" in flags, euc_kr="E" in flags, attachment="A" in flags
        ),
        ai=bool(entry.get("topic")),
    )
