"""No false alarms: a correct claim scrubs clean.

Hypothesis generates valid encounters (every bundled product on a date it has a code, doses its opened containers
hold, infusion times, every setting and payer type, prior authorization where the profile requires it, an NDC where
it requires one, a diagnosis its coverage policy lists); `build` must be free of errors, and `scrub` of build's own
claim must be too. The examples' correct claims are checked the same way.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from igclaim import engine
from igclaim.edits.diagnosis import coverage_policy
from igclaim.inputs import parse_json_text
from igclaim.model import Encounter
from igclaim.refdata import icd10
from igclaim.refdata.resolver import reference
from tests.conftest import check_expectations, examples, load_example, run_cli

REF = reference()
FIRST_DOS, LAST_DOS = date(2024, 10, 1), date(2026, 12, 31)
PAYERS = ["medicare", "medicare_advantage", "medicaid", "commercial"]
SETTINGS = ["office", "hospital_outpatient", "home"]


def _coded_on(p, dos: date) -> bool:
    return p.own_code(dos) is not None or ("IV" in p.routes and REF.nos_code(p.form, dos) is not None)


@st.composite
def encounters(draw) -> Encounter:
    dos = draw(st.dates(FIRST_DOS, LAST_DOS))
    product = draw(st.sampled_from([p for p in REF.products if _coded_on(p, dos)]))
    route = draw(st.sampled_from(product.routes))
    setting = draw(st.sampled_from(SETTINGS))
    payer_type = draw(st.sampled_from(PAYERS))
    profile = REF.default_profile(payer_type)

    sizes = sorted({k.grams for k in product.packages}) or [Decimal(5), Decimal(10), Decimal(20)]
    chosen = draw(st.lists(st.sampled_from(sizes), min_size=1, max_size=4))
    opened = sum(chosen, Decimal(0))
    share = draw(st.integers(50, 100))
    dose = max((opened * share / 100).quantize(Decimal("0.01")), min(sizes))
    containers = [{"grams": str(g), "count": chosen.count(g)} for g in sorted(set(chosen))]

    start = datetime.combine(dos, datetime.min.time()) + timedelta(hours=draw(st.integers(7, 12)))
    minutes = draw(st.integers(1, 400))
    stop = start + timedelta(minutes=minutes)
    drug: dict = {"id": "ig1", "product": product.name, "route": route, "dose": {"grams": str(dose)},
                  "containers": containers}
    ndcs = [k.ndc for k in product.packages if k.ndc]
    if profile.get("ndc_required", dos):
        assume(ndcs)
        drug["ndc"] = draw(st.sampled_from(ndcs))

    # A diagnosis the payer's own coverage policy lists, billable on the date of service.
    enc_for_policy = Encounter.model_validate({
        "encounter_id": "p", "date_of_service": dos, "setting": setting, "payer": {"type": payer_type},
        "drugs": [drug], "administrations": []})
    from igclaim.edits.context import EditContext

    coding = engine.code_encounter(enc_for_policy, REF, profile)
    pol = coverage_policy(EditContext(coding, REF))
    covered = [c for c in pol.codes_for(route) if icd10.is_billable(c, dos)]
    if route == "SC" and product.sc_labeled_for is not None:  # and one its label names for the route (Gamunex-C
        covered = [c for c in covered if product.sc_labeled_for.names(c)]  # SC: PI only; DX-ROUTE-OFF-LABEL)
    assume(covered)
    dx = draw(st.sampled_from(covered))

    payer: dict = {"type": payer_type, "abn_signed": draw(st.booleans())}
    if profile.get("prior_authorization_required", dos):
        payer["prior_authorization"] = {"number": "PA-1", "start": str(dos - timedelta(days=30)),
                                        "end": str(dos + timedelta(days=30)), "units": 100000}
    enc = {
        "encounter_id": "gen", "date_of_service": str(dos), "setting": setting, "payer": payer,
        "diagnoses": [dx], "drugs": [drug],
        "administrations": [{"drug_id": "ig1", "start": start.isoformat(), "stop": stop.isoformat()}],
    }
    if draw(st.booleans()):  # a premedication pushed before the immune globulin
        pre = {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"}
        if profile.get("ndc_required", dos):  # with its quantity, which the 837 carries beside it (LIN/CTP)
            pre.update(ndc="0641-0376-21", ndc_quantity=1, ndc_unit="ML")  # 50 mg/mL: 1 unit of J1200 is 1 mL
        enc["drugs"].append(pre)
        enc["administrations"].insert(0, {"drug_id": "pre", "method": "push",
                                          "start": (start - timedelta(minutes=15)).isoformat(),
                                          "stop": (start - timedelta(minutes=10)).isoformat()})
    if draw(st.booleans()):  # ordered, medically necessary hydration after the infusion
        fluid_stop = stop + timedelta(minutes=draw(st.integers(31, 150)))
        enc["fluids"] = [{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                          "start": stop.isoformat(), "stop": fluid_stop.isoformat()}]
    elif draw(st.booleans()):
        enc["fluids"] = [{"purpose": draw(st.sampled_from(["flush", "kvo", "diluent"])),
                          "start": stop.isoformat(), "stop": (stop + timedelta(minutes=10)).isoformat()}]
    if draw(st.booleans()):
        enc["pump_log"] = [{"drug_id": "ig1", "start": start.isoformat(), "stop": stop.isoformat()}]
    if setting == "hospital_outpatient":  # where the department is: PO/PN on every line off campus
        enc["outpatient_department"] = draw(st.sampled_from([None, "on_campus", "off_campus_excepted",
                                                             "off_campus_nonexcepted"]))
    return parse_json_text(json.dumps(enc))


def _errors(result) -> list[str]:
    return [f"{f.edit}: {f.message}" for f in result.findings if f.severity == "error"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                    HealthCheck.too_slow])
@given(encounters())
def test_scrub_of_builds_own_claim_is_clean(enc: Encounter) -> None:
    built = engine.build(enc)
    assert not _errors(built), _errors(built)
    # The 837's SV1/SV2 composite holds four modifiers: a fifth (a department's PO/PN, last) would be lost.
    assert all(len(ln.modifiers) <= 4 for ln in built.claim.lines), built.claim.lines
    scrubbed = engine.scrub(enc.model_copy(update={"claim": built.claim}))
    assert not _errors(scrubbed), _errors(scrubbed)
    # The scrubber also finds nothing new on the claim itself: no finding points at a line.
    assert not [f for f in scrubbed.findings if f.line is not None and f.severity != "info"], scrubbed.findings


def test_build_examples_scrub_clean_with_their_own_claim(tmp_path):
    """Each build-mode example's expected claim, written back as the claim, scrubs with no error."""
    for path in examples("build"):
        data = load_example(path)
        proc = run_cli("build", str(path), "--format", "json")
        assert proc.returncode == 0, proc.stderr
        built = json.loads(proc.stdout)
        enc = dict(data["input"], claim=built["claim"])
        f = tmp_path / path.name
        f.write_text(json.dumps({"input": enc}))
        proc = run_cli("scrub", str(f), "--format", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        errors = [x["edit"] for x in result["findings"] if x["severity"] == "error"]
        assert not errors, (path.name, errors)
        if data["expect"].get("clean"):
            assert not check_expectations(result, {"clean": True})
