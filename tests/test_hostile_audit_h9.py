"""Hostile input found by the h9 outside audit of the day's PLB (WO/FB), 340B and tabular changes: each was a
record lost without a word or a crash. Every record comes out as a result or an error naming where it is."""

from __future__ import annotations

import pytest

from igclaim.denials.reader import RemitError, read_835
from tests.test_readers29 import _remit

# --- 835: pyx12 stops reading at a segment it cannot buffer or at an empty one ---------------------------------


@pytest.mark.parametrize("cut", [
    pytest.param(("PLB*", "~PLB*"), id="empty segment (two terminators in a row)"),
    pytest.param(("FB:R1*", "FB:" + "R" * 20_000 + "*"), id="a segment of 20,000 characters"),
])
def test_an_835_pyx12_stops_reading_midway_is_refused_not_read_short(cut):
    """pyx12's segment loop ends, without a word, at an empty segment (`~~`) or at one longer than its 8 KB read:
    the PLB after it, the SE, GE and IEA were never walked. The PLB vanished (BPR02 then balanced), so did a whole
    transaction of no claim; only a lost CLP was noticed. Now the file is refused, naming the segment."""
    text = _remit("PLB*1234567893*20261231*FB:R1*100", "6620").replace(*cut)
    with pytest.raises(RemitError, match=r"segment 67 \(PLB\) of 70"):
        read_835(text)


def test_an_835_read_whole_is_not_refused():
    (remit,) = read_835(_remit("PLB*1234567893*20261231*FB:R1*100", "6620"))
    assert [(a.reason, a.reference) for a in remit.plb] == [("FB", "R1")] and remit.warnings == []


# --- 835: forwarding balances (FB) of one reference across thousands of remittances -------------------------------


def _fb_transactions(n: int) -> str:
    """One interchange of `n` 835s of no claim, each carrying 100 forward and taking it back under reference SAME."""
    segs = ["ISA*00*          *00*          *ZZ*00952          *ZZ*1234567893     *260410*1200*^*00501*000000001*0*T*:",
            "GS*HP*00952*1234567893*20260410*1200*1*X*005010X221A1"]
    for i in range(1, n + 1):
        body = [f"ST*835*{i:04d}", "BPR*H*0*C*NON************20260410", f"TRN*1*EFT{i:05d}*1512345678",
                "DTM*405*20260410", "N1*PR*MEDICARE PART B", "N3*PO BOX 1", "N4*SPRINGFIELD*IL*627010001",
                "PER*BL*PROVIDER SERVICES*TE*5555550199", "N1*PE*VALLEY INFUSION CLINIC*XX*1234567893",
                "REF*TJ*990000001", "PLB*1234567893*20261231*FB:SAME*100*FB:SAME*-100"]
        segs += [*body, f"SE*{len(body) + 1}*{i:04d}"]
    segs += [f"GE*{n}*1", "IEA*1*000000001"]
    return "~\n".join(segs) + "~"


def test_forwarding_notes_do_not_grow_with_the_square_of_the_remittances_sharing_a_reference():
    """Each FB's note named every remittance holding its reference, so n remittances of one reference made n notes
    of n names: 400 small 835s (130 KB) gave a 10 MB JSON, CSV and HTML each, and the 50 MB a file may be gigabytes.
    Now a note names the first remittances and counts the rest, and each reference is added up once."""
    from igclaim.denials.report import forwarding_balances, remittance_dict

    remits = read_835(_fb_transactions(60))
    balances = forwarding_balances(remits)
    notes = [a["forwarding_note"] for r in remits
             for a in remittance_dict(r, claims={}, balances=balances)["provider_adjustments"]]
    assert len(notes) == 120 and len(set(notes)) == 1
    assert notes[0] == ("Settled: the forwarding balances (FB) of reference SAME in remittance 1 (EFT00001) and "
                        "remittance 2 (EFT00002) and remittance 3 (EFT00003) and 57 more remittances come to 0")


# --- 835: the same payment given twice ------------------------------------------------------------------------------


def test_the_same_835_given_twice_counts_its_provider_adjustments_once(tmp_path):
    """Its claims were counted once (an error each, 'was the same 835 given twice?'), but its PLBs twice: a WO of 3000
    of a claim paid 5200 was warned as taking 6000, an FB carrying 500 was an open balance of 1000, and the summary's
    PLB total doubled. Now the copy's adjustments are listed with a warning naming the first and counted once."""
    import json

    from typer.testing import CliRunner

    from igclaim.cli import app

    text = _remit("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*3000*FB:BAL1*-500", "4220")
    (tmp_path / "a.835").write_text(text)
    (tmp_path / "b.835").write_text(text)
    r = CliRunner().invoke(app, ["denials", str(tmp_path / "a.835"), str(tmp_path / "b.835"), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    first, copy = doc["meta"]["remittances"]
    assert [(a["reason"], a["warning"]) for a in first["provider_adjustments"]] == [("WO", None), ("FB", None)]
    assert first["provider_adjustments"][1]["forwarding_note"].startswith(
        "Open balance: 500 of reference BAL1 (remittance 1 (EFT0001)) is carried")
    repeated = (f"the same payment as remittance 1 (EFT0001) of {tmp_path / 'a.835'} (same payer, trace number, "
                "amount, claims and adjustments): its adjustments are counted once (was the same 835 given twice?)")
    assert [a["warning"] for a in copy["provider_adjustments"]] == [repeated, repeated]
    assert doc["summary"]["provider_adjusted"] == 2500


# --- spark-batch: a .jsonl.gz holding one line of gigabytes ----------------------------------------------------------


def test_a_gzip_input_with_a_line_spark_cannot_hold_is_refused_on_the_driver(tmp_path):
    """A 2.6 MB .jsonl.gz holding one 2.5 GB line failed the job with java.lang.OutOfMemoryError and a Py4J
    traceback (exit 1): Spark holds a line whole (batch reads it in bounded pieces, as one error line). The driver
    reads a local .gz through already; a line past MAX_FILE_BYTES decompressed is now one error naming the file and
    the line, before Spark reads it. A shorter overlong line is still the record's own error (as in batch)."""
    import gzip

    pytest.importorskip("pyspark")
    from igclaim.batch.sources import SourceError
    from igclaim.inputs import MAX_FILE_BYTES
    from igclaim.spark.run import _check_gzip

    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(b'{"encounter_id": "a"}\n{"notes": "')
        for _ in range(MAX_FILE_BYTES // (1 << 20) + 1):
            f.write(b"x" * (1 << 20))
        f.write(b'"}\n{"encounter_id": "b"}\n')
    with pytest.raises(SourceError, match=r"bomb\.jsonl\.gz: line 2 is longer than 67,108,864 bytes"):
        _check_gzip(path)
    fine = tmp_path / "long.jsonl.gz"
    fine.write_bytes(gzip.compress(b'{"a": 1}\n{"notes": "' + b"x" * (3 << 20) + b'"}\n'))
    _check_gzip(fine)


# --- FHIR: two acquired-340b extensions on one administration ---------------------------------------------------------


def test_two_340b_extensions_of_one_administration_that_disagree_are_told_as_such():
    """true then false on the same MedicationAdministration was refused as 'an earlier administration of the same
    Medication says the opposite': there is none, and the biller looked for it. Now the error names the extension of
    this administration that said the other; two administrations that disagree are told as before."""
    from igclaim.inputs import InvalidInput
    from igclaim.readers.fhir import parse_bundle
    from tests.test_340b import EXT_340B, _bundle

    with pytest.raises(InvalidInput) as exc:
        parse_bundle(_bundle({"url": EXT_340B, "valueBoolean": True}, {"url": EXT_340B, "valueBoolean": False}))
    assert exc.value.problems == [
        "MedicationAdministration (entry 5).extension[1]: valueBoolean: extension[0] of this administration says the "
        "opposite; a drug is bought through 340B or not"]
    assert parse_bundle(_bundle(*[{"url": EXT_340B, "valueBoolean": True}] * 2)).drugs[0].acquired_340b is True
