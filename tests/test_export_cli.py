"""`igclaim export` as a user runs it: stdout or --out, exit 2 naming the field, pyx12 on what it writes."""

from __future__ import annotations

import json
import os

import pytest
from fhir.resources.R4B.claim import Claim
from pypdf import PdfReader

from tests.conftest import run_cli
from tests.test_x12 import PARTIES, pyx12_check

OFFICE = str(PARTIES / "office-gamunex-jz.json")
HOSPITAL = str(PARTIES / "hospital-gamunex.json")
HOME = str(PARTIES / "home-ivig-medicare.json")


def test_837p_to_stdout_passes_pyx12():
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", "sample", "--created", "2026-03-06T12:00")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ISA*") and "*260306*1200*" in r.stdout
    assert pyx12_check(r.stdout) == []
    assert "SAMPLE" in r.stderr


def test_837i_and_home_pass_pyx12():
    for path, kind in ((HOSPITAL, "837i"), (HOME, "837p")):
        r = run_cli("export", path, "--to", kind, "--charges", "sample")
        assert r.returncode == 0, r.stderr
        assert pyx12_check(r.stdout) == []


def test_jsonl_batch_with_own_chargemaster_and_ids(tmp_path):
    cm = tmp_path / "cdm.csv"
    cm.write_text("code,unit_charge\nJ1561,90\nJ1556,95\nJ1459,99.5\n96365,250\n96366,80\n")
    out = tmp_path / "batch.837"
    r = run_cli("export", str(PARTIES / "office-batch.jsonl"), "--to", "837p", "--charges", str(cm),
                "--out", str(out), "--sender-id", "CLEARHOUSE01", "--receiver-id", "RCV99", "--control-number", "7")
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert pyx12_check(text) == []
    assert text.count("CLM*") == 3 and "*ZZ*CLEARHOUSE01   *ZZ*RCV99" in text
    assert "SV1*HC:J1459*3980*UN*40***1" in text  # 99.5 × 40 from this chargemaster


def test_wrong_transaction_exit_2():
    r = run_cli("export", HOSPITAL, "--to", "837p", "--charges", "sample")
    assert r.returncode == 2
    assert "setting" in r.stderr and "--to 837i" in r.stderr and "Traceback" not in r.stderr


def test_missing_party_and_charges_exit_2(tmp_path):
    data = json.loads((PARTIES / "office-gamunex-jz.json").read_text())
    data.pop("billing_provider")
    p = tmp_path / "enc.json"
    p.write_text(json.dumps(data))
    r = run_cli("export", str(p), "--to", "837p", "--charges", "sample")
    assert r.returncode == 2 and "billing_provider" in r.stderr
    r = run_cli("export", OFFICE, "--to", "fhir")
    assert r.returncode == 2 and "--charges" in r.stderr
    cm = tmp_path / "cdm.csv"
    cm.write_text("code,unit_charge\nJ1561,90\n")
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", str(cm))
    assert r.returncode == 2 and "96365" in r.stderr


def test_bad_jsonl_line_is_named(tmp_path):
    lines = (PARTIES / "office-batch.jsonl").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["billing_provider"]["npi"] = "1234567890"
    p = tmp_path / "b.jsonl"
    p.write_text("\n".join([lines[0], json.dumps(bad), lines[2]]) + "\n")
    r = run_cli("export", str(p), "--to", "837p", "--charges", "sample")
    assert r.returncode == 2 and "line 2: billing_provider.npi" in r.stderr


def test_fhir_to_stdout():
    r = run_cli("export", HOSPITAL, "--to", "fhir", "--charges", "sample")
    assert r.returncode == 0, r.stderr
    Claim.model_validate_json(r.stdout)


def test_pdf_needs_out_and_writes(tmp_path):
    r = run_cli("export", OFFICE, "--to", "cms1500")
    assert r.returncode == 2 and "--out" in r.stderr
    out = tmp_path / "claim.pdf"
    r = run_cli("export", OFFICE, "--to", "cms1500", "--charges", "sample", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "N413533080511 ML300" in PdfReader(str(out)).pages[0].extract_text()
    out = tmp_path / "ub.pdf"
    r = run_cli("export", HOSPITAL, "--to", "ub04", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "0636" in PdfReader(str(out)).pages[0].extract_text()


def _variant(tmp_path, name="enc.json", **changes):
    data = json.loads((PARTIES / "office-gamunex-jz.json").read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return str(p)


def test_every_missing_party_in_one_run(tmp_path):
    data = json.loads((PARTIES / "office-gamunex-jz.json").read_text())
    payer = {k: v for k, v in data["payer"].items() if k != "payer_id"}
    path = _variant(tmp_path, billing_provider=None, patient=None, claim_id=None, payer=payer)
    r = run_cli("export", path, "--to", "837p", "--charges", "sample")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    fields = [ln.split(": ")[1] for ln in r.stderr.splitlines() if "required for an 837P" in ln]
    assert fields == ["claim_id", "billing_provider", "patient", "payer.payer_id"]


def test_error_findings_refuse_the_export_unless_allowed(tmp_path):
    # A commercial plan that requires prior authorization, and none recorded: AUTH-MISSING (error).
    path = _variant(tmp_path, payer={"type": "commercial", "name": "Acme Health", "payer_id": "ACME1"})
    r = run_cli("export", path, "--to", "837p", "--charges", "sample")
    assert r.returncode == 1 and r.stdout == ""
    assert "AUTH-MISSING" in r.stderr and "--allow-errors" in r.stderr
    r = run_cli("export", path, "--to", "837p", "--charges", "sample", "--allow-errors")
    assert r.returncode == 0 and r.stdout.startswith("ISA*") and "AUTH-MISSING" in r.stderr


def test_out_in_a_missing_directory_is_one_line(tmp_path):
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", "sample", "--out", str(tmp_path / "no" / "x.837"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert [ln for ln in r.stderr.splitlines() if not ln.startswith("note:")] == [
        f"--out: the directory {tmp_path / 'no'} does not exist"]


def test_no_charges_says_they_are_blank(tmp_path):
    r = run_cli("export", HOSPITAL, "--to", "ub04", "--out", str(tmp_path / "ub.pdf"))
    assert r.returncode == 0 and "charge of every line is blank" in r.stderr


def test_a_json_array_of_encounters_is_one_interchange(tmp_path):
    items = [json.loads((PARTIES / f"{n}.json").read_text()) for n in ("office-gamunex-jz", "office-bivigam-jw")]
    p = tmp_path / "two.json"
    p.write_text(json.dumps(items, indent=2))
    r = run_cli("export", str(p), "--to", "837p", "--charges", "sample")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("CLM*") == 2 and pyx12_check(r.stdout) == []


def test_a_json_array_with_a_key_written_twice_is_refused(tmp_path):
    items = [json.loads((PARTIES / f"{n}.json").read_text()) for n in ("office-gamunex-jz", "office-bivigam-jw")]
    p = tmp_path / "two.json"
    p.write_text(json.dumps(items).replace('"diagnoses": [', '"diagnoses": ["G61.81"], "diagnoses": [', 1))
    r = run_cli("export", str(p), "--to", "837p", "--charges", "sample")
    assert r.returncode == 2 and "the key 'diagnoses' appears twice in one object" in r.stderr, r.stderr
    assert "CLM*" not in r.stdout


def test_a_wrong_party_and_a_missing_one_reported_in_one_run(tmp_path):
    """A half-filled patient fails the schema; the missing billing provider is named in the same run, one line
    each, not in a second run after the patient is fixed."""
    enc = json.loads((PARTIES / "office-gamunex-jz.json").read_text())
    enc = enc.get("input", enc)
    enc.pop("billing_provider")
    enc["patient"] = {"id": "P-1"}
    p = tmp_path / "half.json"
    p.write_text(json.dumps(enc))
    r = run_cli("export", str(p), "--to", "837p", "--charges", "sample")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert f"{p}: patient.last_name: required and missing" in lines
    assert f"{p}: billing_provider: required for an 837P and missing" in lines
    assert not any("Traceback" in ln for ln in lines)


def test_out_naming_the_input_is_refused_and_the_input_kept(tmp_path):
    """`--out chart.json` on chart.json replaced the chart with its 837: the input was lost."""
    chart = tmp_path / "chart.json"
    chart.write_text((PARTIES / "office-gamunex-jz.json").read_text())
    before = chart.read_bytes()
    for out in (chart, tmp_path / "." / "chart.json"):
        r = run_cli("export", str(chart), "--to", "837p", "--charges", "sample", "--out", str(out))
        assert r.returncode == 2 and "is an input file; writing the export there would destroy it" in r.stderr
        assert chart.read_bytes() == before
    r = run_cli("export", str(chart), "--to", "837p", "--charges", "sample", "--out", str(tmp_path / "c.837"))
    assert r.returncode == 0 and (tmp_path / "c.837").read_text().startswith("ISA*")


def test_a_failed_write_leaves_the_earlier_file_whole(tmp_path, monkeypatch):
    """The export is written beside the target and replaces it in one step: a write that fails (a full disk) left
    a half file where the earlier one was."""
    import os

    from igclaim.outputs.files import write_atomic

    target = tmp_path / "claims.837"
    target.write_text("the earlier interchange")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        write_atomic(target, "ISA*new")
    assert target.read_text() == "the earlier interchange"
    assert [p.name for p in tmp_path.iterdir()] == ["claims.837"]  # no temporary file left behind
    monkeypatch.undo()
    write_atomic(target, "ISA*new")
    assert target.read_text() == "ISA*new"


def test_a_link_is_followed_and_a_pipe_or_device_written_in_place(tmp_path):
    """Replacing the target put a regular file where a link or a named pipe was: `--out /dev/stdout` run as root
    replaced the system's /dev/stdout link with a file. A link to a file: the file is replaced and the link kept;
    a pipe (or device, terminal): written in place, left what it is."""
    import os
    import stat

    from igclaim.outputs.files import write_atomic

    real = tmp_path / "real.837"
    real.write_text("the earlier interchange")
    link = tmp_path / "link.837"
    link.symlink_to(real.name)
    write_atomic(link, "ISA*new")
    assert link.is_symlink() and real.read_text() == "ISA*new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.837", "real.837"]

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waits, so opening for writing does not block
    try:
        write_atomic(fifo, "ISA*piped")
        assert stat.S_ISFIFO(fifo.stat().st_mode)
        assert os.read(reader, 100) == b"ISA*piped"
    finally:
        os.close(reader)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full (a device always full)")
@pytest.mark.parametrize("args", [["build", str(PARTIES / "office-gamunex-jz.json")],
                                  ["export", OFFICE, "--to", "837p", "--charges", "sample"]])
def test_a_full_disk_on_stdout_is_exit_2_and_says_the_output_is_incomplete(args):
    """Before: an internal error (exit 3) for build, and '--out: cannot write None' for export."""
    import subprocess

    from tests.conftest import CLI, ROOT

    # buffered as on a user's machine (PYTHONUNBUFFERED would make every write fail at once, hiding the exit flush)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*CLI, *args], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
                              env=env)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write the output: No space left on device" in proc.stderr
    assert "internal error" not in proc.stderr and "None" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_a_json_document_is_written_as_it_is_made_and_a_failure_keeps_the_earlier_file(tmp_path):
    """json.dumps with an indent holds every piece of the text before joining them: an 8,000-claim denials.json
    took 130 MB more than its text. json_writer writes the same bytes, piece by piece."""
    import json
    import tracemalloc
    from datetime import date
    from decimal import Decimal

    from igclaim.outputs.files import json_writer, write_atomic

    doc = {"claims": [{"claim_id": f"C{i}", "paid": Decimal("12.50"), "day": date(2026, 3, 2), "lines": [i, None]}
                      for i in range(20_000)]}
    target = tmp_path / "denials.json"
    tracemalloc.start()
    try:
        write_atomic(target, json_writer(doc))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = json.dumps(doc, indent=2, default=str) + "\n"
    assert target.read_bytes() == text.encode()
    assert peak < len(text) / 4  # the text is ~2.5 MB; json.dumps's pieces held at once were several times that

    def fails(fh):
        json_writer(doc)(fh)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomic(target, fails)
    assert target.read_bytes() == text.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["denials.json"]


@pytest.mark.parametrize("to", ["837p", "fhir", "cms1500"])
def test_every_encounter_that_cannot_be_coded_is_named_in_one_run(tmp_path, to):
    """An encounter igclaim cannot code (an unknown product, an NDC it does not know) stopped every export at the
    first one (`x12.build_claims`), so a file with two was fixed in two runs: both are named at once, each by its
    line, and nothing is written."""
    lines = (PARTIES / "office-batch.jsonl").read_text().splitlines()
    first, third = json.loads(lines[0]), json.loads(lines[2])
    first["drugs"][0]["product"] = "Nonesuch"
    third["drugs"][0]["containers"] = [{"ndc": "00000-0000-00", "count": 1}]
    p, out = tmp_path / "b.jsonl", tmp_path / "out.bin"
    p.write_text("\n".join([json.dumps(first), lines[1], json.dumps(third)]) + "\n")
    r = run_cli("export", str(p), "--to", to, "--charges", "sample", "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert "line 1: drugs[0].product: unknown product 'Nonesuch'" in r.stderr
    assert "line 3: drugs[0].containers[0].ndc: NDC 00000-0000-00 is not a known package" in r.stderr
    assert "line 2:" not in r.stderr and not out.exists()
