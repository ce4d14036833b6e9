"""igclaim denials: 835 remittances the tests build (each accepted by pyx12), explained claim by claim, traced to
igclaim edits, matched with the claims that went out, and turned into replacement claims."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from igclaim import engine
from igclaim.cli import app
from igclaim.denials.catalog import catalog
from igclaim.denials.claims import load_claims, plan_corrections, trace
from igclaim.denials.mapping import explain, rules
from igclaim.denials.reader import RemitError, read_835
from igclaim.inputs import parse_encounter
from tests.conftest import run_cli
from tests.remit835 import ClaimPay, Line, build_835, pyx12_check_835
from tests.test_x12 import pyx12_check

ROOT = Path(__file__).resolve().parents[1]
PARTIES = ROOT / "examples" / "parties"
runner = CliRunner()


def co(reason: str, amount: str) -> tuple[str, list[tuple[str, D]]]:
    return ("CO", [(reason, D(amount))])


# --------------------------------------------------------------------------------------------- the scenarios

EVERY_GROUP = ClaimPay("CLM-GROUPS", "1", [
    # Several CAS on one line, one of them with six triplets (the most a CAS carries).
    Line("J1561", D("6000"), 60, ("JZ",), [
        ("CO", [("45", D("1000")), ("253", D("80"))]),
        ("PR", [("1", D("100")), ("2", D("900")), ("3", D("10")), ("1", D("1")), ("2", D("1")), ("3", D("1"))]),
        ("OA", [("23", D("50"))]),
        ("PI", [("16", D("25"))]),
    ], remarks=("M119",), allowed=D("5000")),
    Line("96365", D("200"), 1, (), [co("45", "40")]),
])
PARTIAL = ClaimPay("CLM-PARTIAL", "1", [
    Line("J1561", D("6000"), 60, ("JZ",), [co("45", "1200")]),
    Line("96366", D("300"), 3, (), [co("151", "100"), ("PR", [("2", D("40"))])], remarks=("N362",), paid_units=2),
], payer_icn="ICN-PARTIAL")
ZERO_PAY = ClaimPay("CLM-ZERO", "1", [Line("96365", D("200"), 1, (), [co("45", "50"), ("PR", [("1", D("150"))])])],
                    payer_icn="ICN-ZERO")
DENIED = ClaimPay("CLM-DENIED", "4", [Line("J1561", D("6000"), 60, ("JZ",), [co("197", "6000")])],
                  payer_icn="ICN-DENIED")
REVERSAL = ClaimPay("CLM-PARTIAL", "22", [Line("J1561", D("6000"), 60, ("JZ",), [co("45", "1200")])],
                    payer_icn="ICN-OLD", sign=-1)
CLAIM_LEVEL = ClaimPay("CLM-CLAIMCAS", "2", [Line("J1561", D("1000"), 10, (), [co("45", "100")])],
                       claim_cas=[("OA", [("23", D("700"))])], moa_remarks=("N386",), payer_icn="ICN-C")

SCENARIOS = {
    "every-group": [EVERY_GROUP],
    "partial-zero-denied-reversal": [REVERSAL, PARTIAL, ZERO_PAY, DENIED],
    "claim-level": [CLAIM_LEVEL],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_remittance_passes_pyx12(name):
    assert pyx12_check_835(build_835(SCENARIOS[name])) == []


def test_checker_can_fail():
    """Without the payee loop (1000B, required) pyx12 must reject the file: the check is not vacuous."""
    text = build_835([DENIED])
    broken = re.sub(r"N1\*PE\*[^~]*~\n", "", text)
    assert broken != text
    assert pyx12_check_835(broken)


def read(claims: list[ClaimPay], **kw) -> list:
    remit = read_835(build_835(claims, **kw))[0]
    return [explain(remit, 0, c) for c in remit.claims]


def test_every_group_and_several_cas_per_line_are_read():
    (view,) = read([EVERY_GROUP])
    line = view.lines[0]
    got = [(a.group, a.reason, a.amount) for a in line.adjustments]
    assert got == [("CO", "45", D("1000")), ("CO", "253", D("80")), ("PR", "1", D("100")), ("PR", "2", D("900")),
                   ("PR", "3", D("10")), ("PR", "1", D("1")), ("PR", "2", D("1")), ("PR", "3", D("1")),
                   ("OA", "23", D("50")), ("PI", "16", D("25"))]
    assert view.warnings == []  # the file balances, line and claim
    # Only PI-16 is a denial: CO-45 and CO-253 are the contract, PR the patient, OA-23 another payer.
    assert view.denied_usd == D("25")
    pi = line.adjustments[9]
    assert pi.rule == "ndc" and "DRUG-NDC-MISSING" in pi.edits  # PI-16 with M119 on the line
    assert view.outcome == "partially paid"


def test_group_cr_is_read_with_a_warning():
    """CR (corrections and reversals) was a 4010 group; 005010X221A1 dropped it and pyx12 rejects it. Payers still
    send it: it is read, and the claim says so."""
    claim = ClaimPay("CLM-CR", "1", [Line("J1561", D("100"), 1, (), [("CR", [("45", D("5"))]), co("50", "95")])])
    text = build_835([claim])
    assert any("CAS*CR" in p for p in pyx12_check_835(text))
    (view,) = read([claim])
    assert [a.label for a in view.lines[0].adjustments] == ["CR-45", "CO-50"]
    assert any("group CR" in w for w in view.warnings) and view.denied_usd == D("95")


def test_partial_zero_denied_and_reversal():
    views = {(v.claim_id, v.status): v for v in read([REVERSAL, PARTIAL, ZERO_PAY, DENIED])}
    reversal = views[("CLM-PARTIAL", "22")]
    assert reversal.outcome == "reversal" and reversal.denied_usd == 0 and reversal.paid == D("-4800")
    partial = views[("CLM-PARTIAL", "1")]
    assert partial.outcome == "partially paid" and partial.denied_usd == D("100")
    assert partial.paid == D("6300") - D("1200") - D("140")
    units = partial.lines[1]
    assert units.billed_units == 2 and units.paid_units == 2  # SVC05 is the paid units
    assert units.adjustments[0].rule == "units-maximum"  # CO-151 with N362: the remark-led rule comes first
    zero = views[("CLM-ZERO", "1")]
    assert zero.outcome == "zero pay" and zero.paid == 0 and zero.denied_usd == 0
    assert "the patient's share $150.00" in zero.summary
    denied = views[("CLM-DENIED", "4")]
    assert denied.outcome == "denied" and denied.denied_usd == D("6000") and denied.edits[0] == "AUTH-MISSING"


def test_claim_level_adjustments_and_remarks():
    (view,) = read([CLAIM_LEVEL])
    assert view.lines[0].line is None and view.lines[0].adjustments[0].label == "OA-23"
    assert [r.code for r in view.remarks] == ["N386"] and view.remarks[0].known
    assert view.status_meaning == "processed as secondary"


@pytest.mark.parametrize("where", ["line", "claim"])
def test_a_claim_level_remark_explains_the_lines_adjustments(where):
    """A remark at the claim's level (MOA) speaks for the claim's adjustments as a line's own (LQ) does for its
    line: CO-16 with M119 (the NDC missing or invalid) is the NDC rule either way, not a generic missing field."""
    line_remarks, moa = (("M119",), ()) if where == "line" else ((), ("M119",))
    claim = ClaimPay("CLM-MOA", "1", [Line("J1561", D("500"), 10, (), [co("16", "500")], remarks=line_remarks)],
                     moa_remarks=moa)
    adj = read([claim])[0].lines[0].adjustments[0]
    assert adj.rule == "ndc" and "DRUG-NDC-MISMATCH" in adj.edits


def test_unknown_codes_are_reported_not_guessed():
    claim = ClaimPay("CLM-UNK", "1", [Line("J1561", D("100"), 1, (), [co("Z9", "30")], remarks=("N9999",))])
    (view,) = read([claim])
    adj = view.lines[0].adjustments[0]
    assert not adj.reason_known and adj.kind == "unknown" and "unknown reason code Z9" in adj.meaning
    assert adj.rule is None and adj.edits == [] and not adj.denied
    assert view.unexplained_usd == D("30") and view.denied_usd == 0
    assert not view.lines[0].remarks[0].known and "does not guess" in view.lines[0].remarks[0].meaning


def test_a_remark_may_explain_an_unknown_reason_code():
    """N362 says the units exceed the maximum, whatever the (unknown) reason code: traced, not counted denied."""
    claim = ClaimPay("CLM-UNK2", "1", [Line("J1561", D("100"), 1, (), [co("Z9", "30")], remarks=("N362",))])
    adj = read([claim])[0].lines[0].adjustments[0]
    assert adj.rule == "units-maximum" and not adj.denied


@pytest.mark.parametrize("decided,retired", [("20160430", False), ("20160501", True)])
def test_a_retired_code_is_dated(decided, retired):
    """CARC B5 stopped on 2016-05-01 (replaced by 272/273): a remittance of that day or later is told so."""
    claim = ClaimPay("CLM-B5", "1", [Line("J1561", D("100"), 1, (), [co("B5", "100")])])
    adj = read([claim], date=decided)[0].lines[0].adjustments[0]
    assert adj.reason_known
    assert (adj.note is not None and "retired on 2016-05-01" in adj.note) is retired


@pytest.mark.parametrize("group,reason,remarks,rule,edit", [
    ("CO", "16", ("M119",), "ndc", "DRUG-NDC-MISMATCH"),
    ("CO", "16", ("M119",), "ndc", "DRUG-NDC-QUANTITY"),
    ("CO", "58", (), "place-of-service", "FORM-SETTING"),
    ("CO", "58", (), "place-of-service", "HOME-PLACE"),
    ("CO", "58", (), "place-of-service", "HOME-PUMP-PLACE"),
    ("CO", "16", (), "generic-missing-information", None),
    ("CO", "50", (), "medical-necessity", "DX-NOT-COVERED"),
    ("CO", "197", (), "authorization-absent", "AUTH-MISSING"),
    ("CO", "151", (), "units-frequency", "DRUG-MUE"),
    ("CO", "96", ("N362",), "units-maximum", "DRUG-UNITS"),
    ("CO", "4", (), "modifiers", "DRUG-JZ-MISSING"),
    ("CO", "11", (), "diagnosis", "DX-NOT-COVERED"),
    ("CO", "189", (), "nos-code", "DRUG-NOS-CODE"),
    ("CO", "153", (), "dosage", "DRUG-UNITS"),
    ("CO", "152", (), "infusion-time", "ADMIN-ADDON-UNITS"),
    ("CO", "206", (), "provider-enrollment", None),
    ("CO", "150", (), None, None),
    ("OA", "18", (), "not-resubmittable", None),
    ("CO", "29", (), "filing-limit", "CLAIM-FILING-LIMIT"),
    # The rule of a patient-responsibility (PR) denial is its CARC's, as a CO one's: every CARC of every rule, with
    # its whole set of edits, is test_every_denial_code_is_explained_with_every_edit_that_catches_it below.
    ("PR", "26", (), "eligibility", None),
])
def test_denials_trace_to_edits(group, reason, remarks, rule, edit):
    claim = ClaimPay("CLM-M", "4", [Line("J1561", D("500"), 10, (), [(group, [(reason, D("500"))])],
                                         remarks=remarks)])
    adj = read([claim])[0].lines[0].adjustments[0]
    assert adj.rule == rule
    assert (edit in adj.edits) if edit else adj.edits == []


# Every denial code of the mapping with every edit that would have caught it, written out here as what a biller is
# told, so that a code or an edit dropped from a rule of refdata/remit/mapping.toml fails a test (the thirteenth
# session's data mutation dropped each item of each list, not only the first: 79 new mutations, most alive with one
# case per rule). Edit sets by rule; each rule's codes (a CARC, with the RARC it needs) as cases below.
UNITS = {"DRUG-UNITS", "DRUG-UNITS-ML"}
RULE_EDITS = {
    "ndc": {"DRUG-NDC-MISSING", "DRUG-NDC-FORMAT", "DRUG-NDC-MISMATCH", "DRUG-NDC-QUANTITY"},
    "units-maximum": UNITS | {"DRUG-MUE", "ADMIN-MUE", "ADMIN-ADDON-UNITS"},
    "units-invalid": UNITS | {"ADMIN-ADDON-UNITS"},
    "units-frequency": UNITS | {"DRUG-MUE", "ADMIN-MUE", "ADMIN-ADDON-UNITS", "AUTH-UNITS"},
    "dosage": UNITS | {"DRUG-MUE", "AUTH-UNITS"},
    "infusion-time": {"ADMIN-ADDON-UNITS", "ADMIN-TIMES-MISSING", "ADMIN-PUSH", "ADMIN-PUMP-LOG"},
    "nos-code": {"DRUG-NOS-CODE"},
    "code-invalid": {"DRUG-CODE-MISMATCH", "DRUG-CODE-INVALID", "DRUG-NOS-CODE", "ADMIN-CODE-INVALID"},
    "code-date": {"DRUG-CODE-INVALID", "DRUG-CODE-MISMATCH", "ADMIN-CODE-INVALID"},
    "modifiers": {"DRUG-JZ-MISSING", "DRUG-JW-MISSING", "DRUG-JW-JZ-CONFLICT", "DRUG-JW-NOT-ALLOWED",
                  "DRUG-ROUTE-MODIFIER", "PAYER-ABN-MODIFIER"},
    "diagnosis-invalid": {"DX-INVALID", "DX-MISSING"},
    "diagnosis-date": {"DX-INVALID"},
    # DX-ROUTE-OFF-LABEL: a product given SC for a diagnosis its label names for IV only (CARC 11: the diagnosis
    # is inconsistent with the procedure; 50/55: an off-label use the payer finds not necessary or investigational)
    "diagnosis": {"DX-NOT-COVERED", "DX-CHEMO-ENCOUNTER", "DX-INVALID", "DX-MISSING", "DX-ROUTE-OFF-LABEL"},
    "medical-necessity": {"DX-NOT-COVERED", "PAYER-ABN-MODIFIER", "DX-ROUTE-OFF-LABEL"},
    "authorization-absent": {"AUTH-MISSING", "AUTH-EXPIRED"},
    "authorization-exceeded": {"AUTH-UNITS", "AUTH-EXHAUSTED", "AUTH-EXPIRED"},
    "authorization-mismatch": {"AUTH-UNITS", "AUTH-EXHAUSTED", "AUTH-EXPIRED", "AUTH-MISSING"},
    "bundled": {"ADMIN-BUNDLED", "ADMIN-HYDRATION", "ADMIN-INITIAL-DUPLICATE", "ADMIN-SEQUENTIAL"},
    "place-of-service": {"FORM-SETTING", "HOME-PLACE", "HOME-PUMP-PLACE"},
    "filing-limit": {"CLAIM-FILING-LIMIT"},
}
DENIAL_CODES = [
    ("16", "M119", "ndc"), ("A1", "M119", "ndc"), ("96", "M119", "ndc"),
    ("96", "N362", "units-maximum"),
    ("16", "M53", "units-invalid"), ("A1", "M53", "units-invalid"), ("151", "N430", "units-invalid"),
    ("151", None, "units-frequency"), ("273", None, "units-frequency"),
    ("153", None, "dosage"), ("152", None, "infusion-time"), ("189", None, "nos-code"),
    ("181", "M20", "code-invalid"), ("16", "M51", "code-invalid"), ("A1", "N56", "code-invalid"),
    ("181", None, "code-date"),
    ("4", None, "modifiers"), ("182", None, "modifiers"),
    ("146", "M76", "diagnosis-invalid"), ("16", "M76", "diagnosis-invalid"), ("A1", "M76", "diagnosis-invalid"),
    ("146", None, "diagnosis-date"),
    ("11", None, "diagnosis"), ("167", None, "diagnosis"),
    ("50", None, "medical-necessity"), ("55", None, "medical-necessity"), ("272", None, "medical-necessity"),
    ("197", None, "authorization-absent"), ("15", None, "authorization-absent"),
    ("198", None, "authorization-exceeded"), ("16", "N54", "authorization-mismatch"),
    ("97", None, "bundled"), ("234", None, "bundled"), ("236", None, "bundled"),
    ("5", None, "place-of-service"), ("58", None, "place-of-service"), ("199", None, "place-of-service"),
    ("252", "N163", "documentation"), ("16", "N163", "documentation"), ("A1", "N163", "documentation"),
    ("252", None, "documentation-required"), ("109", None, "wrong-payer"),
    *[(c, None, "eligibility") for c in ("26", "27", "31", "204", "119")],
    ("22", None, None),  # coordination of benefits, not a denial: explained by its meaning, no rule
    *[(c, None, "provider-enrollment") for c in ("B7", "170", "185", "206", "208")],
    ("18", None, "not-resubmittable"), ("29", None, "filing-limit"),
    ("16", None, "generic-missing-information"), ("A1", None, "generic-missing-information"),
    ("96", None, "generic-missing-information"),
]


@pytest.mark.parametrize("reason,remark,rule", DENIAL_CODES)
def test_every_denial_code_is_explained_with_every_edit_that_catches_it(reason, remark, rule):
    claim = ClaimPay("CLM-E", "1", [Line("J1561", D("500"), 10, (), [("CO", [(reason, D("500"))])],
                                         remarks=(remark,) if remark else ())])
    adj = read([claim])[0].lines[0].adjustments[0]
    assert (adj.rule, set(adj.edits)) == (rule, RULE_EDITS.get(rule, set()))


def test_mapping_names_only_registered_edits():
    from igclaim.edits.registry import SPECS

    engine._load_edit_families()
    for r in rules():
        assert set(r.edits) <= set(SPECS), r.id
    assert set(catalog().carc) >= {c for r in rules() for c in r.carc}  # every CARC a rule names is explained


def test_every_claim_is_explained_or_an_error():
    text = build_835([DENIED, ZERO_PAY, PARTIAL])
    bad = text.replace("CLP*CLM-ZERO*1*200*0*150", "CLP*CLM-ZERO*1*200*ZZ*150").replace("CAS*CO*151*100",
                                                                                        "CAS*XX*151*100")
    assert bad != text
    remit = read_835(bad)[0]
    problems = {c.claim_id: c.problems for c in remit.claims}
    assert len(remit.claims) == 3
    assert any("CLP04" in p for p in problems["CLM-ZERO"])
    assert any("CAS01 group 'XX'" in p for p in problems["CLM-PARTIAL"])
    assert problems["CLM-DENIED"] == []


def test_unbalanced_payer_file_is_explained_with_a_warning():
    text = build_835([ZERO_PAY]).replace("CAS*CO*45*50", "CAS*CO*45*55")
    view = explain(read_835(text)[0], 0, read_835(text)[0].claims[0])
    assert any("does not balance" in w for w in view.warnings)


@pytest.mark.parametrize("text,why", [
    ("hello", "does not start with ISA"),
    ("ISA*00*bad", "unreadable X12"),
])
def test_not_an_835(text, why):
    with pytest.raises(RemitError, match=why):
        read_835(text)


# --------------------------------------------------------------------------------- the claims that went out


def _enc(name: str, **changes) -> dict:
    data = json.loads((PARTIES / f"{name}.json").read_text())
    data.update(copy.deepcopy(changes))
    return data


def _written(enc: dict, **unit_changes: int) -> dict:
    """The claim igclaim codes, written as a person sent it, with some units changed (by code)."""
    built = engine.build(parse_encounter(enc)).claim.model_dump(mode="json")
    for ln in built["lines"]:
        if ln["code"] in unit_changes and not ln["modifiers"]:
            ln["units"] = unit_changes[ln["code"]]
    enc = dict(enc)
    enc["claim"] = built
    return enc


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """Four claims that went out, as encounter files: units per gram (igclaim flags it), no authorization
    (flagged), a covered diagnosis the payer still called not medically necessary (not flagged), and a modifier
    denial on a claim igclaim codes exactly as billed."""
    d = tmp_path_factory.mktemp("sent")
    units = _written(_enc("office-bivigam-jw", claim_id="CLM-UNITS", encounter_id="enc-units"), J1556=27)
    auth = _enc("office-gamunex-jz", claim_id="CLM-AUTH", encounter_id="enc-auth",
                payer={"type": "commercial", "name": "Example Health PPO", "payer_id": "EX001"})
    dx = _enc("office-gamunex-jz", claim_id="CLM-DX", encounter_id="enc-dx")
    mod = _enc("office-gamunex-jz", claim_id="CLM-MOD", encounter_id="enc-mod")
    for name, enc in (("units", units), ("auth", auth), ("dx", dx), ("mod", mod)):
        (d / f"{name}.json").write_text(json.dumps(enc))
    return d


def _remit_for(encs: dict[str, tuple[dict, list]]) -> str:
    """An 835 answering each claim line by line; `denials` maps a code to its CAS and remarks."""
    claims = []
    for claim_id, (enc, denials) in encs.items():
        result = engine.scrub(parse_encounter(enc)) if enc.get("claim") else engine.build(parse_encounter(enc))
        lines_src = enc["claim"]["lines"] if enc.get("claim") else [ln.model_dump() for ln in result.claim.lines]
        lines = []
        pending = list(denials)
        for ln in lines_src:
            charge = D(100) * ln["units"]
            hit = next((d for d in pending if d[0] == ln["code"]), None)  # the first line of the code
            if hit:
                pending.remove(hit)
            cas, remarks = (hit[1], hit[2]) if hit else ([co("45", str(charge / 5))], ())
            lines.append(Line(ln["code"], charge, ln["units"], tuple(ln["modifiers"]), cas, remarks=remarks))
        status = "4" if all(ln.paid == 0 for ln in lines) else "1"
        claims.append(ClaimPay(claim_id, status, lines, payer_icn=f"ICN-{claim_id}"))
    return build_835(claims)


@pytest.fixture(scope="module")
def remit_file(sent, tmp_path_factory):
    encs = {p.stem: json.loads(p.read_text()) for p in sent.glob("*.json")}
    text = _remit_for({
        "CLM-UNITS": (encs["units"], [("J1556", [co("16", "2700")], ("M53",))]),
        "CLM-AUTH": (encs["auth"], [("J1561", [co("197", "6000")], ())]),
        "CLM-DX": (encs["dx"], [("J1561", [co("50", "6000")], ())]),
        "CLM-MOD": (encs["mod"], [("96365", [co("4", "100")], ())]),
    })
    assert pyx12_check_835(text) == []
    path = tmp_path_factory.mktemp("remit") / "remit.835"
    path.write_text(text)
    return path


def test_flagged_on_the_claim_that_went_out(sent, remit_file):
    source = load_claims(str(sent))
    remit = read_835(remit_file.read_text())[0]
    views = {c.claim_id: explain(remit, 0, c) for c in remit.claims}
    for v in views.values():
        trace(v, source)
    assert views["CLM-UNITS"].flagged is True and "DRUG-UNITS-ML" in views["CLM-UNITS"].lines[0].flagged_edits
    assert views["CLM-AUTH"].flagged is True
    assert views["CLM-DX"].flagged is False  # D83.9 is covered: igclaim had nothing to flag
    assert views["CLM-MOD"].flagged is False
    plan = dict(plan_corrections(list(views.values()), source).need_person)
    assert set(plan) == {"CLM-AUTH", "CLM-DX", "CLM-MOD"}
    assert "exactly as it was billed" in plan["CLM-MOD"]
    assert "review the chart" in plan["CLM-AUTH"] and "authorization" in plan["CLM-AUTH"]


def test_results_jsonl_match_by_encounter_id(sent, tmp_path):
    """results.jsonl (what `igclaim batch` writes) carries the encounter id: CLP01 matches it."""
    enc = json.loads((sent / "auth.json").read_text())
    result = engine.build(parse_encounter(enc))
    (tmp_path / "results.jsonl").write_text(result.model_dump_json() + "\n" + "{not json\n")
    source = load_claims(str(tmp_path / "results.jsonl"))
    assert source.problems and "not JSON" in source.problems[0]
    text = _remit_for({"enc-auth": (enc, [("J1561", [co("197", "6000")], ())])})
    remit = read_835(text)[0]
    view = explain(remit, 0, remit.claims[0])
    trace(view, source)
    assert view.matched == "results.jsonl:1" and view.flagged is True


def test_cli_writes_reports_and_corrected_claims(sent, remit_file, tmp_path):
    out, corrected = tmp_path / "out", tmp_path / "fixed.837"
    r = runner.invoke(app, ["denials", str(remit_file), "--claims", str(sent), "--out", str(out),
                            "--corrected", str(corrected), "--charges", "sample"])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "denials.json").read_text())
    s = doc["summary"]
    assert s["claims"] == 4 and s["errors"] == 0
    assert s["denied"] == 2700 + 6000 + 6000 + 100
    assert s["caught_by_igclaim_edits"] == s["denied"]  # each of these denials traces to an edit
    assert s["flagged_denied"] == 2700 + 6000 and s["matched_denied"] == s["denied"]
    assert s["flagged_share"] == round((2700 + 6000) / s["denied"], 4)
    assert s["by_edit"][0]["usd"] >= s["by_edit"][-1]["usd"]
    assert doc["corrections"]["written"] == ["CLM-UNITS"]
    # The replacement claim: frequency 7, the payer's claim number, igclaim's units; accepted by pyx12.
    text = corrected.read_text()
    assert pyx12_check(text) == []
    assert "REF*F8*ICN-CLM-UNITS~" in text and re.search(r"CLM\*CLM-UNITS\*[^~]*\*11:B:7\*", text)
    assert "SV1*HC:J1556*" in text and "*UN*54*" in text
    html_text = (out / "report.html").read_text()
    assert "<script" not in html_text and not re.search(r"(src|href)=\"?https?:", html_text)
    assert 'id="denied-usd">$14,800.00<' in html_text
    # Written claim row by claim row (html_writer): every claim's row, and the page after them, to its end.
    assert all(f"<code>{c}</code>" in html_text for c in ("CLM-UNITS", "CLM-AUTH", "CLM-DX", "CLM-MOD"))
    assert "No claims." not in html_text and html_text.rstrip().endswith("</html>")
    rows = list(csv.DictReader(io.StringIO((out / "denials.csv").read_text())))
    assert {r["claim_id"] for r in rows} == {"CLM-UNITS", "CLM-AUTH", "CLM-DX", "CLM-MOD"}
    assert sum(D(r["amount"]) for r in rows if r["denied"] == "True") == D(14800)


def test_csv_cells_cannot_run_formulas():
    claim = ClaimPay("=HYPERLINK(1)", "4", [Line("J1561", D("100"), 1, (), [co("50", "100")])])
    remit = read_835(build_835([claim]))[0]
    from igclaim.denials.report import to_csv

    rows = list(csv.reader(io.StringIO(to_csv([explain(remit, 0, remit.claims[0])], []))))
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_the_table_shows_a_claim_id_as_text_never_as_markup_or_a_terminal_control(tmp_path):
    """An 835's claim id of "[/b]" raised Rich's MarkupError (an internal error, exit 3), and ESC went to the
    terminal raw; the table now shows both as written, ESC as the escape \\x1b."""
    claim = ClaimPay("[/b]X\x1b[2J", "4", [Line("J1561", D("100"), 1, (), [co("50", "100")])])
    remit = tmp_path / "markup.835"
    remit.write_text(build_835([claim]))
    r = runner.invoke(app, ["denials", str(remit), "--format", "table"])
    assert r.exit_code == 0, r.output
    assert "[/b]X\\x1b[2J" in r.output and "\x1b" not in r.output


def test_cli_input_errors(tmp_path):
    bad = tmp_path / "x.835"
    bad.write_text("not x12")
    r = runner.invoke(app, ["denials", str(bad)])
    assert r.exit_code == 2 and "does not start with ISA" in r.output
    good = tmp_path / "ok.835"
    good.write_text(build_835([DENIED]))
    x837 = tmp_path / "claims.837"
    x837.write_text("ISA*")
    r = runner.invoke(app, ["denials", str(good), "--claims", str(x837)])
    assert r.exit_code == 2 and "no claim could be read from this 837" in r.output
    r = runner.invoke(app, ["denials", str(good), "--corrected", str(tmp_path / "c.837")])
    assert r.exit_code == 2 and "--claims" in r.output


def test_a_byte_that_is_not_utf8_refuses_the_remittance_naming_its_segment(tmp_path):
    """A replaced byte could change a claim number or an amount: the file is refused, never read with a guess."""
    text = build_835([DENIED])
    term = text.lstrip()[105]
    segments = text.split(term)
    clp = next(i for i, s in enumerate(segments) if s.strip().startswith("CLP"))
    data = text.encode().replace(b"CLM-DENIED", b"CLM-DEN\xe9ED")
    bad = tmp_path / "latin1.835"
    bad.write_bytes(data)
    r = runner.invoke(app, ["denials", str(bad)])
    assert r.exit_code == 2, r.output
    at = data.index(b"\xe9") + 1
    assert f"not UTF-8 text (segment {clp + 1}, byte {at} is 0xe9)" in r.output
    assert "CLM-DEN" not in r.output  # ids only: the message names where, not what
    bad.write_bytes(data.replace(b"\xe9", "\u00e9".encode()))  # the same letter as UTF-8 is read
    assert runner.invoke(app, ["denials", str(bad), "--format", "json"]).exit_code == 0


# ------------------------------------------------------------------------------------------------ properties

REASONS = ["45", "16", "50", "197", "151", "4", "11", "253", "1", "2", "23", "Z7", "96", "18"]
GROUPS = ["CO", "PR", "OA", "PI"]


@st.composite
def claims(draw):
    out = []
    for i in range(draw(st.integers(1, 4))):
        lines = []
        for _ in range(draw(st.integers(1, 3))):
            charge = D(draw(st.integers(1, 100_000))) / 100
            cas = []
            left = charge
            for _ in range(draw(st.integers(0, 3))):
                pairs = []
                for _ in range(draw(st.integers(1, 6))):
                    amount = D(draw(st.integers(0, int(left * 100)))) / 100
                    left -= amount
                    pairs.append((draw(st.sampled_from(REASONS)), amount))
                cas.append((draw(st.sampled_from(GROUPS)), pairs))
            lines.append(Line(draw(st.sampled_from(["J1561", "96365", "96366"])), charge, draw(st.integers(1, 99)),
                              (), cas, remarks=tuple(draw(st.lists(st.sampled_from(["M119", "N362", "N1"]),
                                                                   max_size=2)))))
        out.append(ClaimPay(f"C{i}", draw(st.sampled_from(["1", "2", "4", "22"])), lines, payer_icn=f"I{i}",
                            sign=-1 if draw(st.booleans()) else 1))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims())
def test_any_balanced_remittance_is_read_whole(cps):
    """Whatever the adjustments: every claim comes out, balanced, and denied dollars are exactly the denial
    reasons in the provider's groups (never PR, never a reversal, never an unknown code)."""
    text = build_835(cps)
    remit = read_835(text)[0]
    assert [c.claim_id for c in remit.claims] == [c.claim_id for c in cps]
    cat = catalog()
    for c, sent in zip(remit.claims, cps, strict=True):
        negative = sent.sign < 0 and c.status != "22"  # a take-back outside a reversal is read, and said
        assert c.problems == [] and [w for w in c.warnings if "not 22 (a reversal)" not in w] == []
        assert len(c.warnings) == negative
        view = explain(remit, 0, c)
        want = D(0)
        if c.status != "22":
            want = sum((a.amount for ln in c.lines for a in ln.adjustments
                        if cat.reason(a.reason).kind == "denial" and a.group != "PR" and a.amount > 0), D(0))
        assert view.denied_usd == want


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_damaged_files_never_lose_a_claim(data):
    """Delete or garble one segment of a valid file: the reader raises RemitError or accounts for every CLP."""
    segs = build_835([PARTIAL, ZERO_PAY, DENIED]).split("~\n")
    i = data.draw(st.integers(0, len(segs) - 1))
    how = data.draw(st.sampled_from(["drop", "garble", "truncate"]))
    if how == "drop":
        segs.pop(i)
    elif how == "garble":
        segs[i] = segs[i][:3] + data.draw(st.text(alphabet="*:^AZ09.-x", max_size=12))
    else:
        segs = segs[: i + 1]
    text = "~\n".join(segs)
    try:
        remits = read_835(text)
    except RemitError:
        return
    clps = len(re.findall(r"(?:^|\n)CLP\*", text))
    assert sum(len(r.claims) for r in remits) == clps


def test_catalog_dates_are_ordered():
    for info in [*catalog().carc.values(), *catalog().rarc.values()]:
        assert info.start is not None and info.start <= date(2026, 12, 31)
        assert info.stop is None or info.stop > info.start
        assert info.meaning and info.official and info.source


def test_corrected_claims_go_to_one_file_per_form(tmp_path):
    """An office (837P) and a hospital (837I) replacement: two files, each accepted by pyx12, each with
    frequency 7 (type of bill 137 on the 837I) and REF*F8 naming the payer's original claim."""
    office = _written(_enc("office-bivigam-jw", claim_id="CLM-O"), J1556=27)
    hospital = _written(_enc("hospital-gamunex", claim_id="CLM-H"))
    hospital["claim"]["lines"][0]["units"] = 30  # J1561 billed as 30 units for 40 g (80 units)
    (tmp_path / "o.json").write_text(json.dumps(office))
    (tmp_path / "h.json").write_text(json.dumps(hospital))
    remit = tmp_path / "r.835"
    remit.write_text(_remit_for({"CLM-O": (office, [("J1556", [co("16", "2700")], ("M53",))]),
                                 "CLM-H": (hospital, [("J1561", [co("151", "3000")], ())])}))
    fixed = tmp_path / "fix.837"
    r = runner.invoke(app, ["denials", str(remit), "--claims", str(tmp_path), "--corrected", str(fixed),
                            "--charges", "sample", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    professional, institutional = fixed.read_text(), (tmp_path / "fix-837i.837").read_text()
    assert pyx12_check(professional) == [] and pyx12_check(institutional) == []
    assert "CLM*CLM-O*" in professional and ":B:7*" in professional and "REF*F8*ICN-CLM-O~" in professional
    assert re.search(r"CLM\*CLM-H\*[^~]*\*13:A:7\*", institutional) and "REF*F8*ICN-CLM-H~" in institutional
    assert "*UN*80~" in institutional


def test_reversal_is_paired_with_the_corrected_decision(tmp_path):
    remit = tmp_path / "r.835"
    remit.write_text(build_835([REVERSAL, PARTIAL, ZERO_PAY]))
    r = runner.invoke(app, ["denials", str(remit), "--format", "json"])
    doc = json.loads(r.output)
    (rev,) = [c for c in doc["claims"] if c["status"] == "22"]
    assert rev["outcome"] == "reversal" and "corrected decision is in this remittance" in rev["summary"]
    assert doc["summary"]["reversed"] == 4800 and doc["summary"]["denied"] == 100


def _with_plb(plb: str, isa16: str = ":") -> str:
    """The bundled remit.835 with a PLB after its last claim (SE counts it), its ISA16 made `isa16`."""
    text = (ROOT / "examples" / "denials" / "remit.835").read_text().replace("SE*65*0001~", f"{plb}~\nSE*66*0001~")
    return text[:104] + isa16 + text[105:].replace(":", isa16)


def test_a_bad_plb_amount_is_the_remittances_problem_not_the_last_claims(tmp_path):
    """PLB follows the last CLP: its bad amount (a letter O) made CLM-2026-0104, a claim paid in full, an error, and
    its $5,200 left the paid total."""
    (remit,) = read_835(_with_plb("PLB*1234567893*20261231*WO:ICN-C9*25O.00"))
    assert [c.problems for c in remit.claims] == [[], [], [], []]
    assert "PLB04 '25O.00' is not an amount" in remit.guide_problems and remit.provider_adjustments == []
    (tmp_path / "remit.835").write_text(_with_plb("PLB*1234567893*20261231*WO:ICN-C9*25O.00"))
    r = runner.invoke(app, ["denials", str(tmp_path / "remit.835"), "--format", "json"])
    doc = json.loads(r.stdout)
    assert (doc["summary"]["claims"], doc["summary"]["errors"], doc["summary"]["paid"]) == (4, 0, 6720)


@pytest.mark.parametrize("isa16", [":", ">"])
def test_a_plb_reason_is_read_with_the_files_own_component_separator(isa16):
    (remit,) = read_835(_with_plb(f"PLB*1234567893*20261231*WO{isa16}ICN-C9*-25*L6{isa16}X*10", isa16))
    assert remit.provider_adjustments == [("WO", D(-25)), ("L6", D(10))]
    assert remit.guide_problems == []


def test_the_bundled_example(tmp_path):
    """examples/denials runs as its README says: valid 835, two of three denials flagged, one replacement."""
    ex = ROOT / "examples" / "denials"
    assert pyx12_check_835((ex / "remit.835").read_text()) == []
    r = runner.invoke(app, ["denials", str(ex / "remit.835"), "--claims", str(ex / "charts"), "--out",
                            str(tmp_path), "--corrected", str(tmp_path / "r.837"), "--charges", "sample"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "denials.json").read_text())
    flagged = {c["claim_id"]: c["flagged"] for c in doc["claims"]}
    assert flagged == {"CLM-2026-0101": True, "CLM-2026-0102": True, "CLM-2026-0103": False, "CLM-2026-0104": None}
    assert doc["corrections"]["written"] == ["CLM-2026-0101"]
    assert [c for c, _ in doc["corrections"]["need_person"]] == ["CLM-2026-0102", "CLM-2026-0103"]


@pytest.mark.parametrize(("claim_id", "sent_as"), [
    ("clm-2026-0101", "CLM-2026-0101"), ("Clm-2026-0101", "CLM-2026-0101"), ("clm  2026-0101-é", "CLM 2026-0101-E"),
])
def test_a_claim_id_is_matched_as_the_837_sent_it(tmp_path, claim_id, sent_as):
    """igclaim's 837 writes CLM01 in capitals, accents dropped and runs of spaces made one: the payer echoes that in
    CLP01. A claim_id in lower case matched nothing, so its denial "needed a person" although the chart was given,
    and no replacement was written."""
    ex = ROOT / "examples" / "denials"
    charts = tmp_path / "charts"
    charts.mkdir()
    for f in (ex / "charts").glob("*.json"):
        doc = json.loads(f.read_text())
        if doc.get("claim_id") == "CLM-2026-0101":
            doc["claim_id"] = claim_id
        (charts / f.name).write_text(json.dumps(doc))
    (tmp_path / "remit.835").write_text((ex / "remit.835").read_text().replace("CLP*CLM-2026-0101*",
                                                                               f"CLP*{sent_as}*"))
    source = load_claims(str(charts))
    assert source.problems == [] and source.find(sent_as).where.endswith("0101-units-per-gram.json")
    r = runner.invoke(app, ["denials", str(tmp_path / "remit.835"), "--claims", str(charts), "--out",
                            str(tmp_path / "out"), "--corrected", str(tmp_path / "r.837"), "--charges", "sample"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "out" / "denials.json").read_text())
    mine = next(c for c in doc["claims"] if c["claim_id"] == sent_as)
    assert mine["flagged"] is True and mine["matched"].endswith("0101-units-per-gram.json")
    assert doc["corrections"]["written"] == [claim_id]  # the replacement, by the chart's id


def test_two_claim_ids_sent_alike_are_told_and_an_exact_id_wins(tmp_path):
    """clm-7 and Clm-7 both go out as CLM-7: told, and the first read answers for CLM-7; an exact id answers first."""
    ex = ROOT / "examples" / "denials" / "charts"
    doc = json.loads((ex / "0101-units-per-gram.json").read_text())
    for name, cid, eid in (("a.json", "clm-7", "e-a"), ("b.json", "Clm-7", "e-b"), ("c.json", "clm-8", "e-c"),
                           ("d.json", "CLM-8", "e-d")):
        (tmp_path / name).write_text(json.dumps({**doc, "claim_id": cid, "encounter_id": eid}))
    source = load_claims(str(tmp_path))
    assert source.find("CLM-7").where.endswith("a.json") and source.find("Clm-7").where.endswith("b.json")
    assert source.find("CLM-8").where.endswith("d.json")  # the id as given wins over another's id as sent
    assert [p.split(": ", 1)[1] for p in source.problems] == [
        "claim Clm-7 goes out as CLM-7, as does the claim at a.json; the first is used"]


def _denials_json(tmp_path, *remits: str) -> tuple[dict, str]:
    """`igclaim denials` over remittance texts with the bundled charts: denials.json and the replacement 837."""
    ex = ROOT / "examples" / "denials"
    tmp_path.mkdir(exist_ok=True)
    files = []
    for i, text in enumerate(remits):
        (tmp_path / f"r{i}.835").write_text(text)
        files.append(str(tmp_path / f"r{i}.835"))
    r = runner.invoke(app, ["denials", *files, "--claims", str(ex / "charts"), "--out", str(tmp_path / "out"),
                            "--corrected", str(tmp_path / "fix.837"), "--charges", "sample"])
    assert r.exit_code == 0, r.output
    return json.loads((tmp_path / "out" / "denials.json").read_text()), (tmp_path / "fix.837").read_text()


def test_the_same_835_given_twice_is_counted_once_and_corrected_once(tmp_path):
    """Each decision met again (same payer claim number, status and amounts) is an error entry that says so: the
    denied total was doubled ($14,700 → $29,400) and the same replacement claim written twice."""
    text = (ROOT / "examples" / "denials" / "remit.835").read_text()
    once, fix_once = _denials_json(tmp_path / "a", text)
    twice, fix_twice = _denials_json(tmp_path / "b", text, text)
    assert {k: twice["summary"][k] for k in ("claims", "charge", "paid", "denied")} == {
        k: once["summary"][k] for k in ("claims", "charge", "paid", "denied")}
    assert twice["summary"]["errors"] == 4 and [e["claim_id"] for e in twice["errors"]] == [
        "CLM-2026-0101", "CLM-2026-0102", "CLM-2026-0103", "CLM-2026-0104"]
    assert twice["errors"][0]["problems"] == [
        f"the same decision as in remittance 1 of {tmp_path / 'b' / 'r0.835'} (payer claim number "
        "ICN-CLM-2026-0101, same status and amounts): counted once (was the same 835 given twice?)"]
    assert twice["corrections"]["written"] == once["corrections"]["written"] == ["CLM-2026-0101"]
    assert fix_twice.count("CLM*CLM-2026-0101*") == fix_once.count("CLM*CLM-2026-0101*") == 1


def test_one_claim_denied_twice_gets_one_replacement_naming_the_later_decision(tmp_path):
    """Two decisions on CLM-2026-0101 (two payer claim numbers, the second remittance later): one replacement, with
    REF*F8 of the later; the earlier is listed with why it has none. Both decisions stay in the totals (they are
    two adjudications, not one read twice)."""
    text = (ROOT / "examples" / "denials" / "remit.835").read_text()
    again = text.replace("ICN-CLM-2026-0101", "ICN-CLM-2026-0101-B").replace("EFT0001", "EFT0002")
    doc, fix = _denials_json(tmp_path, text, again)
    assert doc["summary"]["errors"] == 3  # the three other claims, met again
    assert fix.count("CLM*CLM-2026-0101*") == 1 and "REF*F8*ICN-CLM-2026-0101-B~" in fix
    assert "REF*F8*ICN-CLM-2026-0101~" not in fix
    assert ["CLM-2026-0101", "a later decision on this claim (payer claim number ICN-CLM-2026-0101-B) is the one "
            "to correct"] in doc["corrections"]["need_person"]
    assert doc["corrections"]["written"] == ["CLM-2026-0101"]


def test_flagged_edits_take_the_credit(sent, remit_file):
    """With the claims that went out, a flagged denial counts under the edits igclaim raised, not every edit its
    rule names; an unflagged one under all of them."""
    from igclaim.denials.report import summarize

    source = load_claims(str(sent))
    remit = read_835(remit_file.read_text())[0]
    views = [explain(remit, 0, c) for c in remit.claims]
    for v in views:
        trace(v, source)
    by_edit = {b["key"]: b["usd"] for b in summarize(views, [], True).as_dict()["by_edit"]}
    assert by_edit["AUTH-MISSING"] == 6000 and "AUTH-EXPIRED" not in by_edit  # CO-197, flagged as AUTH-MISSING
    assert by_edit["DX-NOT-COVERED"] == 6000  # CO-50, not flagged: under each edit its rule names
    assert by_edit["PAYER-ABN-MODIFIER"] == 6000 + 100  # CO-50 and CO-4 (CLM-MOD) both name it
    assert by_edit["DRUG-UNITS-ML"] == 2700 and "ADMIN-ADDON-UNITS" not in by_edit  # flagged as units per gram


def test_batch_input_matches_by_claim_number(sent, tmp_path):
    """Encounters as JSON Lines (the batch's input) are coded again and matched by claim_id."""
    lines = [json.dumps(json.loads((sent / f"{n}.json").read_text())) for n in ("auth", "dx")]
    (tmp_path / "encounters.jsonl").write_text("\n".join(lines) + "\n\n")
    source = load_claims(str(tmp_path / "encounters.jsonl"))
    assert source.problems == []
    assert source.find("CLM-AUTH").where == "encounters.jsonl:1" and source.find("enc-dx").where == "encounters.jsonl:2"


def test_a_finding_on_another_line_does_not_flag_this_one(tmp_path):
    """A written claim without its JW line: igclaim raised DRUG-JW-MISSING on the J1556 line. The payer denies
    J1556 and 96365 for modifiers (CO-4): J1556 was flagged, 96365 was not (the finding is about another line)."""
    enc = _written(_enc("office-bivigam-jw", claim_id="CLM-L"), J1556=27)
    enc["claim"]["lines"] = [ln for ln in enc["claim"]["lines"] if "JW" not in ln["modifiers"]]  # JW line dropped
    (tmp_path / "l.json").write_text(json.dumps(enc))
    source = load_claims(str(tmp_path))
    findings = {(f.edit, f.line) for f in source.find("CLM-L").result.findings}
    assert any(e == "DRUG-JW-MISSING" for e, _ in findings)  # raised, on the J1556 line
    text = _remit_for({"CLM-L": (enc, [("96365", [co("4", "100")], ()), ("J1556", [co("4", "2700")], ())])})
    remit = read_835(text)[0]
    view = explain(remit, 0, remit.claims[0])
    trace(view, source)
    by_code = {ln.code: ln for ln in view.lines if ln.line}
    assert by_code["J1556"].flagged is True and "DRUG-JW-MISSING" in by_code["J1556"].flagged_edits
    assert by_code["96365"].flagged is False


def test_claims_as_the_837_that_went_out(tmp_path):
    """--claims takes the 837 itself: each claim is read back and scrubbed without its chart, and the bundled
    example's denials are traced as they are from the charts (two flagged, one that no edit could catch)."""
    from igclaim import engine
    from igclaim.inputs import parse_encounter
    from igclaim.outputs import chargemaster, x12

    ex = ROOT / "examples" / "denials"
    sent = []
    for f in sorted((ex / "charts").glob("*.json")):
        enc = parse_encounter(json.loads(f.read_text()))
        res = engine.scrub(enc) if enc.claim else engine.build(enc)
        written = enc.claim or res.claim  # the claim as the biller wrote it is what went out
        claim = res.claim.model_copy(update={"lines": written.lines})
        sent.append(x12.ClaimInput(enc, res.model_copy(update={"claim": claim})))
    x837 = tmp_path / "sent.837"
    # the charts bill Medicare and a commercial plan: one interchange only to a clearinghouse (x12.mixed_receivers)
    x837.write_text(x12.render(sent, "837P", chargemaster.load("sample"), x12.Envelope(receiver_id="CLEARH1")))
    r = runner.invoke(app, ["denials", str(ex / "remit.835"), "--claims", str(x837), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "o" / "denials.json").read_text())
    assert {c["claim_id"]: c["flagged"] for c in doc["claims"]} == {
        "CLM-2026-0101": True, "CLM-2026-0102": True, "CLM-2026-0103": False, "CLM-2026-0104": None}


# --- the mapping's fix and recoverable follow from what the rule is (refdata/remit/mapping.toml) -----------------

_CODING_EDITS = ("DRUG-", "ADMIN-", "FORM-")  # what igclaim recodes from the chart (edits/drug, administration, form)
# X12 CARC texts (refdata/remit/carc.toml `official`) that leave nothing a corrected claim or an appeal can bring in.
_FINAL_REASONS = ("exact duplicate", "time limit for filing has expired",
                  "included in the payment/allowance for another", "not paid separately",
                  "not compatible with another procedure")


def test_a_denial_caught_by_a_coding_edit_is_fixed_by_recomputing_the_claim():
    """A rule whose edits include a coding edit is fixed by recomputing the claim from the chart; one caught only by
    chart-fact edits (diagnoses, authorizations) needs the chart corrected first; one no edit catches is never
    'recompute' (there is nothing igclaim could recode)."""
    from igclaim.denials.mapping import rules

    for rule in rules():
        coding = any(e.startswith(_CODING_EDITS) for e in rule.edits)
        assert (rule.fix == "recompute") == coding, rule.id
        if rule.edits and not coding:
            # a late claim (CLAIM-FILING-LIMIT) is no chart fact: only the payer can take it (proof of timely filing)
            assert rule.fix == ("payer" if set(rule.edits) == {"CLAIM-FILING-LIMIT"} else "chart"), rule.id


def test_a_denial_is_unrecoverable_exactly_when_its_reasons_leave_nothing_to_bring_in():
    """Duplicates, filing limits and services included in another's payment (CARC 18, 29, 97, 234, 236) cannot be
    brought in by a corrected claim; every other rule can (a remark-only rule is recoverable)."""
    from igclaim.denials.catalog import catalog
    from igclaim.denials.mapping import rules

    cat = catalog()
    for rule in rules():
        texts = [(cat.reason(c).official or "").lower() for c in sorted(rule.carc)]
        final = bool(texts) and all(any(k in t for k in _FINAL_REASONS) for t in texts)
        assert rule.recoverable is not final, (rule.id, texts)
    assert {r.id for r in rules() if not r.recoverable} == {"bundled", "not-resubmittable", "filing-limit"}


def test_a_late_claim_denied_co29_was_flagged_and_goes_to_the_payer(tmp_path):
    """CO-29 (the time limit for filing has expired) traces to CLAIM-FILING-LIMIT: igclaim raised it on the claim
    that went out (Original Medicare, 2026-03-02, filed 2027-03-03: past the 12 months of 42 CFR 424.44), and no
    replacement claim can fix it, so the plan sends it to the payer."""
    enc = _enc("office-gamunex-jz", claim_id="CLM-LATE", encounter_id="enc-late", filing_date="2027-03-03")
    (tmp_path / "late.json").write_text(json.dumps(enc))
    source = load_claims(str(tmp_path))
    remit = read_835(_remit_for({"CLM-LATE": (enc, [("J1561", [co("29", "6000")], ())])}))[0]
    (view,) = [explain(remit, 0, c) for c in remit.claims]
    trace(view, source)
    assert view.lines[0].adjustments[0].rule == "filing-limit"
    assert view.flagged is True and view.lines[0].flagged_edits == ["CLAIM-FILING-LIMIT"]
    plan = dict(plan_corrections([view], source).need_person)
    assert plan == {"CLM-LATE": "fix with the payer: Filed after the payer's limit: not correctable on the claim; "
                                "recoverable only with proof of timely filing (or, for Original Medicare, an "
                                "exception of 42 CFR 424.44(b)) through the payer."}


@pytest.mark.parametrize("line,problem", [
    ("[" * 5000 + "]" * 5000, "not JSON ((json): nested deeper than 32 levels)"),
    ('{"a": 1, "a": 2}', "not JSON ((json): the key 'a' appears twice in one object (JSON would keep only the last "
                         "value))"),
    ('{"a": ' + "9" * 5000 + "}", "encounter_id: required and missing"),
])
def test_a_hostile_claims_line_is_a_problem_not_a_crash(tmp_path, line, problem):
    """The claims given to `igclaim denials` were read with json.loads: deep nesting raised RecursionError and a
    5,000-digit number ValueError, ending the command; a key written twice kept its last value silently."""
    (tmp_path / "results.jsonl").write_text(line + "\n")
    source = load_claims(str(tmp_path / "results.jsonl"))
    assert len(source.problems) == 1 and problem in source.problems[0], source.problems


def test_corrected_naming_the_835_is_refused_and_the_835_kept(tmp_path):
    remit = tmp_path / "remit.835"
    remit.write_bytes((ROOT / "examples" / "denials" / "remit.835").read_bytes())
    before = remit.read_bytes()
    proc = run_cli("denials", str(remit), "--claims", str(ROOT / "examples" / "denials" / "charts"),
                   "--corrected", str(remit), "--charges", "sample")
    assert proc.returncode == 2 and "is an input file; writing there would destroy it" in proc.stderr
    assert remit.read_bytes() == before


PREDETERMINATION = ClaimPay("CLM-PREDET", "25", [Line("J1561", D("6000"), 60, (), [co("16", "6000")])],
                            payer_icn="ICN-PREDET")


def test_a_predetermination_denies_nothing_and_bills_nothing(tmp_path):
    """CLP02 = 25 prices a claim the provider has not billed for payment: its CO-16 says what to fix before billing
    (the rule is named), but no dollar of it is denied, billed or corrected (it counted $6,000 denied)."""
    (view,) = read([PREDETERMINATION])
    (adj,) = view.lines[0].adjustments
    assert view.outcome == "predetermination" and view.denied_usd == 0 and not adj.denied and adj.rule
    remit = tmp_path / "r.835"
    remit.write_text(build_835([PREDETERMINATION, DENIED]))
    doc = json.loads(runner.invoke(app, ["denials", str(remit), "--format", "json"]).stdout)
    summary = doc["summary"]
    assert (summary["claims"], summary["denied"], summary["charge"]) == (2, 6000, 6000)  # DENIED's alone
    assert [c for c, _ in doc["corrections"]["need_person"]] == ["CLM-DENIED"]
    assert "CLM-PREDET" not in json.dumps(doc["corrections"])


@pytest.mark.parametrize("status,sign,outcome", [("1", -1, "taken back"), ("1", 1, "paid (reduced)"),
                                                 ("22", -1, "reversal")])
def test_a_negative_payment_outside_a_reversal_is_told_as_taken_back(status, sign, outcome):
    """A status-1 claim with negated amounts read "Paid in full: −$4,800.00"."""
    (view,) = read([ClaimPay("CLM-NEG", status, [Line("J1561", D("6000"), 60, ("JZ",), [co("45", "1200")])],
                             payer_icn="ICN-NEG", sign=sign)])
    assert view.outcome == outcome
    told = [w for w in view.warnings if "not 22 (a reversal)" in w]
    if outcome == "taken back":
        assert "took back $4,800.00" in view.summary and "status 1 (" in view.summary
        assert told == ["CLP03/CLP04 (charge -6000, paid -4800) hold a negative amount, but CLP02 is 1, not "
                        "22 (a reversal): ask the payer which payment it takes back"]
    else:
        assert told == [] and "took back" not in view.summary


def test_a_predetermination_is_not_a_reversals_corrected_decision(tmp_path):
    remit = tmp_path / "r.835"
    remit.write_text(build_835([REVERSAL, ClaimPay("CLM-PARTIAL", "25", PARTIAL.lines, payer_icn="ICN-P")]))
    doc = json.loads(runner.invoke(app, ["denials", str(remit), "--format", "json"]).stdout)
    (rev,) = [c for c in doc["claims"] if c["status"] == "22"]
    assert "No corrected decision for this claim is in this remittance." in rev["summary"]


def test_corrected_claims_of_two_payers_go_to_one_file_per_payer(tmp_path):
    """Replacements for a Medicare claim and a commercial one: an interchange goes to one receiver, so each payer gets
    its own file (named by its payer id), addressed to it; they were refused together, the message naming a
    --receiver-id this command does not have."""
    medicare = _written(_enc("office-bivigam-jw", claim_id="CLM-M"), J1556=27)
    commercial = _written(_enc("office-bivigam-jw", claim_id="CLM-C", encounter_id="enc-c", payer={
        "type": "commercial", "name": "Example Health PPO", "payer_id": "EX001",
        "prior_authorization": {"number": "PA-9"}}), J1556=27)
    (tmp_path / "m.json").write_text(json.dumps(medicare))
    (tmp_path / "c.json").write_text(json.dumps(commercial))
    remit = tmp_path / "r.835"
    remit.write_text(_remit_for({"CLM-M": (medicare, [("J1556", [co("16", "2700")], ("M53",))]),
                                 "CLM-C": (commercial, [("J1556", [co("16", "2700")], ("M53",))])}))
    fixed = tmp_path / "fix.837"
    r = runner.invoke(app, ["denials", str(remit), "--claims", str(tmp_path), "--corrected", str(fixed),
                            "--charges", "sample", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert not fixed.exists()
    for payer_id, claim in (("00952", "CLM-M"), ("EX001", "CLM-C")):
        text = (tmp_path / f"fix-{payer_id}.837").read_text()
        assert pyx12_check(text) == []
        isa = text.split("~")[0].split("*")
        assert isa[8].strip() == payer_id and f"CLM*{claim}*" in text and text.count("CLM*") == 1
    doc = json.loads(r.output)
    assert sorted(Path(f).name for f in doc["corrections"]["files"]) == ["fix-00952.837", "fix-EX001.837"]


@pytest.mark.parametrize("written", ["\uff12\uff10\uff12\uff16\uff10\uff13\uff10\uff12", "\u0662\u0660\u0662\u0666"
                                     "\u0660\u0663\u0660\u0662"])
def test_a_remittance_date_in_other_digits_than_0_9_is_no_date(written):
    """The 835's dates were matched with \\d{8} and read by int(), both of which take any script's digits: a DTM*472
    of '２０２６０３０２' was the line's date of service 2026-03-02. Like any other date that is not 8 digits 0-9, it is
    now no date."""
    line = Line("J1561", D("6000"), 60, ("JZ",), date=written)
    remit = read_835(build_835([ClaimPay("CLM-DIGITS", "1", [line])]))[0]
    assert remit.claims[0].lines[0].service_date is None
    plain = read_835(build_835([ClaimPay("CLM-DIGITS", "1", [Line("J1561", D("6000"), 60, ("JZ",))])]))[0]
    assert plain.claims[0].lines[0].service_date == date(2026, 3, 2)


@pytest.mark.parametrize("written", ["2026030", "\uff12\uff10\uff12\uff16\uff10\uff13\uff10\uff12", "20260230"])
def test_a_remittance_date_that_cannot_be_read_is_a_problem_of_its_claim(written):
    """A date not written as 8 digits 0-9 was silently no date, while an impossible one (20260230) was a problem:
    each now says which element could not be read, so the claim is reported rather than read without its date."""
    line = Line("J1561", D("6000"), 60, ("JZ",), date=written)
    claim = read_835(build_835([ClaimPay("CLM-DATE", "1", [line])]))[0].claims[0]
    assert claim.lines[0].service_date is None
    assert claim.problems == [f"DTM02 {written!r} is not a date"]
    plain = read_835(build_835([ClaimPay("CLM-DATE", "1", [Line("J1561", D("6000"), 60, ("JZ",))])]))[0].claims[0]
    assert plain.problems == [] and plain.lines[0].service_date == date(2026, 3, 2)


def test_corrected_claims_refused_show_every_problem(tmp_path, monkeypatch):
    """--corrected refused with several problems (InputErrors) prints each of them, one per line, not the first."""
    from igclaim.errors import InputError, InputErrors
    from igclaim.outputs import x12

    def refuse(*args: object, **kwargs: object) -> str:
        raise InputErrors([InputError("patient.address", "required"), InputError("payer.name", "missing")])

    monkeypatch.setattr(x12, "to_837", refuse)
    ex = ROOT / "examples" / "denials"
    r = runner.invoke(app, ["denials", str(ex / "remit.835"), "--claims", str(ex / "charts"), "--out",
                            str(tmp_path), "--corrected", str(tmp_path / "r.837"), "--charges", "sample"])
    assert r.exit_code == 2
    assert "--corrected: patient.address: required\n--corrected: payer.name: missing\n" in r.output


def test_a_replacement_that_cannot_be_written_names_every_missing_party(tmp_path):
    """A chart missing two things the 837 needs: the claim that needs a person says both, not the first alone."""
    ex = ROOT / "examples" / "denials"
    charts = tmp_path / "charts"
    charts.mkdir()
    for f in (ex / "charts").glob("*.json"):
        doc = json.loads(f.read_text())
        if doc.get("claim_id") == "CLM-2026-0101":
            doc["billing_provider"]["address"]["zip"] = "62701"
            doc["patient"]["address"] = None
        (charts / f.name).write_text(json.dumps(doc))
    r = runner.invoke(app, ["denials", str(ex / "remit.835"), "--claims", str(charts), "--out",
                            str(tmp_path / "out"), "--corrected", str(tmp_path / "r.837"), "--charges", "sample"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "out" / "denials.json").read_text())
    assert doc["corrections"]["written"] == []
    [why] = [why for cid, why in doc["corrections"]["need_person"] if cid == "CLM-2026-0101"]
    assert "billing_provider.address.zip: " in why and "patient.address: required" in why


def test_a_report_page_of_no_claims_says_so_and_is_whole():
    """The page of a run with no claim paid says "No claims." where the rows go, and goes on to its end."""
    from igclaim.denials.report import render_html, summarize

    page = render_html({"input": "none.835"}, [], [], summarize([], [], False, []), {})
    assert "<tr><td colspan='6'>No claims.</td></tr>" in page and page.rstrip().endswith("</html>")
