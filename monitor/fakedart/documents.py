"""Bodies of the ZIP endpoints: CORPCODE.xml, DART-XML filing documents, and the
XML error body OpenDART sends instead of a ZIP.

Filing documents are generated from the row (deterministic per ``rcept_no``), in
the shape of DART's ``dart3.xsd`` documents (root ``<DOCUMENT>``). Like the real
ones, they are not always well-formed (a raw ``&``), and some are EUC-KR bytes under
a utf-8 declaration (docs/opendart.md, "document.xml").
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

from monitor.fakedart.model import Company, DartRow

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the real CORPCODE.zip carries this bogus timestamp
LARGE_BODY_BYTES = 200_000


def xml_error(status: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<result><status>{status}</status><message>{escape(message)}</message></result>"
    ).encode()


def _zip(members: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def corpcode_xml(companies: Iterable[Company], with_eng_name: bool) -> bytes:
    """CORPCODE.xml as in the real file: 4-space indent, LF, stock_code " " if unlisted."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<result>"]
    for company in companies:
        lines.append("    <list>")
        lines.append(f"        <corp_code>{company.corp_code}</corp_code>")
        lines.append(f"        <corp_name>{escape(company.corp_name)}</corp_name>")
        if with_eng_name:
            lines.append(f"        <corp_eng_name>{escape(company.corp_eng_name)}</corp_eng_name>")
        lines.append(f"        <stock_code>{company.stock_code or ' '}</stock_code>")
        lines.append(f"        <modify_date>{company.modify_date}</modify_date>")
        lines.append("    </list>")
    lines.append("</result>")
    return ("\n".join(lines) + "\n").encode()


def corpcode_zip(companies: Iterable[Company], with_eng_name: bool) -> bytes:
    return _zip([("CORPCODE.xml", corpcode_xml(companies, with_eng_name))])


_GENERIC = (
    "당사는 관련 법령 및 공시규정에 따라 위와 같이 공시합니다.",
    "상기 내용은 이사회 결의일 현재 기준으로 작성되었으며, "
    "향후 변동이 있을 경우 재공시할 예정입니다.",
    "본 공시와 관련된 세부 사항은 향후 진행 경과에 따라 변경될 수 있습니다.",
    "투자자께서는 본 공시 내용 외에 당사가 제출한 정기보고서 등을 함께 참고하시기 바랍니다.",
    "기타 투자판단에 참고할 사항은 없습니다.",
)


def document_text(row: DartRow, company: Company | None) -> str:
    """The paragraphs of the filing's main section, one per line (the cover table
    with title, company and date comes on top of them)."""
    if row.document.text is not None:
        return row.document.text
    rng = random.Random(f"doc:{row.rcept_no}")
    parts: list[str] = []
    if row.document.topic:
        parts.append(row.document.topic)
    parts.extend(rng.sample(_GENERIC, 3))
    return "\n".join(parts)


def document_xml(row: DartRow, company: Company | None, extra: str = "") -> str:
    """The main document; *extra* is DART-XML placed after the main section (the
    tables that say what the filing decided)."""
    rng = random.Random(f"doc:{row.rcept_no}")
    title = escape(row.report_nm.strip())
    ceo = escape(company.ceo_nm) if company and company.ceo_nm else ""
    address = escape(company.adres) if company and company.adres else ""
    paragraphs = "".join(
        f"<P>{escape(line)}</P>\n" for line in document_text(row, company).split("\n")
    )
    # Real documents are not always well-formed XML; a raw ampersand is the usual culprit.
    raw_amp = "<P>연구개발(R&D) 관련 사항은 정기보고서를 참고하시기 바랍니다.</P>\n"
    if rng.random() < 0.2:
        paragraphs += raw_amp
    rows = [
        ("1. 제목", title),
        ("2. 회사명", escape(row.corp_name)),
        ("3. 대표이사", ceo),
        ("4. 본점소재지", address),
        ("5. 결정(발생)일자", f"{row.rcept_dt[:4]}-{row.rcept_dt[4:6]}-{row.rcept_dt[6:]}"),
    ]
    table = "".join(
        f'<TR><TD USERMARK="F-14">{label}</TD><TU AUNIT="SUB_ITEM">{value}</TU></TR>\n'
        for label, value in rows
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="dart3.xsd">\n'
        f'<DOCUMENT-NAME ACODE="{rng.randint(10000, 99999)}">{title}</DOCUMENT-NAME>\n'
        f'<FORMULA-VERSION ADATE="{row.rcept_dt}">5.6</FORMULA-VERSION>\n'
        f'<COMPANY-NAME AREGCIK="{row.corp_code}">{escape(row.corp_name)}</COMPANY-NAME>\n'
        '<SUMMARY><EXTRACTION ACODE="COMPANY_NAME">'
        f"{escape(row.corp_name)}</EXTRACTION></SUMMARY>\n"
        "<BODY>\n<COVER>\n"
        f'<COVER-TITLE AASSOCNOTE="D-0-0-0-0">{title}</COVER-TITLE>\n'
        '<TABLE ACLASS="NORMAL" BORDER="1" WIDTH="600"><TBODY>\n'
        f"{table}</TBODY></TABLE>\n</COVER>\n"
        '<SECTION-1 ACLASS="MANDATORY"><TITLE ATOC="Y" AASSOCNOTE="D-0-1-0-0">'
        f"주요 내용</TITLE>\n{paragraphs}</SECTION-1>\n"
    )
    if extra:
        body += (
            '<SECTION-1 ACLASS="MANDATORY"><TITLE ATOC="Y">결정 내용</TITLE>\n'
            f"{extra}\n</SECTION-1>\n"
        )

    if row.document.large:
        cells: list[str] = []
        size = len(body.encode())
        while size < LARGE_BODY_BYTES:
            line = len(cells) + 1
            cell = (
                f"<TR><TD>{line}</TD><TD>항목 {line:05d}</TD>"
                f'<TD ALIGN="RIGHT">{rng.randint(1, 10**9):,}</TD>'
                "<TD>백만원</TD><TD>해당사항 없음</TD></TR>\n"
            )
            cells.append(cell)
            size += len(cell.encode())
        body += (
            '<SECTION-2 ACLASS="MANDATORY"><TITLE ATOC="Y">상세 내역</TITLE>\n'
            '<TABLE BORDER="1"><TBODY>\n' + "".join(cells) + "</TBODY></TABLE>\n</SECTION-2>\n"
        )
    return body + "</BODY>\n</DOCUMENT>\n"


def attachment_xml(row: DartRow) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<DOCUMENT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="dart3.xsd">\n'
        '<DOCUMENT-NAME ACODE="00760">첨부서류</DOCUMENT-NAME>\n'
        f'<COMPANY-NAME AREGCIK="{row.corp_code}">{escape(row.corp_name)}</COMPANY-NAME>\n'
        "<BODY><P>이사회 의사록 사본</P></BODY>\n</DOCUMENT>\n"
    )


def document_zip(row: DartRow, company: Company | None, *, extra: str = "") -> bytes:
    """``{rcept_no}.xml`` (+ ``{rcept_no}_00760.xml``), EUC-KR when the spec says so."""
    if row.document.markup is not None:
        return _zip([(f"{row.rcept_no}.xml", row.document.markup)])
    encoding = "euc-kr" if row.document.euc_kr else "utf-8"
    members = [
        (
            f"{row.rcept_no}.xml",
            document_xml(row, company, extra).encode(encoding, errors="xmlcharrefreplace"),
        )
    ]
    if row.document.attachment:
        members.append(
            (
                f"{row.rcept_no}_00760.xml",
                attachment_xml(row).encode(encoding, errors="xmlcharrefreplace"),
            )
        )
    return _zip(members)
