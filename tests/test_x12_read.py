"""837 reading (readers/x12.py): every 837 igclaim writes reads back into the same claim and parties; the 5010
guide versions in the wild are accepted; a malformed interchange gets errors naming the segment, its position
and the element; one bad claim never stops the file, and every CLM comes out as a claim or an error."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, x12
from igclaim.readers.scrub import scrub_one
from igclaim.readers.x12 import ReadError, WrittenClaim, read_837

ROOT = Path(__file__).resolve().parents[1]
PARTIES = ROOT / "examples" / "parties"
GOLDEN = Path(__file__).parent / "golden"
ENVELOPE = x12.Envelope(created=datetime(2026, 3, 6, 12, 0))
# office-batch.jsonl bills two payers: their one interchange goes to a clearinghouse (x12.mixed_receivers)
BATCH = x12.Envelope(created=datetime(2026, 3, 6, 12, 0), receiver_id="CLEARH1")


def _examples() -> list[tuple[str, dict]]:
    out = []
    for p in sorted(PARTIES.glob("*.json")):
        out.append((p.stem, json.loads(p.read_text())))
    for i, line in enumerate((PARTIES / "office-batch.jsonl").read_text().splitlines()):
        out.append((f"office-batch[{i}]", json.loads(line)))
    return out


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def charges():
    return chargemaster.load("sample")


def read_text(text: str) -> list[WrittenClaim | ReadError]:
    return list(read_837(io.StringIO(text)))


def expected_claim(enc, kind: str):
    """The coded claim as an 837 carries it: no payment estimates; an 837I has no line diagnosis pointers; a
    correction changes the type of bill's frequency digit."""
    claim = engine.build(enc).claim.model_copy(deep=True)
    claim.total_expected_payment = None
    for ln in claim.lines:
        ln.expected_payment = None
        if kind == "837I":
            ln.diagnosis_pointers = []
        elif not ln.diagnosis_pointers:
            ln.diagnosis_pointers = [1]
    if kind == "837I" and enc.correction:
        claim.type_of_bill = claim.type_of_bill[:-1] + enc.correction.frequency
    return claim


def _upper(model) -> dict:
    if model is None:
        return None

    def up(v):
        return {k: up(x) for k, x in v.items()} if isinstance(v, dict) else v.upper() if isinstance(v, str) else v

    return up(model.model_dump(mode="json"))


def assert_same(enc, got: WrittenClaim, kind: str, charges) -> None:
    assert got.transaction == kind
    assert got.claim == expected_claim(enc, kind)
    assert got.claim_id == enc.claim_id
    assert got.date_of_service == enc.date_of_service
    assert got.setting == enc.setting
    assert (got.payer.type, got.payer.payer_id) == (enc.payer.type, enc.payer.payer_id)
    assert got.payer.name.upper() == enc.payer.name.upper()
    pa = enc.payer.prior_authorization
    assert (got.payer.prior_authorization.number if got.payer.prior_authorization else None) == (
        pa.number.upper() if pa and pa.number else None)
    assert got.correction == enc.correction
    bp = enc.billing_provider.model_copy(update={"tax_id": enc.billing_provider.tax_id.replace("-", "")})
    assert _upper(got.billing_provider) == _upper(bp)
    pat = enc.patient.model_copy(update={"id": enc.subscriber.member_id})
    assert _upper(got.patient) == _upper(pat)
    assert _upper(got.subscriber) == _upper(enc.subscriber)
    if enc.ordering_provider and kind == "837P":
        assert _upper(got.ordering_provider) == _upper(enc.ordering_provider)
    rp = enc.rendering_provider
    if rp and (kind == "837I" or rp.npi != enc.billing_provider.npi):
        assert _upper(got.rendering_provider) == _upper(rp)
    lines = engine.build(enc).claim.lines
    assert got.line_charges == [charges.line_charge(ln, "") for ln in lines]
    assert got.total_charge == sum(got.line_charges)


@pytest.mark.parametrize("name,data", EXAMPLES, ids=[n for n, _ in EXAMPLES])
@pytest.mark.parametrize("correction", [None, "7", "8"])
def test_every_example_reads_back_into_the_same_claim(name, data, correction, charges):
    if correction:
        data = {**data, "correction": {"frequency": correction, "original_claim_id": "ICN-2026-0099"}}
    enc = parse_encounter(data)
    kind = x12.transaction_for(enc)
    got = read_text(x12.to_837(enc, charges, envelope=ENVELOPE))
    assert len(got) == 1 and isinstance(got[0], WrittenClaim), got
    assert_same(enc, got[0], kind, charges)


def test_one_interchange_of_many_claims_reads_back_in_order(charges):
    encs = [parse_encounter(json.loads(line)) for line in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    got = read_text(x12.to_837(encs, charges, envelope=BATCH))
    assert [g.claim_id for g in got] == [e.claim_id for e in encs]
    for enc, g in zip(encs, got, strict=True):
        assert_same(enc, g, "837P", charges)


@pytest.mark.parametrize("golden", ["office-bivigam-jw.837p", "hospital-gamunex.837i"])
def test_golden_files_read(golden):
    got = list(read_837(GOLDEN / golden))
    assert len(got) == 1 and isinstance(got[0], WrittenClaim)
    assert got[0].claim.lines and got[0].claim.diagnoses


# ----------------------------------------------------------------------------------------- versions and errors


@pytest.fixture(scope="module")
def office_text(charges) -> str:
    return x12.to_837(parse_encounter(json.loads((PARTIES / "office-gamunex-jz.json").read_text())), charges,
                      envelope=ENVELOPE)


@pytest.fixture(scope="module")
def hospital_text(charges) -> str:
    return x12.to_837(parse_encounter(json.loads((PARTIES / "hospital-gamunex.json").read_text())), charges,
                      envelope=ENVELOPE)


@pytest.mark.parametrize("guide", ["005010X222A1", "005010X222A2", "005010X222"])
def test_837p_guides_accepted(guide, office_text):
    got = read_text(office_text.replace("005010X222A1", guide))
    assert [type(g) for g in got] == [WrittenClaim] and got[0].guide == guide


@pytest.mark.parametrize("guide", ["005010X223A2", "005010X223A3", "005010X223A1"])
def test_837i_guides_accepted(guide, hospital_text):
    got = read_text(hospital_text.replace("005010X223A2", guide))
    assert [type(g) for g in got] == [WrittenClaim] and got[0].guide == guide


def test_unknown_guide_is_an_error_for_each_claim(office_text):
    got = read_text(office_text.replace("005010X222A1", "004010X098A1"))
    assert len(got) == 1 and isinstance(got[0], ReadError)
    assert got[0].element == "ST03" and "004010X098A1" in got[0].message and got[0].claim_id == "CLM-2026-0001"


def _segs(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def _join(segs: list[str]) -> str:
    return "".join(s + "~\n" for s in segs)


def test_malformed_line_names_segment_position_and_element(charges):
    encs = [parse_encounter(json.loads(line)) for line in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    segs = _segs(x12.to_837(encs, charges, envelope=BATCH))
    # Break the units of the second claim's first line.
    clms = [i for i, s in enumerate(segs) if s.startswith("CLM*")]
    sv1 = next(i for i in range(clms[1], len(segs)) if segs[i].startswith("SV1*"))
    parts = segs[sv1].split("*")
    parts[4] = "5X"
    segs[sv1] = "*".join(parts)
    got = read_text(_join(segs))
    assert [type(g) for g in got] == [WrittenClaim, ReadError, WrittenClaim]
    err = got[1]
    assert err.claim_id == encs[1].claim_id and err.segment == "SV1" and err.element == "SV104"
    assert err.position == sv1 + 1 and "5X" in err.message
    assert f"segment {sv1 + 1} (SV1 SV104)" in err.text()


@pytest.mark.parametrize("empty", ["", ":", "::::"])
def test_a_professional_line_without_a_diagnosis_pointer_is_an_error_naming_sv107(empty, charges):
    """SV107-1 is required on an 837P (005010X222): a line with none was read with no pointer and scrubbed as if the
    claim could go out, while a clearinghouse rejects it. The file's other claims are still read."""
    encs = [parse_encounter(json.loads(line)) for line in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    segs = _segs(x12.to_837(encs, charges, envelope=BATCH))
    clms = [i for i, s in enumerate(segs) if s.startswith("CLM*")]
    sv1 = next(i for i in range(clms[1], len(segs)) if segs[i].startswith("SV1*"))
    parts = segs[sv1].split("*")
    assert parts[7]  # igclaim writes its pointers
    segs[sv1] = "*".join([*parts[:7], empty, *parts[8:]]).rstrip("*")
    got = read_text(_join(segs))
    assert [type(g) for g in got] == [WrittenClaim, ReadError, WrittenClaim]
    assert (got[1].segment, got[1].element) == ("SV1", "SV107") and "diagnosis code pointer" in got[1].message


def test_an_empty_pointer_between_two_is_skipped_not_refused(charges):
    """SV107's components are positional: "1::2" gives pointers 1 and 2 (an omitted SV107-2 is not a pointer '')."""
    encs = [parse_encounter(json.loads(line)) for line in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    segs = _segs(x12.to_837(encs[:1], charges, envelope=ENVELOPE))
    sv1 = next(i for i, s in enumerate(segs) if s.startswith("SV1*"))
    parts = segs[sv1].split("*")
    segs[sv1] = "*".join([*parts[:7], "1::2", *parts[8:]])
    [claim] = read_text(_join(segs))
    assert isinstance(claim, WrittenClaim) and claim.claim.lines[0].diagnosis_pointers == [1, 2]


@pytest.mark.parametrize("mutate,segment,element", [
    (lambda s: s.replace("DTP*472*D8*20260302", "DTP*472*D8*20261302"), "DTP", "DTP03"),
    (lambda s: s.replace("LIN**N4*13533080511~\nCTP****300*ML", "CTP****300*ML"), "CTP", None),
    (lambda s: s.replace("*11:B:1*", "**"), "CLM", "CLM05"),
    (lambda s: re.sub(r"DMG\*D8\*\d{8}", "DMG*D8*1954", s), "DMG", "DMG02"),
])
def test_malformed_segments(mutate, segment, element, office_text):
    text = mutate(office_text)
    assert text != office_text
    got = [g for g in read_text(text) if g.claim_id]
    assert len(got) == 1 and isinstance(got[0], ReadError), got
    assert (got[0].segment, got[0].element) == (segment, element)


def test_envelope_errors_are_reported_and_claims_still_read(office_text):
    text = office_text.replace("SE*", "SE*9").replace("IEA*1*", "IEA*2*")
    got = read_text(text)
    assert isinstance(got[0], WrittenClaim)
    env = [g for g in got if isinstance(g, ReadError)]
    assert env and all(g.claim_id is None for g in env)
    assert any(g.segment == "SE" for g in env) and any(g.segment == "IEA" for g in env)


def test_truncated_file_still_yields_its_claim(office_text):
    segs = _segs(office_text)
    got = read_text(_join(segs[:-3]))
    assert isinstance(got[0], WrittenClaim)
    assert any(isinstance(g, ReadError) and "missing" in g.message.lower() for g in got[1:])


def test_not_x12_is_one_error():
    got = read_text("hello world, this is not an interchange" * 5)
    assert len(got) == 1 and isinstance(got[0], ReadError) and got[0].segment == "ISA"


def test_claim_without_claim_id(office_text):
    got = read_text(office_text.replace("CLM*CLM-2026-0001*", "CLM**"))
    assert len(got) == 1 and isinstance(got[0], ReadError) and got[0].element == "CLM01"


def test_replacement_without_f8_is_an_error(office_text):
    got = read_text(office_text.replace("*11:B:1*", "*11:B:7*"))
    assert isinstance(got[0], ReadError) and "REF*F8" in got[0].message


# ----------------------------------------------------------------------------------------- hostile input

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_OFFICE = None


def _office_segments() -> list[str]:
    global _OFFICE
    if _OFFICE is None:
        encs = [parse_encounter(json.loads(x)) for x in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
        _OFFICE = _segs(x12.to_837(encs, chargemaster.load("sample"), envelope=BATCH))
    return _OFFICE


# Element values a file may hold that the schema or the rules refuse: over-long text (200 is the schema's limit),
# dates before the payer rules (2000-01-01) or impossible, numbers X12 does not write.
HOSTILE_ELEMENTS = ["X" * 201, "1" * 201, "9" * 5000, "19991231", "18000101", "20261332", "00000000", "1E9999",
                    "NaN", "-1", "99999999999", "", "HC:", "HC:J1561:JW:JZ:XS:59:GA", "ZZ"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["drop", "dup", "garble", "cut", "value"]), st.integers(1, 10_000),
                          st.text(alphabet="*:^~AZ09.- ", max_size=12), st.sampled_from(HOSTILE_ELEMENTS)),
                min_size=1, max_size=4))
def test_fuzzed_interchanges_never_crash_and_every_claim_comes_out_once(edits_):
    """Read, then scrub without a chart: every claim comes out once, as a result or an error naming a segment,
    never "(internal)" and never an exception (a 201-character diagnosis and a claim of 1999 were both found)."""
    segs = list(_office_segments())
    for op, at, junk, value in edits_:
        i = 1 + at % (len(segs) - 1)  # keep ISA: without it the file is not X12 at all (tested above)
        if op == "drop":
            segs.pop(i)
        elif op == "dup":
            segs.insert(i, segs[i])
        elif op == "garble":
            segs[i] = segs[i][: len(segs[i]) // 2] + junk
        elif op == "value":
            els = segs[i].split("*")
            if len(els) > 1:  # a segment an earlier edit cut to its id has no element to replace
                els[1 + at % (len(els) - 1)] = value
                segs[i] = "*".join(els)
        else:
            segs[i] = segs[i].split("*")[0] + "*" + junk
    out = read_text(_join(segs))
    assert all(isinstance(o, WrittenClaim | ReadError) for o in out)
    assert not [o for o in out if isinstance(o, ReadError) and "(internal)" in o.message]
    clms = [s for s in segs if s.split("*")[0].strip() == "CLM"]
    per_claim = [o for o in out if isinstance(o, WrittenClaim) or o.claim_id]
    assert len(per_claim) == len(clms)  # every CLM comes out once, whatever else is broken
    for claim in (o for o in out if isinstance(o, WrittenClaim)):
        scrubbed = scrub_one(claim, None)
        assert (scrubbed.result is None) != (scrubbed.error is None)


def _vendor_file() -> str:
    """An 837P in another vendor's shape: | and > delimiters, no line breaks, a pay-to loop, NTE/AMT/PWK
    segments, two claims under one subscriber (an IG claim and an office visit), SV1 with MJ, REF*G1 after others."""
    isa = ("ISA|00|          |00|          |ZZ|SUBMITTER01    |ZZ|RECEIVER01     |260305|0930|^|00501|000000123|0|P|>")
    assert len(isa) == 105
    segs = [
        isa, "GS|HC|SUBMITTER01|RECEIVER01|20260305|0930|123|X|005010X222A1",
        "ST|837|0001|005010X222A1", "BHT|0019|00|B123|20260305|0930|CH",
        "NM1|41|2|ACME BILLING|||||46|SUBMITTER01", "PER|IC|JANE|EM|billing@example.org|TE|5555550199",
        "NM1|40|2|BIG PAYER|||||46|RECEIVER01",
        "HL|1||20|1", "PRV|BI|PXC|207RA0201X", "NM1|85|2|NORTH CLINIC|||||XX|1234567893",
        "N3|9 RIVER RD", "N4|SPRINGFIELD|IL|627019999", "REF|EI|990000009",
        "NM1|87|2", "N3|PO BOX 1", "N4|SPRINGFIELD|IL|627019999",
        "HL|2|1|22|0", "SBR|P|18|G77||||||BL", "NM1|IL|1|SMITH|PAT||||MI|W123456789",
        "N3|1 OAK ST", "N4|SPRINGFIELD|IL|62704", "DMG|D8|19700101|F",
        "NM1|PR|2|BIG PAYER|||||PI|BP001",
        "CLM|V-1|3100|||11>B>1|Y|A|Y|Y", "DTP|431|D8|20260101", "PWK|OZ|BM", "AMT|F5|0",
        "REF|D9|TRACE1", "REF|G1|AUTH-9", "NTE|ADD|IVIG MONTHLY", "HI|ABK>D800|ABF>D839",
        "LX|1", "SV1|HC>J1561>JZ|3000|UN|60|||1>2", "DTP|472|D8|20260302",
        "LIN||N4|13533080011", "CTP||||300|ML",
        "LX|2", "SV1|HC>96365|100|MJ|1|||1", "DTP|472|D8|20260302",
        "CLM|V-2|150|||11>B>1|Y|A|Y|Y", "HI|ABK>J069",
        "LX|1", "SV1|HC>99213|150|UN|1|||1", "DTP|472|D8|20260303",
    ]
    segs += [f"SE|{len(segs) - 2 + 1}|0001", "GE|1|123", "IEA|1|000000123"]
    return "~".join(segs) + "~"


def test_another_vendors_shape():
    out = read_text(_vendor_file())
    assert [type(o) for o in out] == [WrittenClaim, WrittenClaim], out
    ig, visit = out
    assert ig.payer.type == "commercial" and ig.payer.prior_authorization.number == "AUTH-9"
    assert ig.claim.diagnoses == ["D80.0", "D83.9"]
    assert [(ln.code, ln.modifiers, ln.units, ln.diagnosis_pointers) for ln in ig.claim.lines] == [
        ("J1561", ["JZ"], 60, [1, 2]), ("96365", [], 1, [1])]
    assert ig.claim.lines[0].ndc == "13533080011" and ig.claim.lines[0].ndc_quantity == 300
    assert ig.billing_provider.name == "NORTH CLINIC" and ig.billing_provider.phone is None
    assert ig.subscriber.group_number == "G77" and ig.patient.last_name == "SMITH"
    assert visit.claim_id == "V-2" and visit.date_of_service.isoformat() == "2026-03-03"
    from igclaim import engine

    assert [f.edit for f in engine.scrub_without_chart(visit).findings] == ["CLAIM-NO-IG"]


@pytest.mark.parametrize("value", ["1_0", "١٢", "１２"])
@pytest.mark.parametrize(("index", "element"), [(2, "SV102"), (4, "SV104")])
def test_a_charge_or_units_not_of_the_digits_0_to_9_names_the_element(value, index, element, office_text):
    """An 837's numbers are X12 decimals of the digits 0-9: "1_0", "١٢" or "１２" (which Python's Decimal reads as
    10 and 12) refuse the claim, naming the element (the segment's non-ASCII text, or the X12 decimal itself)."""
    segs = _segs(office_text)
    sv1 = next(i for i, s in enumerate(segs) if s.startswith("SV1*"))
    parts = segs[sv1].split("*")
    parts[index] = value
    segs[sv1] = "*".join(parts)
    [err] = read_text(_join(segs))
    assert isinstance(err, ReadError) and err.segment == "SV1", err
    assert err.element == element, err
    assert ("not an X12 decimal" if value.isascii() else "not ASCII") in err.message, err
    assert isinstance(read_text(office_text)[0], WrittenClaim)
