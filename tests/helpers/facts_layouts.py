"""Filing bodies in the layouts of real filings, for the facts parsers.

Each layout names where it comes from (company, rcept_no, date, and which document
reported it); docs/facts.md ("Body layouts") lists the same. Labels, their order and
the quoted values are the real ones; where a source quoted only some values, the
others are marked CONSTRUCTED. Rows are written as cell lists and rendered either as
DART-XML (``TABLE/TR/TD/TE``, what document.xml holds) or as the viewer's HTML.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

Rows = list[list[str]]


def dart_xml(*tables: Rows, title: str = "", encoding: str = "utf-8") -> str:
    """A DART-XML document with *tables* (cells as ``TD`` labels / ``TE`` values)."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>\n<DOCUMENT>',
        f"<DOCUMENT-NAME>{escape(title)}</DOCUMENT-NAME><BODY><SECTION-1>",
        f'<TITLE ATOC="Y">{escape(title)}</TITLE>',
    ]
    for rows in tables:
        parts.append('<TABLE BORDER="1"><TBODY>')
        for row in rows:
            cells = "".join(
                (f"<TD>{escape(c)}</TD>" if i == 0 else f'<TE ALIGN="RIGHT">{escape(c)}</TE>')
                for i, c in enumerate(row)
            )
            parts.append(f"<TR>{cells}</TR>")
        parts.append("</TBODY></TABLE>")
    parts.append("<P>기타 투자판단에 참고할 사항 & 유의사항</P></SECTION-1></BODY></DOCUMENT>")
    return "\n".join(parts)


def viewer_html(*tables: Rows) -> str:
    """The DART viewer's HTML form of the same tables (``xforms_input`` value cells)."""
    parts = ["<html><head><meta charset='utf-8'></head><body>"]
    for n, rows in enumerate(tables):
        parts.append(f'<table id="XFormD1_Form0_RepeatTable{n}">')
        for row in rows:
            cells = "".join(
                f'<td class="xforms_input">{escape(c)}</td>' if i else f"<td>{escape(c)}</td>"
                for i, c in enumerate(row)
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


# 단일판매ㆍ공급계약체결, KOSPI mandatory form. 한미반도체, rcept_no 20260608800436,
# 2026-06-08 (labels and values measured on the real filing 2026-09-11, as quoted in
# the research notes). 최근매출액 is CONSTRUCTED (= amount / 7.66 %): not quoted.
SUPPLY_KOSPI: Rows = [
    ["1. 판매ㆍ공급계약 구분", "기타 판매ㆍ공급계약"],
    ["- 체결계약명", "HBM4 제조용 'TC BONDER 4.5 GRIFFIN' 장비 수주"],
    ["2. 계약내역", "계약금액(원)", "44,200,000,000"],
    ["", "최근매출액(원)", "577,023,498,695"],
    ["", "매출액대비(%)", "7.66"],
    ["3. 계약상대", "SK하이닉스(SK Hynix Inc.)"],
    ["- 회사와의 관계", "-"],
    ["4. 판매ㆍ공급지역", "한국"],
    ["5. 계약기간", "시작일", "2026-06-08"],
    ["", "종료일", "2026-09-02"],
    ["6. 주요 계약조건", "-"],
    ["7. 계약(수주)일자", "2026-06-08"],
]

# 단일판매ㆍ공급계약체결(자율공시), KOSDAQ voluntary form, EUC-KR. 주성엔지니어링,
# rcept_no 20240710900488, 2024-07-10 (measured 2026-09-11). The counterparty's own
# revenue (-최근 매출액(원) under 3. 계약상대방) is the trap. 확정/조건부 amounts, the
# period and the contract date are CONSTRUCTED.
SUPPLY_KOSDAQ: Rows = [
    ["1. 판매ㆍ공급계약 내용", "반도체 제조장비"],
    ["2. 계약내역", "확정 계약금액", "19,426,988,796"],
    ["", "조건부 계약금액", "-"],
    ["", "계약금액 총액(원)", "19,426,988,796"],
    ["", "최근 매출액(원)", "284,745,246,660"],
    ["", "매출액 대비(%)", "6.82"],
    ["3. 계약상대방", "SK하이닉스"],
    ["", "-최근 매출액(원)", "32,765,719,000,000"],
    ["", "-주요사업", "반도체 제조"],
    ["", "-회사와의 관계", "-"],
    ["4. 판매ㆍ공급지역", "국내"],
    ["5. 계약기간", "시작일", "2024-07-10"],
    ["", "종료일", "2024-12-31"],
    ["6. 주요 계약조건", "-"],
    ["7. 판매ㆍ공급방식", "외주생산"],
    ["8. 계약(수주)일자", "2024-07-10"],
]

# Same form when the company's revenue cell is empty ("-"): the counterparty's revenue
# must still not be taken. CONSTRUCTED from SUPPLY_KOSDAQ.
SUPPLY_KOSDAQ_NO_REVENUE: Rows = [
    (
        ["", "최근 매출액(원)", "-"]
        if r[1:2] == ["최근 매출액(원)"]
        else ["", "매출액 대비(%)", ""]
        if r[1:2] == ["매출액 대비(%)"]
        else r
    )
    for r in SUPPLY_KOSDAQ
]

# 현대건설 supply contract (values quoted by a parser test of a public project; the
# rcept_no is not given there; contract date 2026-06-22).
SUPPLY_HYUNDAI: Rows = [
    ["1. 판매ㆍ공급계약 내용", "부산 범천4구역 주택재개발정비사업"],
    ["2. 계약내역", "계약금액 총액(원)", "853,142,656,380"],
    ["", "최근 매출액(원)", "31,062,912,168,499"],
    ["", "매출액 대비(%)", "2.7"],
    ["3. 계약상대", "범천4구역 주택재개발정비사업조합"],
    ["7. 계약(수주)일자", "2026-06-22"],
]

# 연결재무제표기준영업(잠정)실적(공정공시). 빅텍, rcept_no 20260807900376, 2026-08-07
# (viewer text captured 2026-09-08). Units 백만원; turn columns present.
EARNINGS_BIGTEC: Rows = [
    ["실적기간", "당기실적", "2026-04-01 ~ 2026-06-30"],
    ["", "전기실적", "2026-01-01 ~ 2026-03-31"],
    ["", "전년동기실적", "2025-04-01 ~ 2025-06-30"],
    [
        "1. 연결실적내용",
        "구분(단위 : 백만원, %)",
        "당기실적",
        "전기실적",
        "전기대비증감율(%)",
        "흑자적자전환여부",
        "전년동기실적",
        "전년동기대비증감율(%)",
        "흑자적자전환여부",
    ],
    ["매출액", "당해실적", "22,574", "20,943", "7.8", "-", "14,661", "54.0", "-"],
    ["누계실적", "43,517", "-", "-", "-", "29,635", "46.8", "-"],
    ["영업이익", "당해실적", "624", "195", "220.0", "-", "861", "-27.5", "-"],
    ["누계실적", "820", "-", "-", "-", "939", "-12.7", "-"],
    [
        "법인세비용차감전계속사업이익",
        "당해실적",
        "-802",
        "-486",
        "-65.0",
        "-",
        "1,307",
        "-",
        "적자전환",
    ],
    ["누계실적", "-1,289", "-", "-", "-", "920", "-", "적자전환"],
    ["당기순이익", "당해실적", "-567", "-419", "-35.3", "-", "1,232", "-", "적자전환"],
    ["누계실적", "-986", "-", "-", "-", "760", "-", "적자전환"],
]

# 효성중공업, rcept_no 20260424800834 (2026-04-24): the 매출액 row as quoted, the other
# rows CONSTRUCTED in the same shape (△ negatives, as other real filings write them).
EARNINGS_HYOSUNG: Rows = [
    [
        "구분(단위 : 백만원, %)",
        "당기실적",
        "전기실적",
        "전기대비증감율(%)",
        "흑자적자전환여부",
        "전년동기실적",
        "전년동기대비증감율(%)",
        "흑자적자전환여부",
    ],
    ["매출액", "당해실적", "1,358,209", "1,742,956", "-22.07", "-", "1,076,135", "26.21", "-"],
    ["영업이익", "당해실적", "112,000", "150,000", "△25.33", "-", "△5,000", "-", "흑자전환"],
    ["당기순이익", "당해실적", "80,000", "100,000", "-20.00", "-", "60,000", "33.33", "-"],
    [
        "지배기업 소유주지분 순이익",
        "당해실적",
        "78,000",
        "97,000",
        "-19.59",
        "-",
        "58,000",
        "34.48",
        "-",
    ],
]

# Older form (2019, quarter labels like ('18.4Q), no turn columns); values
# CONSTRUCTED, unit 억원.
EARNINGS_OLD_FORM: Rows = [
    [
        "구분(단위 : 억원, %)",
        "당기실적('18.4Q)",
        "전기실적('18.3Q)",
        "전기대비증감율(%)",
        "전년동기실적('17.4Q)",
        "전년동기대비증감율(%)",
    ],
    ["매출액", "당해실적", "28,000", "25,000", "12.0", "25,000", "12.0"],
    ["영업이익", "당해실적", "4,123", "3,500", "17.8", "3,054", "35.0"],
    ["당기순이익", "당해실적", "3,000", "2,800", "7.1", "2,500", "20.0"],
]

# 현금ㆍ현물배당결정 labels as two viewer scrapers read them (1. 배당구분 … 10.
# 이사회결의일); values CONSTRUCTED.
DIVIDEND: Rows = [
    ["1. 배당구분", "결산배당"],
    ["2. 배당종류", "현금배당"],
    ["- 현물자산의 상세내역", "-"],
    ["3. 1주당 배당금(원)", "보통주식", "1,002"],
    ["", "종류주식", "1,003"],
    ["- 차등배당 여부", "미해당"],
    ["4. 시가배당율(%)", "보통주식", "0.5"],
    ["", "종류주식", "0.6"],
    ["5. 배당금총액(원)", "145,262,134,000"],
    ["6. 배당기준일", "2026-12-31"],
    ["7. 배당금지급 예정일자", "-"],
    ["8. 주주총회 개최여부", "개최"],
    ["9. 주주총회 예정일자", "-"],
    ["10. 이사회결의일(결정일)", "2027-01-29"],
]

# 시가배당율 "-" (378 such filings in one corpus): CONSTRUCTED from DIVIDEND.
DIVIDEND_NO_YIELD: Rows = [
    ["4. 시가배당율(%)", "보통주식", "-"] if r[:1] == ["4. 시가배당율(%)"] else r for r in DIVIDEND
]

# 타법인주식및출자증권취득결정 (exchange form). Labels follow the exchange form, whose
# items mirror DS005 otcprStkInvscrInhDecsn; values CONSTRUCTED.
STAKE_ACQUISITION: Rows = [
    ["1. 발행회사", "회사명", "업스테이지"],
    ["", "국적", "대한민국"],
    ["", "대표자", "김성훈"],
    ["", "자본금(원)", "5,000,000,000"],
    ["", "회사와 관계", "-"],
    ["", "발행주식총수(주)", "10,000,000"],
    ["", "주요사업", "인공지능 소프트웨어 개발"],
    ["2. 취득내역", "취득주식수(주)", "1,000,000"],
    ["", "취득금액(원)", "100,000,000,000"],
    ["", "자기자본(원)", "2,000,000,000,000"],
    ["", "자기자본대비(%)", "5.0"],
    ["", "대기업 여부", "해당"],
    ["3. 취득후 소유주식수 및 지분비율", "소유주식수(주)", "1,000,000"],
    ["", "지분비율(%)", "10.0"],
    ["4. 취득방법", "현금취득"],
    ["5. 취득목적", "AI 사업 협력 강화"],
    ["6. 취득예정일자", "2026-12-15"],
]

STAKE_DISPOSAL: Rows = [
    ["1. 발행회사", "회사명", "라인야후"],
    ["", "국적", "일본"],
    ["", "주요사업", "인터넷 서비스"],
    ["2. 처분내역", "처분주식수(주)", "5,000,000"],
    ["", "처분금액(원)", "250,000,000,000"],
    ["", "자기자본(원)", "25,000,000,000,000"],
    ["", "자기자본대비(%)", "1.0"],
    ["3. 처분후 소유주식수 및 지분비율", "소유주식수(주)", "0"],
    ["", "지분비율(%)", "0"],
    ["4. 처분목적", "투자금 회수"],
    ["5. 처분예정일자", "2026-12-20"],
]

# 신규시설투자등: the exchange form's items (not checked against a stored filing);
# values CONSTRUCTED.
FACILITY: Rows = [
    ["1. 투자구분", "신규시설투자"],
    ["2. 투자내역", "투자금액(원)", "500,000,000,000"],
    ["", "자기자본(원)", "25,000,000,000,000"],
    ["", "자기자본대비(%)", "2.0"],
    ["3. 투자목적", "AI 데이터센터 구축"],
    ["4. 투자기간", "시작일", "2026-01-15"],
    ["", "종료일", "2027-06-30"],
]

# 정정사항 table of an amendment body (정정대상 공시서류 / 최초제출일 / 정정사항 with
# 항목 · 정정사유 · 정정 전 · 정정 후), as the research notes describe amendments.
CORRECTION_TABLE: Rows = [
    ["항목", "정정사유", "정정 전", "정정 후"],
    ["2. 계약내역 - 계약금액(원)", "단순 오기", "44,200,000,000", "45,100,000,000"],
]

# 기업설명회(IR)개최(안내공시): KOSPI form (1. 일시 및 장소) and KOSDAQ form (header row
# 시작일/종료일/시작시간/종료시간). KT rcept_no 20260504800404 is a real title; values
# CONSTRUCTED.
IR_KOSPI: Rows = [
    ["1. 일시 및 장소", "일시", "2026-08-05 16:00"],
    ["", "장소", "컨퍼런스콜"],
    ["2. 참가대상", "국내외 기관투자자"],
    ["3. 개최목적", "2026년 2분기 실적 발표"],
    ["4. 개최방법", "컨퍼런스콜"],
]
IR_KOSDAQ: Rows = [
    ["1. 일시", "시작일", "종료일", "시작시간", "종료시간"],
    ["", "2026-07-29", "2026-07-29", "14:00", "15:00"],
    ["2. 실시목적", "기업 이해도 제고"],
    ["3. 실시방법", "대면 설명회"],
]

# 최대주주등소유주식변동신고서: per-person change table; the research notes confirm only
# the 변동원인 column, so the header is CONSTRUCTED around it (INFERRED labels).
MAJOR_SHAREHOLDER: Rows = [
    ["성명", "관계", "변동일", "변동원인", "변동전", "증감", "변동후", "비고"],
    ["홍길동", "최대주주 본인", "2026-01-12", "장내매수", "1,000,000", "20,000", "1,020,000", "-"],
    ["김철수", "특수관계인", "2026-01-13", "증여", "50,000", "△5,000", "45,000", "-"],
]

# 주식소각결정 (exchange form items); values CONSTRUCTED.
SHARE_CANCELLATION: Rows = [
    ["1. 소각할 주식의 종류와 수", "보통주식(주)", "1,500,000"],
    ["", "종류주식(주)", "-"],
    ["2. 발행주식총수", "보통주식(주)", "150,000,000"],
    ["3. 1주당 가액(원)", "100"],
    ["4. 소각예정금액(원)", "300,000,000,000"],
    ["5. 소각할 주식의 취득방법", "기취득 자기주식"],
    ["6. 소각 예정일", "2026-02-10"],
]

# 유형자산처분결정 (exchange form items); values CONSTRUCTED.
ASSET_DISPOSAL: Rows = [
    ["1. 자산구분", "토지 및 건물"],
    ["- 자산명", "분당 사옥"],
    ["2. 처분내역", "처분금액(원)", "120,000,000,000"],
    ["", "자산총액(원)", "40,000,000,000,000"],
    ["", "자산총액대비(%)", "0.3"],
    ["3. 처분목적", "자산 효율화"],
    ["4. 거래상대방", "한국리츠"],
    ["5. 처분예정일자", "2026-03-31"],
]

# A subsidiary's decision filed by the parent ("(자회사의 주요경영사항)"): the subsidiary
# is named in the body (label CONSTRUCTED; the research notes confirm only that the
# body names it).
SUPPLY_SUBSIDIARY: Rows = [["- 자회사명", "SK브로드밴드"], *SUPPLY_KOSPI]
