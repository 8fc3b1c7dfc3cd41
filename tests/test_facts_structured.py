"""DS005 and DS004 rows to facts (pure), on rows OpenDART really sent (sources named
per row; docs/facts.md lists them)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.facts.structured import ds004_facts, ds005_endpoints, ds005_facts, pick_row
from monitor.facts.summary import summarize

# 현대자동차 tsstkAqDecsn, 2019-10-25 (field-by-field values quoted in a developer note).
HYUNDAI_BUYBACK = {
    "rcept_no": "20191025000000",
    "aq_dd": "2019년 10월 25일",
    "aqpln_stk_ostk": "2,136,681",
    "aqpln_stk_estk": "632,707",
    "aqpln_prc_ostk": "259,606,741,500",
    "aqpln_prc_estk": "48,811,874,300",
    "aqexpd_bgd": "2019년 10월 25일",
    "aqexpd_edd": "2019년 11월 27일",
    "aq_pp": "자기주식 취득을 통한 주주가치 제고",
    "aq_mth": "장내매수",
    "cs_iv_bk": "현대차증권",
    "unknown_new_key": "ignored",
}

# 3S piicDecsn, rcept_no 20190221000921 (OpenDART output reproduced in a developer note).
THREE_S_RIGHTS_ISSUE = {
    "rcept_no": "20190221000921",
    "corp_cls": "K",
    "corp_code": "00378363",
    "corp_name": "3S",
    "nstk_ostk_cnt": "376,265",
    "nstk_estk_cnt": "-",
    "fv_ps": "500",
    "bfic_tisstk_ostk": "44,395,878",
    "bfic_tisstk_estk": "-",
    "fdpp_fclt": "-",
    "fdpp_bsninh": "-",
    "fdpp_op": "783,393,850",
    "fdpp_dtrp": "-",
    "fdpp_ocsa": "-",
    "fdpp_etc": "3,000,000",
    "ic_mthn": "제3자배정증자",
    "ssl_at": "-",
    "ssl_bgd": "-",
    "ssl_edd": "-",
}

# 이스트소프트 exbdIsDecsn, rcept_no 20191212000301 (OpenDartReader users guide output).
ESTSOFT_EB = {
    "rcept_no": "20191212000301",
    "bddd": "2019년 12월 10일",
    "ex_rt": "100",
    "ex_prc": "5,080",
    "extg": "줌인터넷 주식회사 보통주식",
    "extg_stkcnt": "1,181,102",
    "extg_tisstk_vs": "4.60",
    "exrqpd_bgd": "2019년 12월 13일",
    "exrqpd_edd": "2022년 12월 05일",
    "fdpp_fclt": "-",
}

# 미원상사 tsstkDpDecsn, 2019-04-29 (quoted values).
MIWON_DISPOSAL = {
    "rcept_no": "20190429000000",
    "dp_dd": "2019년 04월 29일",
    "dppln_stk_ostk": "846",
    "dpstk_prc_ostk": "43,350",
    "dppln_prc_ostk": "36,674,100",
    "dp_m_otc": "846",
}

# 삼성전자 DS004 rows (OpenDartReader users guide notebook output).
SAMSUNG_MAJORSTOCK = {
    "rcept_no": "20210503000505",
    "rcept_dt": "2021-05-03",
    "report_tp": "일반",
    "repror": "삼성물산",
    "stkqy": "1,263,039,758",
    "stkqy_irds": "-3,582,011",
    "stkrt": "21.16",
    "stkrt_irds": "-0.06",
    "ctr_stkqy": "88,577,273",
    "ctr_stkrt": "1.48",
    "report_resn": "- 특별관계자 및 보유주식수 변동\n- 보유주식등에 관한 계약의 체결",
}
SAMSUNG_ELESTOCK = {
    "rcept_no": "20201104000114",
    "rcept_dt": "2020-11-04",
    "repror": "국민연금공단",
    "isu_exctv_rgist_at": "-",
    "isu_exctv_ofcps": "-",
    "isu_main_shrholdr": "10%이상주주",
    "sp_stock_lmp_cnt": "658,486,630",
    "sp_stock_lmp_irds_cnt": "-2,570,841",
    "sp_stock_lmp_rate": "9.69",
    "sp_stock_lmp_irds_rate": "-0.04",
}


def test_buyback_contract_keys_from_a_real_row() -> None:
    facts = ds005_facts("tsstkAqDecsn", "buyback", HYUNDAI_BUYBACK)
    values = facts.values()
    assert values["shares"] == 2_136_681 + 632_707
    assert values["amount_krw"] == 259_606_741_500 + 48_811_874_300
    assert values["period_start"] == "2019-10-25"
    assert values["period_end"] == "2019-11-27"
    assert values["method"] == "장내매수"
    assert values["purpose"] == "자기주식 취득을 통한 주주가치 제고"
    assert {f.source for f in facts.facts} == {"ds005"}
    assert (
        summarize(facts) == "자사주 2,769,388주(3,084억원) 취득 · 2019-10-25~2019-11-27 · 장내매수"
    )
    assert summarize(facts, "en") == (
        "Buyback of 2,769,388 shares (KRW 308.4bn) · 2019-10-25–2019-11-27 · on-market"
    )


def test_rights_issue_sums_funding_purposes_and_dilution() -> None:
    facts = ds005_facts("piicDecsn", "capital_increase", THREE_S_RIGHTS_ISSUE)
    assert facts.get("amount_krw") == 783_393_850 + 3_000_000
    assert facts.get("shares") == 376_265
    assert facts.get("dilution_pct") == round(376_265 / 44_395_878 * 100, 2)
    assert facts.get("method") == "제3자배정증자"
    assert facts.get("new_shares_other") is None  # "-"


def test_exchangeable_bond_and_disposal_rows() -> None:
    eb = ds005_facts("exbdIsDecsn", "exchangeable_bond", ESTSOFT_EB)
    assert eb.get("conversion_price_krw") == 5080
    assert eb.get("dilution_pct") == 4.6
    assert eb.get("exercise_end") == "2022-12-05"
    assert eb.get("exchange_target") == "줌인터넷 주식회사 보통주식"
    disposal = ds005_facts("tsstkDpDecsn", "treasury_disposal", MIWON_DISPOSAL)
    assert disposal.get("shares") == 846
    assert disposal.get("amount_krw") == 36_674_100
    assert disposal.get("decision_date") == "2019-04-29"


def test_stake_acquisition_contract_keys() -> None:
    row = {
        "rcept_no": "20260909000286",
        "iscmp_cmpnm": "예시AI",
        "inhdtl_inhprc": "12,000,000,000",
        "inhdtl_ecpt_vs": "3.5",
        "atinh_eqrt": "19.9",
        "inh_pp": "AI 사업 확대",
    }
    facts = ds005_facts("otcprStkInvscrInhDecsn", "stake_acquisition", row)
    assert {
        k: facts.get(k) for k in ("target", "amount_krw", "equity_ratio_pct", "stake_after_pct")
    } == {
        "target": "예시AI",
        "amount_krw": 12_000_000_000,
        "equity_ratio_pct": 3.5,
        "stake_after_pct": 19.9,
    }


def test_an_empty_or_odd_row_has_no_facts_and_says_why() -> None:
    facts = ds005_facts("tsstkAqDecsn", "buyback", {"rcept_no": "1", "aq_pp": "-", "x": ["list"]})
    assert facts.status == "none"
    assert "no usable values" in facts.reason
    unknown = ds005_facts("noSuchDecsn", "buyback", HYUNDAI_BUYBACK)
    assert unknown.status == "none"


def test_every_ds005_family_endpoint_has_a_field_table() -> None:
    from monitor.facts.routing import _families

    endpoints = {f.endpoint for f in _families() if f.source == "ds005"}
    assert endpoints <= set(ds005_endpoints())


def test_ds004_rows() -> None:
    major = ds004_facts("majorstock", "major_holding", SAMSUNG_MAJORSTOCK)
    assert major.get("holder") == "삼성물산"
    assert major.get("stake_pct") == 21.16
    assert major.get("stake_change_pct") == -0.06
    assert major.get("shares_change") == -3_582_011
    assert summarize(major) is not None and "21.16%" in str(summarize(major))
    insider = ds004_facts("elestock", "insider_holding", SAMSUNG_ELESTOCK)
    assert insider.get("shares") == 658_486_630
    assert insider.get("shares_change") == -2_570_841
    assert insider.get("position") is None  # "-"
    assert insider.get("major_shareholder") == "10%이상주주"


def test_pick_row_joins_on_rcept_no_only() -> None:
    rows = [SAMSUNG_MAJORSTOCK, {**SAMSUNG_MAJORSTOCK, "rcept_no": "20210504000163"}]
    assert pick_row(rows, "20210504000163") is rows[1]
    assert pick_row(rows, "20210503") is None


_values = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789,.-△% 년월일~")), max_size=20),
    st.text(max_size=10),
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(
    endpoint=st.sampled_from(sorted(ds005_endpoints())),
    row=st.dictionaries(
        st.sampled_from(
            [
                "rcept_no",
                "aqpln_stk_ostk",
                "aqpln_prc_ostk",
                "aqexpd_bgd",
                "nstk_ostk_cnt",
                "bfic_tisstk_ostk",
                "fdpp_op",
                "inhdtl_inhprc",
                "atinh_eqrt",
                "bd_fta",
                "cv_prc",
                "mg_rt",
                "dvdt",
                "inh_prc",
                "stkrt",
                "sp_stock_lmp_cnt",
                "x",
            ]
        ),
        _values,
        max_size=8,
    ),
)
def test_no_row_makes_an_extractor_raise(endpoint: str, row: dict[str, object]) -> None:
    facts = ds005_facts(endpoint, "family", row)
    assert facts.status in ("extracted", "none")
    for fact in facts.facts:
        assert isinstance(fact.value, int | float | str)
    for kind in ("majorstock", "elestock"):
        assert ds004_facts(kind, "family", row).status in ("extracted", "none")
