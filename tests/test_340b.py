"""Drugs bought through the 340B drug pricing program (the chart's `drugs[].acquired_340b`) and Medicare's JG/TB
modifiers, by date of service and setting (refdata/payers/medicare-part-b.toml `acquired_340b_settings`,
`acquired_340b_modifiers`; refdata/cms/modifiers.toml JG, TB):

- 2018-01-01: JG and TB created; hospitals paid under the OPPS report one on separately payable 340B drugs
  (CY 2018 OPPS final rule, https://www.govinfo.gov/content/pkg/FR-2017-11-13/pdf/2017-23932.pdf; its history
  retold in the remedy rule, https://www.govinfo.gov/content/pkg/FR-2023-11-08/html/2023-24407.htm); the JW line
  of such a drug carries it too (CMS FAQ, Billing 340B Modifiers under the Hospital OPPS).
- 2024-01-01: every 340B covered entity billing Part B, professional claims included (Part B inflation rebates,
  Inflation Reduction Act §11101: 340B units are left out of the rebate).
- 2025-01-01: TB for every covered entity (CY 2025 OPPS final rule,
  https://www.govinfo.gov/content/pkg/FR-2024-11-27/pdf/2024-25521.pdf); JG, as read here, valid through 2025-12-31.

Each date is pinned on both sides (the day before and the day of), as scripts/mutate_data.py moves them by a day."""

from __future__ import annotations

import pytest

from tests.test_edits_support import build, chart, ids, only, scrub

MA = {"type": "medicare_advantage", "name": "MA plan", "prior_authorization": {"number": "PA1"}}
COMMERCIAL = {"type": "commercial", "name": "Plan", "prior_authorization": {"number": "PA1"}}
MODS_340B = {"JG", "TB"}


def visit(dos: str, setting: str = "office", acquired: bool = True, **changes) -> dict:
    """Privigen 35 g from a 40 g vial (a JW line), bought through 340B unless `acquired` is false."""
    drug = {"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
            "containers": [{"grams": 40, "count": 1}], "acquired_340b": acquired}
    return chart(setting=setting, date_of_service=dos, drugs=[drug],
                 administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T12:30"}], **changes)


def drug_mods(enc: dict) -> list[list[str]]:
    """The 340B modifiers of each drug line (the given line, then the JW line)."""
    lines = build(enc).claim.lines
    drug = [ln for ln in lines if ln.code == "J1459"]
    assert len(drug) == 2 and "JW" in drug[1].modifiers
    return [[m for m in ln.modifiers if m in MODS_340B] for ln in drug]


def strip_340b(claim: dict) -> None:
    for ln in claim["lines"]:
        ln["modifiers"] = [m for m in ln["modifiers"] if m not in MODS_340B]


def put(modifier: str):
    def apply(claim: dict) -> None:
        strip_340b(claim)
        for ln in claim["lines"]:
            if ln["code"] == "J1459":
                ln["modifiers"].append(modifier)
    return apply


@pytest.mark.parametrize(("dos", "expected"), [
    ("2023-12-31", None),  # professional claims: no 340B modifier before the inflation-rebate requirement
    ("2024-01-01", "JG"),
    ("2024-12-31", "JG"),
    ("2025-01-01", "TB"),  # every covered entity reports TB
    ("2026-03-02", "TB"),
])
def test_office_medicare_by_date(dos, expected):
    """Office (837P): from 2024-01-01 every covered entity; TB from 2025-01-01 (URLs in the module docstring)."""
    assert drug_mods(visit(dos)) == ([[expected], [expected]] if expected else [[], []])


@pytest.mark.parametrize(("dos", "expected"), [
    ("2017-12-31", None),
    ("2018-01-01", "JG"),  # the OPPS 340B policy (CY 2018 OPPS final rule): JG for the non-exempt hospital
    ("2023-12-31", "JG"),
    ("2024-12-31", "JG"),
    ("2025-01-01", "TB"),
])
def test_hospital_outpatient_medicare_by_date(dos, expected):
    """Hospital outpatient (837I, OPPS) from 2018-01-01; the JW line carries the modifier too (CMS 340B FAQ)."""
    assert drug_mods(visit(dos, "hospital_outpatient")) == ([[expected], [expected]] if expected else [[], []])


def test_the_340b_modifier_follows_the_drugs_own():
    lines = build(visit("2026-03-02")).claim.lines
    assert [ln.modifiers for ln in lines if ln.code == "J1459"] == [["TB"], ["JW", "TB"]]


@pytest.mark.parametrize("payer", [COMMERCIAL, MA])
def test_only_original_medicare(payer):
    """The requirement is for claims to Medicare Part B (OPPS; the Part B inflation rebates); a commercial plan or
    the generic Medicare Advantage plan asks none (a plan's contract may: copy the profile)."""
    for dos, setting in (("2026-03-02", "office"), ("2026-03-02", "hospital_outpatient")):
        assert drug_mods(visit(dos, setting, payer=payer)) == [[], []]


def test_a_chart_that_does_not_say_340b_changes_nothing():
    assert drug_mods(visit("2026-03-02", acquired=False)) == [[], []]
    assert drug_mods(visit("2020-06-01", "hospital_outpatient", acquired=False)) == [[], []]


def test_a_hospitals_packaged_premedication_takes_none_an_offices_does():
    """OPPS packages premedications (no separate payment): the modifier is for separately payable drugs."""
    premed = {"id": "p1", "hcpcs": "J1200", "units": 1, "acquired_340b": True}

    def premed_mods(setting: str) -> list[str]:
        enc = visit("2026-03-02", setting)
        enc["drugs"].append(premed)
        enc["administrations"].append({"drug_id": "p1", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50",
                                       "method": "push"})
        return next(ln.modifiers for ln in build(enc).claim.lines if ln.code == "J1200")

    assert "TB" not in premed_mods("hospital_outpatient")
    assert "TB" in premed_mods("office")


@pytest.mark.parametrize(("dos", "setting"), [
    ("2024-01-01", "office"), ("2025-01-01", "office"), ("2018-01-01", "hospital_outpatient"),
    ("2026-03-02", "hospital_outpatient"),
])
def test_builds_own_claim_scrubs_clean(dos, setting):
    found = ids(scrub(visit(dos, setting)))
    assert not found & {"DRUG-340B-MISSING", "DRUG-340B-NOT-IN-CHART", "CLAIM-MODIFIER-DATE"}


def test_missing_modifier_is_an_error_on_each_line():
    r = scrub(visit("2026-03-02"), strip_340b)
    found = [f for f in r.findings if f.edit == "DRUG-340B-MISSING"]
    assert [(f.line, f.severity) for f in found] == [(1, "error"), (2, "error")]
    assert found[0].message == ("Line 1: Privigen was bought through 340B (drugs[0].acquired_340b) and Original "
                                "Medicare Part B asks TB on its lines on 2026-03-02.")
    assert found[0].fix == "Add TB to line 1."


@pytest.mark.parametrize(("dos", "setting", "asked"), [
    ("2023-12-31", "office", False), ("2024-01-01", "office", True),
    ("2017-12-31", "hospital_outpatient", False), ("2018-01-01", "hospital_outpatient", True),
])
def test_missing_only_where_and_when_asked(dos, setting, asked):
    assert ("DRUG-340B-MISSING" in ids(scrub(visit(dos, setting), strip_340b))) is asked


def test_before_2025_the_finding_names_either_modifier():
    f = only(scrub(visit("2024-12-31", "hospital_outpatient"), strip_340b), "DRUG-340B-MISSING")
    assert f.message.endswith("Original Medicare Part B asks JG or TB on its lines on 2024-12-31.")
    assert f.fix == "Add JG or TB to line 1."


def test_either_modifier_satisfies_2018_to_2024():
    """Which one a hospital reported (JG, or TB for the exempt ones) depends on its type, not in the chart."""
    for dos in ("2018-01-01", "2024-12-31"):
        assert "DRUG-340B-MISSING" not in ids(scrub(visit(dos, "hospital_outpatient"), put("TB")))
        assert "DRUG-340B-MISSING" not in ids(scrub(visit(dos, "hospital_outpatient"), put("JG")))


def test_jg_from_2025_is_a_warning_while_valid_then_an_error():
    """TB for every covered entity from 2025-01-01 (CY 2025 OPPS final rule): JG the day before is accepted; in
    2025 a warning (JG still a valid modifier, its acceptance not certain); from 2026-01-01 JG is not valid
    (CLAIM-MODIFIER-DATE) and TB is missing (DRUG-340B-MISSING, error)."""
    assert "DRUG-340B-MISSING" not in ids(scrub(visit("2024-12-31"), put("JG")))
    first = only(scrub(visit("2025-01-01"), put("JG")), "DRUG-340B-MISSING")
    assert first.severity == "warning" and first.fix == "Replace JG with TB on line 1."
    last = scrub(visit("2025-12-31"), put("JG"))
    assert only(last, "DRUG-340B-MISSING").severity == "warning" and "CLAIM-MODIFIER-DATE" not in ids(last)
    after = scrub(visit("2026-01-01"), put("JG"))
    assert only(after, "DRUG-340B-MISSING").severity == "error"
    assert "(JG is not valid on 2026-01-01)" in only(after, "DRUG-340B-MISSING").message
    assert only(after, "CLAIM-MODIFIER-DATE").severity == "error"


@pytest.mark.parametrize("modifier", ["JG", "TB"])
def test_modifiers_are_valid_from_2018(modifier):
    """JG and TB were created for the CY 2018 OPPS 340B policy: not valid on 2017-12-31."""
    before = scrub(visit("2017-12-31", "hospital_outpatient"), put(modifier))
    assert "CLAIM-MODIFIER-DATE" in ids(before)
    assert "CLAIM-MODIFIER-DATE" not in ids(scrub(visit("2018-01-01", "hospital_outpatient"), put(modifier)))


def test_a_340b_modifier_the_chart_does_not_support_is_a_warning():
    r = scrub(visit("2026-03-02", acquired=False), put("TB"))
    found = [f for f in r.findings if f.edit == "DRUG-340B-NOT-IN-CHART"]
    assert [(f.line, f.severity) for f in found] == [(1, "warning"), (2, "warning")]
    assert found[0].message == ("Line 1: TB says Privigen was bought through 340B; the chart does not say so "
                                "(drugs[0].acquired_340b).")
    assert "DRUG-340B-MISSING" not in ids(r)


def test_a_plan_that_asks_none_is_not_judged():
    assert not ids(scrub(visit("2026-03-02", payer=COMMERCIAL), strip_340b)) & {"DRUG-340B-MISSING"}
    assert "DRUG-340B-NOT-IN-CHART" not in ids(scrub(visit("2026-03-02", acquired=False, payer=COMMERCIAL),
                                                     put("TB")))


# --- the other inputs: an 837 (its JG/TB are the claim's statement) and a FHIR Bundle (igclaim's extension) --------

def _837_with_tb() -> str:
    """examples/parties/office-gamunex-jz.json (Medicare Part B, office, 2026-03-02) as a chart that says 340B,
    written as an 837: its J1561 line carries TB."""
    import json
    from datetime import datetime

    from igclaim.inputs import parse_encounter
    from igclaim.outputs import chargemaster, x12
    from tests.conftest import ROOT

    data = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    data["drugs"][0]["acquired_340b"] = True
    text = x12.to_837(parse_encounter(data), chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12, 0)))
    assert "SV1*HC:J1561:JZ:TB*" in text
    return text


def _scrub_837(text: str, chart: dict | None):
    import io

    from igclaim.readers.scrub import Charts, parse_chart, scrub_837

    charts = None
    if chart is not None:
        charts = Charts()
        charts.add(parse_chart(chart))
    [item] = scrub_837(io.StringIO(text), charts)
    assert item.error is None and (item.joined_by != "") is (chart is not None)
    return item.result


def _bundle(*extensions: dict) -> dict:
    """examples/fhir/office-gamunex-bundle.json with these extensions on the immune globulin's administration."""
    import json

    from tests.conftest import ROOT

    bundle = json.loads((ROOT / "examples" / "fhir" / "office-gamunex-bundle.json").read_text())
    [ma] = [e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "ma1"]
    ma["extension"] = list(extensions)
    return bundle


EXT_340B = "https://igclaim.dev/fhir/StructureDefinition/acquired-340b"


def test_an_837_alone_is_not_judged_for_340b():
    """Without a chart nothing says whether the drug was bought through 340B: both edits are listed as skipped."""
    r = _scrub_837(_837_with_tb(), None)
    assert not ids(r) & {"DRUG-340B-MISSING", "DRUG-340B-NOT-IN-CHART"}
    skipped = only(r, "SCRUB-NO-CHART").message.split("skipped")[1]
    assert "DRUG-340B-NOT-IN-CHART" in skipped and "DRUG-340B-MISSING" in skipped


def test_a_fhir_bundle_says_340b_with_igclaims_extension():
    """No FHIR R4 element carries a 340B purchase: a Bundle without the extension was always 'not 340B' (a TB on
    the 837 was told 'the chart does not say so' with no way to say it). The extension on the MedicationAdministration
    now says it: the visit is coded with TB and the 837's TB agrees with the chart."""
    from igclaim import engine
    from igclaim.readers.fhir import parse_bundle

    said = _bundle({"url": EXT_340B, "valueBoolean": True})
    enc = parse_bundle(said)
    assert enc.drugs[0].acquired_340b is True
    assert [ln.modifiers for ln in engine.build(enc).claim.lines if ln.code == "J1561"] == [["JZ", "TB"]]
    assert not ids(_scrub_837(_837_with_tb(), said)) & {"DRUG-340B-MISSING", "DRUG-340B-NOT-IN-CHART"}
    assert parse_bundle(_bundle({"url": EXT_340B, "valueBoolean": False})).drugs[0].acquired_340b is False
    f = only(_scrub_837(_837_with_tb(), _bundle()), "DRUG-340B-NOT-IN-CHART")  # no extension: the chart's silence
    assert f.message == ("Line 1: TB says Gamunex-C was bought through 340B; the chart does not say so "
                         "(drugs[0].acquired_340b).")


@pytest.mark.parametrize("value", ["true", 1, None])
def test_a_340b_extension_without_a_boolean_is_refused_naming_it(value):
    from igclaim.inputs import InvalidInput
    from igclaim.readers.fhir import parse_bundle

    with pytest.raises(InvalidInput) as exc:
        parse_bundle(_bundle({"url": EXT_340B, "valueBoolean": value}))
    assert any("extension[0]: valueBoolean: true or false is required" in p for p in exc.value.problems), \
        exc.value.problems


def test_two_administrations_of_one_medication_that_disagree_on_340b_are_refused():
    import copy

    from igclaim.inputs import InvalidInput
    from igclaim.readers.fhir import parse_bundle

    bundle = _bundle({"url": EXT_340B, "valueBoolean": True})
    [entry] = [e for e in bundle["entry"] if e["resource"].get("id") == "ma1"]
    second = copy.deepcopy(entry)
    second["resource"]["id"] = "ma1b"
    second["resource"]["effectivePeriod"] = {"start": "2026-03-02T14:20:00-06:00", "end": "2026-03-02T14:30:00-06:00"}
    bundle["entry"].append(second)
    assert parse_bundle(bundle).drugs[0].acquired_340b is True  # both say it
    second["resource"]["extension"] = [{"url": EXT_340B, "valueBoolean": False}]
    with pytest.raises(InvalidInput) as exc:
        parse_bundle(bundle)
    assert any("says the opposite" in p for p in exc.value.problems), exc.value.problems
