"""Market-wide background: a few thousand synthetic companies and about 500 filings
per business day, generated on the fly per date so a market-wide list.json pages like
the real one (5-6 pages of 100 by evening) without storing months of rows.

Everything here is synthetic and deterministic: the same seed and date give the same
rows. Corp codes are in the clearly fake 98xxxxxx range so they never collide with a
real company's code or with the named companies of the bundled dataset.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from monitor.core.kcalendar import KST, is_business_day
from monitor.fakedart.model import Company, DartRow, DocumentSpec, Origin

NOISE_CODE_PREFIX = "98"

_SYL_A = [
    "한빛",
    "대성",
    "삼양",
    "동원",
    "세진",
    "태광",
    "금호",
    "우진",
    "신화",
    "대한",
    "동양",
    "서울",
    "부산",
    "코리아",
    "글로벌",
    "미래",
    "에이스",
    "제일",
    "유니",
    "하나",
    "동방",
    "청호",
    "경인",
    "한신",
    "일진",
    "대림",
    "유진",
    "세원",
    "극동",
    "한국",
]
_SYL_B = [
    "테크",
    "정밀",
    "산업",
    "전자",
    "화학",
    "바이오",
    "제약",
    "소재",
    "건설",
    "물산",
    "에너지",
    "통신",
    "시스템",
    "로직스",
    "메디칼",
    "푸드",
    "엔지니어링",
    "솔루션",
    "네트웍스",
    "디스플레이",
    "반도체",
    "머티리얼즈",
    "모빌리티",
    "홀딩스",
]
_SYL_C = ("", "", "", "", "1", "2", "에스", "엠", "케이", "씨앤씨")
_FUND_A = ("하나", "미래에셋", "키움", "KB", "신한", "NH", "삼성", "한화", "IBKS", "DB")
_PEOPLE_FAMILY = [
    "김",
    "이",
    "박",
    "최",
    "정",
    "강",
    "조",
    "윤",
    "장",
    "임",
    "한",
    "오",
    "서",
    "신",
    "권",
    "황",
    "안",
    "송",
    "류",
    "홍",
]
_PEOPLE_GIVEN = [
    "민준",
    "서연",
    "도윤",
    "지우",
    "하준",
    "서윤",
    "주원",
    "지민",
    "예준",
    "수빈",
    "현우",
    "지훈",
    "승민",
    "유진",
    "재훈",
    "성호",
    "영수",
    "미경",
    "정훈",
    "동현",
    "은지",
    "상철",
    "혜진",
    "태호",
]
_HOLDERS = (
    "국민연금공단",
    "블랙록펀드어드바이저스",
    "삼성자산운용",
    "미래에셋자산운용",
    "한국투자신탁운용",
    "The Capital Group Companies, Inc.",
)


@dataclass(frozen=True, slots=True)
class _Kind:
    report_nm: str
    pblntf_ty: str
    detail: str
    krx: bool  # filed with KRX (rm 유/코/넥, receipt digits 80/90/60) rather than DART
    weight: int
    rm: str = ""
    filer: str = "self"  # self | person | holder | exchange


_LISTED_KINDS = (
    _Kind("임원ㆍ주요주주특정증권등소유상황보고서", "D", "D002", False, 30, filer="person"),
    _Kind("주식등의대량보유상황보고서(일반)", "D", "D001", False, 6, filer="holder"),
    _Kind("주식등의대량보유상황보고서(약식)", "D", "D001", False, 5, filer="holder"),
    _Kind("기타경영사항(자율공시)", "I", "I001", True, 8),
    _Kind("단일판매ㆍ공급계약체결", "I", "I001", True, 7),
    _Kind("현금ㆍ현물배당결정", "I", "I001", True, 4),
    _Kind("주식등의대량보유상황보고서", "I", "I004", True, 2),
    _Kind("최대주주등소유주식변동신고서", "I", "I001", True, 5),
    _Kind("연결재무제표기준영업(잠정)실적(공정공시)", "I", "I002", True, 4),
    _Kind("기업설명회(IR)개최(안내공시)", "I", "I001", True, 5),
    _Kind("자기주식취득결정", "I", "I001", True, 2),
    _Kind("주요사항보고서(자기주식취득결정)", "B", "B001", False, 2),
    _Kind("주요사항보고서(유상증자결정)", "B", "B001", False, 2),
    _Kind("주요사항보고서(전환사채권발행결정)", "B", "B001", False, 3),
    _Kind("타법인주식및출자증권취득결정", "I", "I001", True, 2),
    _Kind("조회공시요구(풍문또는보도)에대한답변(미확정)", "I", "I001", True, 1),
    _Kind("투자판단관련주요경영사항", "I", "I001", True, 2),
    _Kind("주권매매거래정지(상장폐지 사유발생)", "I", "I003", True, 1, filer="exchange"),
    _Kind("투자주의환기종목지정", "I", "I003", True, 1, filer="exchange"),
    _Kind("증권발행결과(자율공시)", "I", "I001", True, 2),
    _Kind("주주총회소집결의", "I", "I001", True, 2),
    _Kind("기업가치제고계획(자율공시)", "I", "I001", True, 1),
    _Kind("[기재정정]단일판매ㆍ공급계약체결", "I", "I001", True, 2),
    _Kind("[기재정정]주요사항보고서(유상증자결정)", "B", "B001", False, 1),
    _Kind("증권신고서(지분증권)", "C", "C001", False, 1),
    _Kind("투자설명서", "C", "C001", False, 2),
    _Kind("일괄신고추가서류(파생결합증권-주가연계증권)", "C", "C003", False, 4),
    _Kind("자기주식취득결과보고서", "E", "E001", False, 1),
    _Kind("주식매수선택권부여에관한신고", "E", "E004", False, 1),
    _Kind("감사보고서제출", "I", "I001", True, 1),
)
_UNLISTED_KINDS = (
    _Kind("대규모기업집단현황공시[분기별공시(개별회사용)]", "J", "J004", False, 6, rm="공"),
    _Kind("대규모기업집단현황공시[연1회공시및1/4분기용(개별회사)]", "J", "J004", False, 2, rm="공"),
    _Kind("대규모내부거래에대한이사회의결", "J", "J001", False, 2, rm="공"),
    _Kind("감사보고서 (2025.12)", "F", "F001", False, 3),
    _Kind("자산유동화계획의등록신청서[신탁회사(은행신탁계정포함)]", "H", "H001", False, 2),
    _Kind(
        "[기재정정]자산유동화계획의등록신청서[신탁회사(은행신탁계정포함)]", "H", "H001", False, 1
    ),
    _Kind("자산양도등의등록신청서", "H", "H001", False, 1),
    _Kind("증권신고서(집합투자증권-회사형)", "G", "G002", False, 1),
    _Kind("소액공모공시서류(채무증권)", "C", "C007", False, 1),
)


def _weighted(kinds: tuple[_Kind, ...]) -> tuple[list[_Kind], list[int]]:
    return list(kinds), [k.weight for k in kinds]


class NoiseMarket:
    """The synthetic rest of the market. ``companies`` go into CORPCODE.xml;
    ``rows_for(day)`` are that day's filings (without receipt-number collisions with
    *taken* numbers)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        company_count: int = 3000,
        per_day: int = 500,
        avoid_stock_codes: frozenset[str] = frozenset(),
    ) -> None:
        self.seed = seed
        self.per_day = per_day
        rng = random.Random(f"noise-companies:{seed}")
        self.companies: list[Company] = []
        used_names: set[str] = set()
        used_stock: set[str] = set(avoid_stock_codes)
        codes = rng.sample(range(1_000_000), company_count)
        for index, number in enumerate(codes):
            name = ""
            while not name or name in used_names:
                name = rng.choice(_SYL_A) + rng.choice(_SYL_B) + rng.choice(_SYL_C)
                if rng.random() < 0.08:
                    name = f"{rng.choice(_FUND_A)}제{rng.randint(1, 40)}호스팩"
            used_names.add(name)
            share = index / max(company_count, 1)
            corp_cls = "Y" if share < 0.3 else "K" if share < 0.68 else "N" if share < 0.7 else "E"
            stock = ""
            if corp_cls != "E":
                while not stock or stock in used_stock:
                    stock = f"{rng.randint(10_000, 99_999):05d}0"
                used_stock.add(stock)
            self.companies.append(
                Company(
                    corp_code=f"{NOISE_CODE_PREFIX}{number:06d}",
                    corp_name=name,
                    stock_code=stock,
                    corp_cls=corp_cls,
                    corp_eng_name=f"SYNTHETIC CO {number:06d}",
                    modify_date=f"2025{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                    ceo_nm=rng.choice(_PEOPLE_FAMILY) + rng.choice(_PEOPLE_GIVEN),
                    jurir_no=f"{rng.randint(10**12, 10**13 - 1)}",
                    bizr_no=f"{rng.randint(10**9, 10**10 - 1)}",
                    adres="서울특별시 (가상 주소)",
                    est_dt=f"{rng.randint(1960, 2022)}0{rng.randint(1, 9)}{rng.randint(10, 28)}",
                )
            )
        self._listed = [c for c in self.companies if c.corp_cls != "E"]
        self._unlisted = [c for c in self.companies if c.corp_cls == "E"]
        self._by_code = {c.corp_code: c for c in self.companies}

    def has(self, corp_code: str) -> bool:
        return corp_code in self._by_code

    def company(self, corp_code: str) -> Company | None:
        return self._by_code.get(corp_code)

    def rows_for(self, day: date, taken: set[str]) -> list[DartRow]:
        """*day*'s synthetic filings; receipt numbers in *taken* are skipped."""
        if self.per_day <= 0 or not self.companies:
            return []
        rng = random.Random(f"noise-day:{self.seed}:{day.isoformat()}")
        if is_business_day(day):
            count = rng.randint(int(self.per_day * 0.85), int(self.per_day * 1.15))
        else:
            count = rng.randint(0, 4)
        listed_kinds, listed_w = _weighted(_LISTED_KINDS)
        unlisted_kinds, unlisted_w = _weighted(_UNLISTED_KINDS)
        drafts: list[tuple[float, Company, _Kind, Origin]] = []
        for _ in range(count):
            if self._unlisted and rng.random() < 0.2:
                company = rng.choice(self._unlisted)
                kind = rng.choices(unlisted_kinds, unlisted_w)[0]
            else:
                company = rng.choice(self._listed)
                kind = rng.choices(listed_kinds, listed_w)[0]
            origin = Origin.krx_for(company.corp_cls) if kind.krx else Origin.DART
            hour = rng.triangular(7.5, 19.0, 16.0) if is_business_day(day) else rng.uniform(9, 17)
            drafts.append((hour, company, kind, origin))
        drafts.sort(key=lambda d: d[0])
        next_seq: dict[str, int] = {}
        rows: list[DartRow] = []
        stamp = day.strftime("%Y%m%d")
        for hour, company, kind, origin in drafts:
            seq = next_seq.get(origin.value, 0)
            rcept_no = ""
            while not rcept_no or rcept_no in taken:
                seq += 1
                rcept_no = f"{stamp}{origin.value}{seq:04d}"
            next_seq[origin.value] = seq
            seconds = int(hour * 3600)
            moment = datetime.combine(day, time(0, 0), KST) + timedelta(seconds=seconds)
            report_nm = kind.report_nm + (" " if rng.random() < 0.02 else "")
            rm = origin.rm_letter + kind.rm
            if rng.random() < 0.02 and not kind.report_nm.startswith("["):
                rm += "정"  # an original already superseded before we look
            rows.append(
                DartRow(
                    corp_code=company.corp_code,
                    corp_name=company.corp_name,
                    stock_code=company.stock_code,
                    corp_cls=company.corp_cls,
                    report_nm=report_nm,
                    rcept_no=rcept_no,
                    flr_nm=self._filer(rng, company, kind),
                    rcept_dt=stamp,
                    rm=rm,
                    visible_at=moment,
                    pblntf_ty=kind.pblntf_ty,
                    pblntf_detail_ty=kind.detail,
                    document=DocumentSpec(),
                )
            )
        return rows

    @staticmethod
    def _filer(rng: random.Random, company: Company, kind: _Kind) -> str:
        if kind.filer == "person":
            return rng.choice(_PEOPLE_FAMILY) + rng.choice(_PEOPLE_GIVEN)
        if kind.filer == "holder":
            return rng.choice(_HOLDERS)
        if kind.filer == "exchange":
            return {"Y": "유가증권시장본부", "K": "코스닥시장본부"}.get(
                company.corp_cls, "코넥스시장본부"
            )
        return company.corp_name
