"""`scrub` of an 837: each claim joined to its chart by claim id (CLM01) or by patient and date of service; without
a chart only the chart-free edits run and SCRUB-NO-CHART names the skipped ones; a claim without immune globulin
is an info finding, never an error; one bad claim never stops the file."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, x12
from igclaim.readers.scrub import Charts, load_charts, scrub_837
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
PARTIES = ROOT / "examples" / "parties"
ENVELOPE = x12.Envelope(created=datetime(2026, 3, 6, 12, 0))
# office-batch.jsonl bills two payers: their one interchange goes to a clearinghouse (x12.mixed_receivers)
BATCH = x12.Envelope(created=datetime(2026, 3, 6, 12, 0), receiver_id="CLEARH1")


@pytest.fixture(scope="module")
def charges():
    return chargemaster.load("sample")


def enc_of(name: str, **changes):
    data = json.loads((PARTIES / f"{name}.json").read_text())
    data.update(changes)
    return parse_encounter(data)


def text_of(name: str, charges, **changes) -> str:
    return x12.to_837(enc_of(name, **changes), charges, envelope=ENVELOPE)


def join(segs: list[str]) -> str:
    """Segments back into an interchange, with SE01 recounted (so only the intended change is an error)."""
    st = next(i for i, x in enumerate(segs) if x.startswith("ST*"))
    se = next(i for i, x in enumerate(segs) if x.startswith("SE*"))
    segs = [*segs[:se], f"SE*{se - st + 1}*{segs[se].split('*')[2]}", *segs[se + 1:]]
    return "".join(x + "~\n" for x in segs)


def scrub_text(text: str, charts: Charts | None = None):
    return list(scrub_837(io.StringIO(text), charts))


def edits(item) -> dict[str, str]:
    return {f.edit: f.severity for f in item.result.findings}


@pytest.mark.parametrize("name", [p.stem for p in sorted(PARTIES.glob("*.json"))])
def test_clean_examples_have_no_problem_without_a_chart(name, charges):
    [item] = scrub_text(text_of(name, charges))
    assert item.error is None
    assert {e for e, sev in edits(item).items() if sev != "info"} == set()
    skipped = next(f for f in item.result.findings if f.edit == "SCRUB-NO-CHART")
    assert "skipped" in skipped.message and "DRUG-JW-MISSING" in skipped.message
    assert "DRUG-MUE" not in skipped.message.split("skipped")[1]  # MUE needs no chart: it ran


@pytest.mark.parametrize("mutate,edit_id", [
    (lambda t: t.replace("SV1*HC:J1561:JZ*", "SV1*HC:J1561*"), "DRUG-JZ-MISSING"),
    (lambda t: t.replace("SV1*HC:J1561:JZ*", "SV1*HC:J1599:JZ*"), "DRUG-NOS-CODE"),
    (lambda t: t.replace("UN*60***1", "UN*300***1"), "DRUG-UNITS"),
    (lambda t: t.replace("HI*ABK:D839", "HI*ABK:D83"), "DX-INVALID"),
    (lambda t: t.replace("SV1*HC:96365*", "SV1*HC:96374*"), "ADMIN-NOT-SUPPORTED"),
    # Gamunex-C's NDC on Privigen's code: the ASP crosswalk names the NDC's own code (tables.ndc_mismatch)
    (lambda t: t.replace("SV1*HC:J1561:JZ*", "SV1*HC:J1459:JZ*"), "DRUG-NDC-MISMATCH"),
    # Z51.11 (an encounter for chemotherapy) listed first: never the reason for immune globulin
    (lambda t: t.replace("HI*ABK:D839", "HI*ABK:Z5111*ABF:D839"), "DX-CHEMO-ENCOUNTER"),
    (lambda t: join([s for s in (x.strip() for x in t.split("~")) if s and not s.startswith("HI*")]), "DX-MISSING"),
    (lambda t: t.replace("UN*60***1", "UN*60***5"), "CLAIM-POINTER-INVALID"),  # one diagnosis on the claim
])
def test_chart_free_edits_find_problems_on_the_claim_alone(mutate, edit_id, charges):
    text = text_of("office-gamunex-jz", charges)
    broken = mutate(text)
    assert broken != text
    [clean] = scrub_text(text)
    [item] = scrub_text(broken)
    assert edit_id not in edits(clean)
    assert edit_id in edits(item), item.result.findings


def test_jz_not_required_before_july_2023(charges):
    """Medicare requires JZ from 2023-07-01: a line without JZ the day before is fine, the day of it is not."""
    def run(day: str):
        enc = enc_of("office-gamunex-jz", date_of_service=day, administrations=[
            {"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T14:00"}])
        text = x12.to_837(enc, chargemaster.load("sample"), envelope=ENVELOPE).replace(":JZ*", "*")
        return edits(scrub_text(text)[0])
    assert "DRUG-JZ-MISSING" not in run("2023-06-30")
    assert "DRUG-JZ-MISSING" in run("2023-07-01")


@pytest.mark.parametrize("old,new,element,problem", [
    ("HI*ABK:D839", "HI*ABK:" + "X" * 201, "CLM05/HI", "diagnoses[0]: too long: at most 200 characters"),
    ("N4*13533080511", "N4*" + "1" * 201, "SV1/LIN (line 1)", "ndc: too long: at most 200 characters"),
    # int() of 5,000 digits raised ValueError past Python's 4,300 digits: "(internal)" too
    ("UN*60***1~", "UN*60***" + "9" * 5000 + "~", "SV107", "diagnosis pointer '" + "9" * 40 + "' is not 1 to 12"),
])
def test_a_value_the_schema_refuses_names_its_segment_not_an_internal_error(old, new, element, problem, charges):
    """A 201-character diagnosis or NDC used to leave the reader as "(internal) ValidationError": the claim still
    came out, as an error, but one that named nothing a biller could fix."""
    text = text_of("office-gamunex-jz", charges)
    assert old in text
    [item] = scrub_text(text.replace(old, new))
    assert (item.error.segment, item.error.element, item.error.message) == ("CLM", element, problem)


@pytest.mark.parametrize("day,refused", [("1999-12-31", True), ("2000-01-01", False)])
def test_a_claim_dated_before_the_payer_rules_is_an_error_naming_the_date(day, refused, charges):
    """The Medicare profile's parameters start on 2000-01-01; an IG claim of 1999 read from an 837 crashed the
    route-modifier check (its parameter was None) and a chart of 1999 was refused as an unknown coverage policy."""
    text = text_of("office-gamunex-jz", charges)  # J1561 and its administration, moved to the day
    [item] = scrub_text(text.replace("D8*20260302", "D8*" + day.replace("-", "")))
    message = (f"{day} is before 2000-01-01, the first date payer profile 'medicare-part-b' has its rules for: "
               "igclaim cannot code or check a claim of that date")
    chart = enc_of("office-gamunex-jz", date_of_service=day, administrations=[
        {"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T14:00"}])
    if refused:
        assert (item.error.element, item.error.message) == ("date_of_service", message)
        with pytest.raises(InputError) as exc:
            engine.build(chart)
        assert (exc.value.path, exc.value.message) == ("date_of_service", message)
    else:
        assert item.error is None and "SCRUB-NO-CHART" in edits(item)
        assert engine.build(chart).claim.lines


def test_a_claim_billing_no_immune_globulin_is_told_so_on_any_date(charges):
    """Before the profile's rules too (the X12 guide's 1996 examples): CLAIM-NO-IG needs no payer parameter."""
    text = text_of("office-gamunex-jz", charges).replace("SV1*HC:J1561:JZ*", "SV1*HC:99213*")
    [item] = scrub_text(text.replace("D8*20260302", "D8*19960911"))
    assert item.error is None and edits(item) == {"CLAIM-NO-IG": "info"}


def test_prior_auth_presence_from_ref_g1(charges):
    text = text_of("office-child-commercial", charges)
    assert "REF*G1*" in text
    assert "AUTH-MISSING" not in edits(scrub_text(text)[0])
    no_auth = join([s for s in (x.strip() for x in text.split("~")) if s and not s.startswith("REF*G1*")])
    assert edits(scrub_text(no_auth)[0]).get("AUTH-MISSING") == "error"


def test_a_lines_own_prior_authorization_is_the_claims(charges):
    """The 837P allows REF*G1 in 2400 (a line's prior authorization): sent only there, the claim has one, and
    AUTH-MISSING was a false alarm."""
    text = text_of("office-child-commercial", charges)
    segs = [x for x in (y.strip() for y in text.split("~")) if x]
    [auth] = [x for x in segs if x.startswith("REF*G1*")]
    segs.remove(auth)
    sv1 = next(i for i, x in enumerate(segs) if x.startswith("SV1*"))
    dtp = next(i for i in range(sv1, len(segs)) if segs[i].startswith("DTP*472"))
    [item] = scrub_text(join([*segs[:dtp + 1], auth, *segs[dtp + 1:]]))
    assert "AUTH-MISSING" not in edits(item)


def test_another_payer_s_authorization_is_not_this_claim_s(charges):
    """A COB claim's 2320/2330 loops (SBR, then the other payer's NM1 and REF) come before the first LX: a REF*G1
    there is the other payer's authorization, and was read as this claim's (AUTH-MISSING stayed silent)."""
    text = text_of("office-child-commercial", charges)
    segs = [x for x in (y.strip() for y in text.split("~")) if x and not x.startswith("REF*G1*")]
    lx = next(i for i, x in enumerate(segs) if x.startswith("LX*"))
    other = ["SBR*S*18*******CI", "NM1*IL*1*DOE*JANE****MI*OTHER1", "NM1*PR*2*OTHER PLAN*****PI*OP1",
             "REF*G1*OTHER-AUTH", "NM1*82*1*ELSE*ANNE****XX*1245319599"]
    [item] = scrub_text(join([*segs[:lx], *other, *segs[lx:]]))
    assert edits(item).get("AUTH-MISSING") == "error"
    [alone] = scrub_text(join([*segs[:lx], *other[:1], *segs[lx:]]))
    assert edits(alone).get("AUTH-MISSING") == "error"  # the same claim without the other payer's REF
    [own] = scrub_text(join([*segs[:lx], "REF*G1*AUTH-9", *other, *segs[lx:]]))
    assert "AUTH-MISSING" not in edits(own)  # its own REF*G1 (2300), before the other payer's loops: read


def test_claim_without_immune_globulin_is_info(charges):
    text = text_of("office-gamunex-jz", charges)
    segs = [s.strip() for s in text.split("~") if s.strip()]
    # Keep only the administration lines: a claim for something else entirely (here 96365 + 96366, no drug).
    start = next(i for i, s in enumerate(segs) if s.startswith("LX*1"))
    admin = next(i for i, s in enumerate(segs) if s.startswith("SV1*HC:96365"))
    segs = segs[:start] + segs[admin - 1:]
    out = scrub_text(join(segs))
    assert len(out) == 1 and out[0].error is None
    assert [(f.edit, f.severity) for f in out[0].result.findings] == [("CLAIM-NO-IG", "info")]


def test_mixed_file_every_claim_comes_out_in_order(charges):
    """Three claims, the middle one broken: results + errors = claims, in file order."""
    encs = [parse_encounter(json.loads(x)) for x in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    text = x12.to_837(encs, charges, envelope=BATCH)
    segs = [s.strip() for s in text.split("~") if s.strip()]
    second = [i for i, s in enumerate(segs) if s.startswith("CLM*")][1]
    dtp = next(i for i in range(second, len(segs)) if segs[i].startswith("DTP*472"))
    segs[dtp] = "DTP*472*D8*2026XX01"
    out = scrub_text("".join(s + "~\n" for s in segs))
    assert [o.claim_id for o in out] == [e.claim_id for e in encs]
    assert [o.error is None for o in out] == [True, False, True]
    assert out[1].error.segment == "DTP" and out[1].error.position == dtp + 1


def test_join_by_claim_id(charges):
    enc = enc_of("office-bivigam-jw")
    charts = Charts()
    charts.add(enc)
    [item] = scrub_text(text_of("office-bivigam-jw", charges), charts)
    assert item.joined_by == "claim id"
    assert item.result.encounter_id == enc.encounter_id
    assert "SCRUB-NO-CHART" not in edits(item)


def test_join_by_patient_and_date_of_service(charges):
    enc = enc_of("office-bivigam-jw")
    chart = enc.model_copy(update={"claim_id": None})
    charts = Charts()
    charts.add(chart)
    [item] = scrub_text(text_of("office-bivigam-jw", charges), charts)
    assert item.joined_by == "member id and date of service"
    other_day = chart.model_copy(update={"date_of_service": chart.date_of_service.replace(day=4)})
    charts = Charts()
    charts.add(other_day)
    [item] = scrub_text(text_of("office-bivigam-jw", charges), charts)
    assert item.joined_by == "" and "SCRUB-NO-CHART" in edits(item)


def test_joined_chart_finds_what_the_claim_alone_cannot(charges):
    """The chart documents 3 g discarded; a claim that drops the JW line passes alone but not with its chart."""
    text = text_of("office-bivigam-jw", charges)
    segs = [s.strip() for s in text.split("~") if s.strip()]
    jw = next(i for i, s in enumerate(segs) if s.startswith("SV1*HC:J1556:JW"))
    segs = segs[:jw - 1] + segs[jw + 4:]
    broken = join(segs)
    alone = scrub_text(broken)[0]
    assert "DRUG-JW-MISSING" not in edits(alone)
    charts = Charts()
    charts.add(enc_of("office-bivigam-jw"))
    assert "DRUG-JW-MISSING" in edits(scrub_text(broken, charts)[0])


def test_cli_scrub_837_with_charts_file(tmp_path, charges):
    encs = [json.loads(x) for x in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    f837 = tmp_path / "claims.837"
    f837.write_text(x12.to_837([parse_encounter(e) for e in encs], charges, envelope=BATCH))
    charts = tmp_path / "charts.jsonl"
    charts.write_text(json.dumps(encs[0]) + "\n")
    proc = run_cli("scrub", str(f837), "--charts", str(charts), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["encounter_id"] for r in rows] == [encs[0]["encounter_id"], encs[1]["claim_id"], encs[2]["claim_id"]]
    assert not any(f["edit"] == "SCRUB-NO-CHART" for f in rows[0]["findings"])
    assert any(f["edit"] == "SCRUB-NO-CHART" for f in rows[1]["findings"])


def test_cli_bad_claim_exits_2_naming_segment(tmp_path, charges):
    f837 = tmp_path / "claims.837"
    f837.write_text(text_of("office-gamunex-jz", charges).replace("UN*60***1", "UN*six***1"))
    proc = run_cli("scrub", str(f837))
    assert proc.returncode == 2
    assert "claim CLM-2026-0001: segment" in proc.stderr and "(SV1 SV104)" in proc.stderr


def test_load_charts_names_file_and_field(tmp_path):
    bad = tmp_path / "charts.jsonl"
    bad.write_text(json.dumps({"encounter_id": "x", "setting": "office"}) + "\n")
    from igclaim.inputs import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        load_charts(bad)
    assert any(p.startswith(f"{bad}:1: date_of_service") for p in exc.value.problems)


# --- chart-free checks the claim alone supports (found by an outside rule-break audit, 2026-12-05) -----------------

@pytest.mark.parametrize(("days_ahead", "severity"), [(90, "error"), (5, "warning"), (-30, None)])
def test_a_service_date_in_the_future_is_told_without_a_chart(days_ahead, severity, charges):
    """PLAUSIBILITY-DOS reads only the date of service and the clock, so an 837 scrubbed alone is told too: an error
    past FUTURE_HORIZON (31 days), a warning within it, nothing for a past date."""
    day = (date.today() + timedelta(days=days_ahead)).strftime("%Y%m%d")
    text = text_of("office-gamunex-jz", charges).replace("D8*20260302", f"D8*{day}")
    # The 837 is made on the day of service (BHT04), so only the date itself is judged.
    [item] = scrub_text(re.sub(r"(BHT\*0019\*00\*[^*]*\*)20260306", rf"\g<1>{day}", text))
    assert item.error is None, item.error
    assert [f.severity for f in item.result.findings if f.edit == "PLAUSIBILITY-DOS"] == ([severity] if severity
                                                                                         else [])


def test_a_facility_only_code_on_a_professional_837_is_told_without_a_chart(charges):
    """96376 (a sequential push of the same drug) is reported on facility claims only (reference.md §4;
    administration.toml `facility_only`): on an 837P alone it is ADMIN-NOT-SUPPORTED, its units at stake."""
    text = text_of("office-gamunex-jz", charges).replace("SV1*HC:96366*", "SV1*HC:96376*")
    [item] = scrub_text(text)
    (f,) = [f for f in item.result.findings if f.edit == "ADMIN-NOT-SUPPORTED"]
    assert f.severity == "error"
    line = next(ln for ln in item.result.claim.lines if ln.code == "96376")
    assert (f.line, f.impact_units) == (line.line, -line.units)
    assert f.message == (f"Line {line.line}: 96376 ({_meaning('96376')}) is reported on facility claims only, not "
                         "on a professional claim (CMS-1500/837P).")


def test_a_facility_only_code_on_an_institutional_837_is_not_told(charges):
    """The same code on an 837I (the hospital's claim) is its own to bill: no finding on the form alone."""
    text = text_of("hospital-gamunex", charges)
    code = next(c for c in ("96366", "96375", "96361") if f"SV2*0260*HC:{c}*" in text)
    [item] = scrub_text(text.replace(f"SV2*0260*HC:{code}*", "SV2*0260*HC:96376*"))
    assert item.error is None and not [f for f in item.result.findings if f.edit == "ADMIN-NOT-SUPPORTED"
                                       and "facility claims only" in f.message]


def _meaning(code: str) -> str:
    from igclaim.refdata.resolver import reference

    return reference().admin_codes[code].meaning


@pytest.mark.parametrize(("created", "told"), [("20260301", True), ("20260302", False)])
def test_an_837_made_before_its_service_is_told_without_a_chart(created, told, charges):
    """BHT04 (the day the 837 was made, read as its filing date) before the date of service (2026-03-02): a claim is
    filed after the service. A chart refuses such a filing date (model.Encounter); the claim alone is told."""
    text = re.sub(r"(BHT\*0019\*00\*[^*]*\*)20260306", rf"\g<1>{created}", text_of("office-gamunex-jz", charges))
    [item] = scrub_text(text)
    found = [f for f in item.result.findings if f.edit == "PLAUSIBILITY-DOS"]
    if not told:
        assert found == []
        return
    (f,) = found
    assert (f.severity, f.message) == ("error", "date_of_service: 2026-03-02 is after the day the claim was made "
                                       "(2026-03-01, the 837's BHT04); a claim is filed after the service.")
    assert f.fix == "Correct the date of service, or bill the service after it is given."


def test_a_medicare_home_837_alone_is_told_each_administration_line(charges):
    """Home IVIG to the DME MAC is billed as the drug and its supplies, without administration codes (A52509): on
    an 837 alone each administration line is FORM-SETTING, the add-on 96366 as much as the initial 96365."""
    text = text_of("office-gamunex-jz", charges)
    home = text.replace("*11:B:1*", "*12:B:1*")
    assert home != text
    [item] = scrub_text(home)
    told = [(f.line, f.impact_units) for f in item.result.findings if f.edit == "FORM-SETTING"]
    assert told == [(2, -1), (3, -4)], item.result.findings
    [office] = scrub_text(text)
    assert "FORM-SETTING" not in edits(office)


@pytest.mark.parametrize(("day", "told"), [("20230630", False), ("20230701", True), ("20230708", True)])
def test_an_nos_line_alone_is_judged_by_its_own_date(day, told, charges):
    """Panzyga is billed with J1599 (not otherwise specified) before 2023-07-01 and with its own J1576 from then: on
    an 837 alone a J1599 line is judged by its own service date (DTP*472), not by the claim's first date."""
    enc = enc_of("office-gamunex-jz", date_of_service="2023-06-10", drugs=[
        {"id": "ig1", "product": "Panzyga", "ndc": "68982-0822-03", "route": "IV", "dose": {"grams": 20},
         "containers": [{"grams": 10, "count": 2}]}],
        administrations=[{"drug_id": "ig1", "start": "2023-06-10T09:00", "stop": "2023-06-10T12:00"}])
    text = x12.to_837(enc, charges, envelope=x12.Envelope(created=datetime(2023, 7, 15, 12, 0)))
    text, n = re.subn(r"(SV1\*HC:J1599[^~]*~\s*DTP\*472\*D8\*)20230610", rf"\g<1>{day}", text)
    assert n == 1
    [item] = scrub_text(text)
    nos = [f for f in item.result.findings if f.edit == "DRUG-NOS-CODE"]
    if not told:
        assert nos == []
        return
    [f] = nos
    assert f.line == 1 and f.message.endswith(f"which has its own code J1576 on {day[:4]}-{day[4:6]}-{day[6:]}.")


def test_an_837_lines_four_modifiers_are_all_read(charges):
    """SV101-3 to SV101-6 are the line's four modifiers (005010X222A1): the fourth is read too."""
    from igclaim.readers.x12 import read_837

    text = text_of("office-gamunex-jz", charges).replace("SV1*HC:J1561:JZ*", "SV1*HC:J1561:GA:JA:XS:JZ*")
    [claim] = list(read_837(io.StringIO(text)))
    assert list(claim.claim.lines[0].modifiers) == ["GA", "JA", "XS", "JZ"]


@pytest.mark.parametrize(("day", "told"), [("2022-12-31", True), ("2023-01-01", False)])
def test_a_modifier_before_its_effective_date_is_told_without_a_chart(day, told, charges):
    """JZ exists from 2023-01-01 (HCPCS modifier file): on an 837 alone, JZ the day before is CLAIM-MODIFIER-DATE."""
    text = text_of("office-gamunex-jz", charges, date_of_service=day, administrations=[
        {"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T14:00"}])
    marked = re.sub(r"SV1\*HC:J1561(:JZ)?\*", "SV1*HC:J1561:JZ*", text)
    [item] = scrub_text(marked)
    found = [f.line for f in item.result.findings if f.edit == "CLAIM-MODIFIER-DATE"]
    assert found == ([1] if told else [])
