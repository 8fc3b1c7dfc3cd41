"""Pure parsers over real OpenDART payloads (docs/opendart.md) and the oddities
seen in the wild; plus fuzzing: no input raises anything but a typed DartError."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.opendart import errors
from monitor.opendart.parsing import (
    decode_document,
    document_text,
    parse_company,
    parse_corp_codes,
    parse_document,
    parse_list_page,
)

MARKET_3 = (
    '{"status":"000","message":"정상","page_no":1,"page_count":3,"total_count":15232,'
    '"total_page":5078,"list":[{"corp_code":"01688425","corp_name":"케이비오토제오차유동화전문유한회사",'
    '"stock_code":"","corp_cls":"E","report_nm":"[기재정정]자산유동화계획의등록신청서[신탁회사(은행신탁계정포함)]",'
    '"rcept_no":"20230208000631","flr_nm":"한국씨티은행","rcept_dt":"20230208","rm":""},'
    '{"corp_code":"01688425","corp_name":"케이비오토제오차유동화전문유한회사","stock_code":"",'
    '"corp_cls":"E","report_nm":"[기재정정]자산유동화계획의등록신청서[신탁회사(은행신탁계정포함)]",'
    '"rcept_no":"20230207000457","flr_nm":"한국씨티은행","rcept_dt":"20230207","rm":"정"},'
    '{"corp_code":"01688425","corp_name":"케이비오토제오차유동화전문유한회사","stock_code":"",'
    '"corp_cls":"E","report_nm":"[기재정정]자산유동화계획의등록신청서[신탁회사(은행신탁계정포함)]",'
    '"rcept_no":"20230127000459","flr_nm":"한국씨티은행","rcept_dt":"20230127","rm":"정"}]}'
).encode()

SAMSUNG_3 = (
    '{"status":"000","message":"정상","page_no":1,"page_count":3,"total_count":15,"total_page":5,'
    '"list":[{"corp_code":"00126380","corp_name":"삼성전자","stock_code":"005930","corp_cls":"Y",'
    '"report_nm":"최대주주등소유주식변동신고서","rcept_no":"20230207800704","flr_nm":"삼성전자",'
    '"rcept_dt":"20230207","rm":"유"},{"corp_code":"00126380","corp_name":"삼성전자",'
    '"stock_code":"005930","corp_cls":"Y","report_nm":"주식등의대량보유상황보고서(일반)",'
    '"rcept_no":"20230203000495","flr_nm":"삼성물산","rcept_dt":"20230203","rm":""},'
    '{"corp_code":"00126380","corp_name":"삼성전자","stock_code":"005930","corp_cls":"Y",'
    '"report_nm":"임원ㆍ주요주주특정증권등소유상황보고서","rcept_no":"20230202000366","flr_nm":"송재혁",'
    '"rcept_dt":"20230202","rm":""}]}'
).encode()

PROBE_2026 = (
    '{"status":"000","message":"정상","page_no":1,"page_count":1,"total_count":3456,"total_page":3456,'
    '"list":[{"corp_code":"01928794","corp_name":"토스인컴","stock_code":"","corp_cls":"E",'
    '"report_nm":"대규모기업집단현황공시[연1회공시및1/4분기용(개별회사)]","rcept_no":"20260528000291",'
    '"flr_nm":"토스인컴","rcept_dt":"20260528","rm":"공"}]}'
).encode()


def _row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "corp_code": "00266961",
        "corp_name": "NAVER",
        "stock_code": "035420",
        "corp_cls": "Y",
        "report_nm": "기타경영사항(자율공시)",
        "rcept_no": "20260115800123",
        "flr_nm": "NAVER",
        "rcept_dt": "20260115",
        "rm": "유",
    }
    row.update(over)
    return row


def _page(rows: list[object], **over: object) -> bytes:
    body: dict[str, object] = {
        "status": "000",
        "message": "정상",
        "page_no": 1,
        "page_count": 100,
        "total_count": len(rows),
        "total_page": 1,
        "list": rows,
    }
    body.update(over)
    return json.dumps(body, ensure_ascii=False).encode()


# ------------------------------------------------------------------------- list.json
def test_real_market_page_parses_with_integer_paging_and_empty_stock_code() -> None:
    page = parse_list_page(MARKET_3)
    assert (page.page_no, page.page_count, page.total_count, page.total_page) == (1, 3, 15232, 5078)
    assert [r.rcept_no for r in page.rows] == ["20230208000631", "20230207000457", "20230127000459"]
    assert [r.rm for r in page.rows] == ["", "정", "정"]
    assert page.rows[0].stock_code is None
    assert page.rejected == ()


def test_real_company_page_keeps_krx_receipt_numbers_and_filer() -> None:
    page = parse_list_page(SAMSUNG_3)
    first, second, third = page.rows
    assert first.rcept_no == "20230207800704" and first.rm == "유"
    assert second.flr_nm == "삼성물산"  # a filing ABOUT Samsung filed by another company
    assert "ㆍ" in third.report_nm
    assert parse_list_page(PROBE_2026).rows[0].rm == "공"


def test_report_nm_trailing_space_is_stripped() -> None:
    page = parse_list_page(_page([_row(report_nm="주요사항보고서(자기주식취득결정) ")]))
    assert page.rows[0].report_nm == "주요사항보고서(자기주식취득결정)"


def test_013_is_an_empty_page_not_an_error() -> None:
    page = parse_list_page('{"status":"013","message":"조회된 데이타가 없습니다."}'.encode())
    assert page.empty and page.rows == ()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("010", errors.InvalidKey),
        ("011", errors.InvalidKey),
        ("012", errors.InvalidKey),
        ("901", errors.InvalidKey),
        ("020", errors.QuotaExceeded),
        ("800", errors.TransientDartError),
        ("900", errors.TransientDartError),
        ("100", errors.InvalidRequest),
        ("101", errors.InvalidRequest),
        ("021", errors.InvalidRequest),
        ("999", errors.InvalidRequest),
    ],
)
def test_status_bodies_become_typed_errors(status: str, kind: type[Exception]) -> None:
    body = json.dumps({"status": status, "message": "메시지"}, ensure_ascii=False).encode()
    with pytest.raises(kind) as caught:
        parse_list_page(body)
    assert caught.value.status == status  # type: ignore[attr-defined]


def test_fatal_and_retry_classes_do_not_overlap() -> None:
    for status in ("010", "011", "012", "901", "020", "100"):
        assert not errors.error_for_status(status, "").retryable
    for status in ("800", "900"):
        assert errors.error_for_status(status, "").retryable


def test_quota_error_resumes_at_next_midnight_kst() -> None:
    from datetime import datetime

    from monitor.core.kcalendar import KST

    at = datetime(2026, 1, 15, 23, 59, tzinfo=KST)
    assert errors.next_quota_reset(at) == datetime(2026, 1, 16, 0, 0, tzinfo=KST)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>502 Bad Gateway</title></head></html>",
        b'{"status":"000","message":"\xec\xa0\x95\xec\x83\x81","page_no":1,"lis',
        b'{"status":"000",,}',
        b"\xff\xfe garbage",
    ],
)
def test_html_and_broken_json_are_transient(body: bytes) -> None:
    with pytest.raises(errors.TransientDartError):
        parse_list_page(body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_page([], total_count="many"), "total_count"),
        (_page([], list=None), "list"),
        (b'{"status":13}', "status"),
        (b"[1,2]", "JSON object"),
    ],
)
def test_broken_page_frame_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(errors.BadPayload) as caught:
        parse_list_page(body)
    assert field in str(caught.value)
    assert caught.value.retryable  # a glitch; bounded retries, then a failed poll


def test_bad_rows_are_rejected_with_a_reason_and_good_rows_kept() -> None:
    rows = [
        _row(),
        _row(rcept_no=20260115000001),  # wrong type
        _row(corp_code="266961"),
        _row(rcept_dt="2026-01-15"),
        _row(report_nm="   "),
        "not an object",
        {k: v for k, v in _row().items() if k != "corp_name"},
    ]
    page = parse_list_page(_page(rows))
    assert [r.rcept_no for r in page.rows] == ["20260115800123"]
    reasons = [r.reason for r in page.rejected]
    assert len(reasons) == 6
    assert "rcept_no" in reasons[0]
    assert "corp_code" in reasons[1]
    assert "rcept_dt" in reasons[2]
    assert "report_nm" in reasons[3]
    assert "not an object" in reasons[4]
    assert "corp_name" in reasons[5]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    ["status", "list", "page_no", "total_page", "rcept_no", "corp_code", "rm"]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=15,
    )
)
def test_fuzzed_list_payloads_raise_only_typed_errors(payload: object) -> None:
    body = json.dumps(payload).encode()
    try:
        page = parse_list_page(body)
    except errors.DartError:
        return
    for bad in page.rejected:
        assert bad.reason


@settings(max_examples=100)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_raise_only_typed_errors(body: bytes) -> None:
    with pytest.raises(errors.DartError):
        parse_list_page(body + b"\x00not json")


# ------------------------------------------------------------------------- company.json
def test_company_json_flat_fields() -> None:
    body = json.dumps(
        {
            "status": "000",
            "message": "정상",
            "corp_code": "00126380",
            "corp_name": "삼성전자(주)",
            "corp_name_eng": "SAMSUNG ELECTRONICS CO,.LTD",
            "stock_name": "삼성전자",
            "stock_code": "005930",
            "ceo_nm": "한종희, 경계현",
            "corp_cls": "Y",
            "ir_url": "",
            "acc_mt": "12",
        },
        ensure_ascii=False,
    ).encode()
    info = parse_company(body)
    assert info is not None and info.corp_name_eng == "SAMSUNG ELECTRONICS CO,.LTD"
    assert parse_company('{"status":"013","message":"조회된 데이타가 없습니다."}'.encode()) is None


# ------------------------------------------------------------------------- corpCode.xml
CORPCODE_2023 = """<?xml version="1.0" encoding="UTF-8"?>
<result>
    <list>
        <corp_code>00434003</corp_code>
        <corp_name>다코</corp_name>
        <stock_code> </stock_code>
        <modify_date>20170630</modify_date>
    </list>
    <list>
        <corp_code>00266961</corp_code>
        <corp_name>NAVER</corp_name>
        <stock_code>035420</stock_code>
        <modify_date>20230110</modify_date>
    </list>
</result>"""

CORPCODE_2025 = """<?xml version="1.0" encoding="UTF-8"?>
<result>
    <list>
        <corp_code>00181712</corp_code>
        <corp_name>SK</corp_name>
        <corp_eng_name>SK Inc.</corp_eng_name>
        <stock_code>034730</stock_code>
        <modify_date>20250328</modify_date>
        <unknown_future_field>x</unknown_future_field>
    </list>
    <list>
        <corp_code>00144155</corp_code>
        <corp_name>SK</corp_name>
        <corp_eng_name></corp_eng_name>
        <stock_code>003600</stock_code>
        <modify_date>20150801</modify_date>
    </list>
</result>"""


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_corpcode_both_shapes() -> None:
    old = parse_corp_codes(_zip({"CORPCODE.xml": CORPCODE_2023.encode()}))
    assert [(e.corp_code, e.stock_code, e.corp_eng_name) for e in old] == [
        ("00434003", None, None),
        ("00266961", "035420", None),
    ]
    new = parse_corp_codes(_zip({"CORPCODE.xml": CORPCODE_2025.encode()}))
    assert [(e.corp_code, e.corp_name, e.corp_eng_name) for e in new] == [
        ("00181712", "SK", "SK Inc."),
        ("00144155", "SK", None),
    ]


def test_corpcode_xml_error_body_is_typed_not_badzip() -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<result><status>020</status><message>요청 제한을 초과하였습니다.</message></result>"
    ).encode()
    with pytest.raises(errors.QuotaExceeded):
        parse_corp_codes(body)
    with pytest.raises(errors.InvalidKey):
        parse_corp_codes(body.replace(b"020", b"010"))


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\x1f\x8b\x08\x00junk", errors.BadPayload),
        (b"PK\x03\x04" + bytes(64), errors.BadPayload),
        (b"<html><body>502</body></html>", errors.TransientDartError),
        (_zip({"readme.txt": b"hi"}), errors.BadPayload),
        (_zip({"CORPCODE.xml": b"<result><list><corp_code>1"}), errors.BadPayload),
        (
            _zip({"CORPCODE.xml": b'<!DOCTYPE r [<!ENTITY a "aaaa">]><result>&a;</result>'}),
            errors.BadPayload,
        ),
    ],
)
def test_corpcode_bad_archives(body: bytes, kind: type[Exception]) -> None:
    with pytest.raises(kind):
        parse_corp_codes(body)


# ------------------------------------------------------------------------- document.xml
DOC = """<?xml version="1.0" encoding="utf-8"?>
<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:noNamespaceSchemaLocation="dart3.xsd">
<DOCUMENT-NAME ACODE="11012">반기보고서</DOCUMENT-NAME>
<COMPANY-NAME AREGCIK="00126380">삼성전자주식회사</COMPANY-NAME>
<BODY><P>인공지능&amp;반도체   투자 &lt;결정&gt;</P>
<TABLE><TR><TD>GPU</TD><TD>1,000</TD></TR></TABLE></BODY>
</DOCUMENT>"""


def test_document_text_extracts_and_unescapes() -> None:
    text = document_text(DOC, 10_000)
    assert text.startswith("반기보고서 삼성전자주식회사")
    assert "인공지능&반도체 투자 <결정>" in text
    assert "GPU 1,000" in text
    assert "<" not in text.replace("<결정>", "")
    assert document_text(DOC, 5) == "반기보고서"[:5]


def test_document_decoding_utf8_then_cp949() -> None:
    assert decode_document("인공지능".encode()) == "인공지능"
    assert decode_document("인공지능 똠방각하".encode("cp949")) == "인공지능 똠방각하"
    assert decode_document(b"\xef\xbb\xbf" + "가".encode()) == "가"
    assert isinstance(decode_document(b"\xff\xff\xff\x80"), str)


def test_document_zip_main_member_first_and_euc_kr_body() -> None:
    rcept = "20260115000001"
    body = _zip(
        {
            f"{rcept}_00760.xml": "<P>첨부 감사보고서</P>".encode(),
            f"{rcept}.xml": DOC.replace("utf-8", "utf-8").encode("cp949"),
        }
    )
    doc = parse_document(body, rcept, max_bytes=1_000_000)
    assert doc.text.startswith("반기보고서")
    assert doc.text.endswith("첨부 감사보고서")
    assert doc.members[0] == f"{rcept}.xml"
    assert not doc.truncated


def test_document_caps_and_errors() -> None:
    rcept = "20260115000001"
    big = _zip({f"{rcept}.xml": ("<P>" + "가나다 " * 50_000 + "</P>").encode()})
    doc = parse_document(big, rcept, max_bytes=10_000_000, max_chars=1000)
    assert len(doc.text) == 1000 and doc.truncated
    with pytest.raises(errors.FileMissing):
        parse_document(
            "<result><status>014</status><message>없음</message></result>".encode(),
            rcept,
            max_bytes=1000,
        )
    with pytest.raises(errors.BadPayload):
        parse_document(b"not a zip", rcept, max_bytes=1000)
