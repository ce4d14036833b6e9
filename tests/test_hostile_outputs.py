"""Hostile chart values pushed through to the outputs (an outside audit of the 837, FHIR and CSV outputs): a value
that can never be valid is refused at input naming its field; a value that reaches an output is written so that
the output still means what it says."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from decimal import Decimal

import pytest

from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.outputs import chargemaster, csvsafe, x12

from .conftest import ROOT, run_cli

OFFICE = ROOT / "examples" / "parties" / "office-gamunex-jz.json"


def chart() -> dict:
    return json.loads(OFFICE.read_text())


def export(data: dict, charges: chargemaster.Chargemaster | None = None) -> str:
    return x12.to_837(parse_encounter(data), charges or chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12)))


@pytest.mark.parametrize("pos", ["1:1", "=11", "13A", "<1>", "１１", "1"])
def test_a_place_of_service_that_is_not_two_digits_is_refused_naming_the_field(pos):
    """CLM05-1 is the place of service inside a composite: "1:1" was written as CLM05 1:1:B:1 (an extra component,
    on which pyx12's validator raised IndexError), and "=11", "13A" or "<1>" as an 837 that pyx12 rejects."""
    data = chart()
    data["place_of_service"] = pos
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(data)
    assert [p.split(":")[0] for p in exc.value.problems] == ["place_of_service"]
    assert "2-digit" in exc.value.problems[0]


def test_a_two_digit_place_of_service_is_written():
    data = chart()
    data["place_of_service"] = "12"
    assert "*12:B:1*" in export(data)


def with_premedication(hcpcs: str) -> dict:
    data = chart()
    data["drugs"].append({"id": "pre", "hcpcs": hcpcs, "units": 1, "route": "IV"})
    data["administrations"].append({"drug_id": "pre", "method": "push", "start": "2026-03-02T08:40",
                                    "stop": "2026-03-02T08:45"})
    return data


@pytest.mark.parametrize("hcpcs", ["J1200:59", "J1200~", "J1200*X", "J１２００", "=J1200", "J12", "J1200\x00"])
def test_a_drug_code_that_is_not_a_hcpcs_code_is_refused_naming_the_field(hcpcs):
    """A premedication's hcpcs was billed as given: "J1200:59" was written SV1*HC:J1200:59, a modifier 59 that no
    rule chose, slipped in through the component separator (pyx12 accepts it), once the charges listed the code."""
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(with_premedication(hcpcs))
    assert [p.split(":")[0] for p in exc.value.problems] == ["drugs[1].hcpcs"]
    assert "5-character" in exc.value.problems[0]


def test_a_hcpcs_code_in_lower_case_or_spaced_is_still_read(tmp_path):
    cm = tmp_path / "charges.csv"
    cm.write_text("code,unit_charge\nJ1561,100\nJ1200,5\n96365,10\n96366,10\n96374,10\n96375,10\n")
    text = export(with_premedication(" j1200 "), chargemaster.load(cm))
    assert "SV1*HC:J1200*5*UN*1***1" in text


@pytest.mark.parametrize("value, safe", [
    ("A\x00B", "A\\x00B"), ("A\x1b[31mB", "A\\x1b[31mB"), ("\u202eLIVE", "\\u202eLIVE"), ("=A\x07", "'=A\\x07"),
    ("two\r\nlines", "two\r\nlines"), ("tab\there", "tab\there"),  # line ends and tabs: carried by CSV quoting
])
def test_a_csv_cell_shows_its_control_characters_as_escapes(value, safe):
    assert csvsafe.cell(value) == safe


def test_findings_csv_holds_no_control_character_from_a_chart(tmp_path):
    """A diagnosis holding NUL or ESC reached findings.csv raw in DX-INVALID's message (NUL breaks CSV readers, ESC
    drives the terminal of whoever prints the file); the terminal shows them as escapes, and so does the CSV now."""
    data = chart()
    data["encounter_id"] = "\u202eenc-1"
    data["diagnoses"] = ["D8\x003.9", "A\x1b[2JB"]
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(data) + "\n")
    r = run_cli("batch", str(src), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    with (tmp_path / "out" / "findings.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {row["edit"] for row in rows} >= {"DX-INVALID"}
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if any(ord(ch) < 32 and ch not in "\t\r\n" or ch == "\u202e" for ch in c)]
    assert {row["encounter_id"] for row in rows} == {"\\u202eenc-1"}
    assert any("\\x00" in row["message"] for row in rows) and any("\\x1b[" in row["message"] for row in rows)


@pytest.mark.parametrize("named_by", ["product", "ndc"])
def test_a_chart_code_that_contradicts_the_product_is_refused_naming_the_field(named_by):
    """A drug named by product (or by an NDC of the catalog) with another product's hcpcs (J1459 is Privigen's):
    the hcpcs was dropped without a word and the claim billed J1561."""
    from igclaim.engine import build
    from igclaim.errors import InputError

    data = chart()
    if named_by == "ndc":
        del data["drugs"][0]["product"]
    data["drugs"][0]["hcpcs"] = "J1459"
    with pytest.raises(InputError) as exc:
        build(parse_encounter(data))
    assert exc.value.path == "drugs[0].hcpcs"
    assert exc.value.message == (f"J1459 is not the code of Gamunex-C on 2026-03-02 (J1561, by its "
                                 f"{'product' if named_by == 'product' else 'NDC'}); correct hcpcs or leave it out")
    data["drugs"][0]["hcpcs"] = "j1561"  # the product's own code: nothing to say
    assert [ln.code for ln in build(parse_encounter(data)).claim.lines][0] == "J1561"


@pytest.mark.parametrize("to", ["fhir", "cms1500", "837p"])
@pytest.mark.parametrize("dx", ["<script>", "=1+1", "D8\x003.9", "Z99.999"])
def test_no_export_writes_a_diagnosis_dx_invalid_rejects(to, dx):
    """Exported with errors allowed (`--allow-errors`, the API's allow_errors), the 837 refused such a diagnosis
    but the FHIR Claim and the CMS-1500 wrote it as an ICD-10-CM code: '<SC.RIPT>', '=1+.1', a NUL."""
    from igclaim.errors import InputError
    from igclaim.outputs.export_cli import export as export_to

    data = chart()
    data["diagnoses"] = ["D83.9", dx]
    with pytest.raises(InputError) as exc:
        export_to([parse_encounter(data)], to, chargemaster.load("sample"))
    errors = getattr(exc.value, "errors", [exc.value])
    assert [e.path for e in errors] == ["diagnoses[1]"]


@pytest.mark.parametrize("path, value", [
    ("subscriber.member_id", "1EG4TE5MKⅦ"), ("subscriber.member_id", "１EG4TE5MK72"), ("claim_id", "CLM-２０２６"),
    ("payer.prior_authorization.number", "PA①②"), ("patient.last_name", "Ｄｏｅ"), ("patient.last_name", "Doe²"),
    ("patient.first_name", "Sarah™"),
])
def test_a_lookalike_character_is_refused_not_rewritten(path, value):
    """Compatibility characters were folded to ASCII without a word: member id 1EG4TE5MKⅦ went out as
    1EG4TE5MKVII, a prior authorization PA①② as PA12, Doe² as DOE2, Sarah™ as SARAHTM. Only accents are dropped
    (Zoë → ZOE, as the TR3s allow); another character outside the X12 set is refused, naming the field."""
    from igclaim.errors import InputError

    data = chart()
    *parents, key = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[key] = value
    with pytest.raises(InputError) as exc:
        export(data)
    assert exc.value.path == path
    assert "outside the X12 character set" in exc.value.message


def _escaping_chart(tmp_path) -> str:
    data = chart()
    data["encounter_id"] = "enc\x1b[2J"
    data["diagnoses"] = ["D83.9", "A\x1b]0;owned\x07B"]  # ESC ] 0 ; … BEL retitles the terminal
    path = tmp_path / "esc.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("allow", [[], ["--allow-errors"]])
def test_export_lists_error_findings_on_stderr_without_their_control_characters(tmp_path, allow):
    """The refused (or allowed) error findings went to stderr as written: DX-INVALID's message carried the
    diagnosis's ESC ] 0 ; … BEL, which retitled the biller's terminal. They are shown as escapes, as in a table."""
    r = run_cli("export", _escaping_chart(tmp_path), "--to", "837p", "--charges", "sample", *allow)
    assert r.returncode in (1, 2)
    assert "DX-INVALID" in r.stderr
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert "\\x1b]" in r.stderr and "\\x07" in r.stderr


def test_batch_duplicate_id_note_shows_control_characters_as_escapes(tmp_path):
    """The note on duplicate encounter ids quoted the id raw on stderr: ESC [ 2 J cleared the biller's screen."""
    data = chart()
    data["encounter_id"] = "enc\x1b]0;owned\x07\x1b[2J"
    src = tmp_path / "dup.jsonl"
    src.write_text(json.dumps(data) + "\n" + json.dumps(data) + "\n")
    r = run_cli("batch", str(src), "--out", str(tmp_path / "out"), "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert "Duplicate encounter ids" in r.stderr
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert "enc\\x1b]0;owned\\x07\\x1b[2J at record 2" in r.stderr


def test_build_and_scrub_problems_on_stderr_show_control_characters_as_escapes(tmp_path, x12_text):
    """An unknown key holding ESC [ 2 J (build, scrub of JSON) and an 837 claim id holding it (scrub of an 837, a
    claim refused for its units) were written raw on stderr: the biller's screen was cleared."""
    data = chart()
    data["x\x1b[2Jy"] = 1
    bad_key = tmp_path / "key.json"
    bad_key.write_text(json.dumps(data))
    r = run_cli("build", str(bad_key))
    assert r.returncode == 2 and "x\\x1b[2Jy: unknown field" in r.stderr and "\x1b" not in r.stderr
    x12_file = tmp_path / "claims.837"
    x12_file.write_text(x12_text.replace("CLM*CLM-2026-0001", "CLM*C\x1b[2JX", 1)
                        .replace("SV1*HC:J1561:JZ*6000*UN*60", "SV1*HC:J1561:JZ*6000*UN*1.5", 1))
    r = run_cli("scrub", str(x12_file), "--format", "json")
    assert r.returncode == 2 and "claim C\\x1b[2JX" in r.stderr and "\x1b" not in r.stderr


@pytest.mark.parametrize("hcpcs", ["J１５６１", "J1561:59", "=X"])
def test_an_authorized_code_that_is_not_a_hcpcs_code_is_refused_naming_the_field(hcpcs):
    """J１５６１ (full-width digits) was taken and never matched: AUTH-UNITS then said 'Authorization PA1 is for
    J１５６１; the claim bills J1561', two codes that read alike. The team service's ledger already refuses it."""
    data = chart()
    data["payer"]["prior_authorization"] = {"number": "PA1", "units": 60, "hcpcs": hcpcs}
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(data)
    assert [p.split(":")[0] for p in exc.value.problems] == ["payer.prior_authorization.hcpcs"]


def test_denials_refusal_on_stderr_shows_the_835s_control_characters_as_escapes(tmp_path):
    """A refused 835 was named on stderr with pyx12's message as written, and it quotes the ISA segment: an ESC [ 2 J
    in an ISA element (ISA12, the version) cleared the biller's screen."""
    from .remit835 import ClaimPay, Line, build_835

    text = build_835([ClaimPay("CLM-1", lines=[Line("J1561", Decimal(100))])]).replace("*00501*", "*0\x1b[2J*", 1)
    remit = tmp_path / "remit.835"
    remit.write_text(text)
    r = run_cli("denials", str(remit), "--format", "json")
    assert r.returncode == 2
    assert "0\\x1b[2J" in r.stderr and "\x1b" not in r.stderr


@pytest.mark.parametrize("command", [["build"], ["scrub"], ["export", "--to", "837p", "--charges", "sample"]])
def test_a_line_break_in_a_quoted_value_keeps_each_problem_on_one_stderr_line(tmp_path, command):
    """Problems go to stderr one a line, for a tool reading it line by line; an unknown key holding a line break
    split its problem over two lines (the second one looked like a problem of its own). It is shown as \\n."""
    from igclaim.outputs.terminal import shown

    assert shown("a\nb\u2028c\td", line=True) == "a\\nb\\u2028c\td" and shown("a\nb") == "a\nb"
    data = chart()
    data["x\nsecond: unknown field"] = 1
    data["y\r\nz"] = 2
    path = tmp_path / "key.json"
    path.write_text(json.dumps(data))
    r = run_cli(*command, str(path))
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert [ln for ln in lines if "unknown field" in ln] == [f"{path}: x\\nsecond: unknown field: unknown field",
                                                            f"{path}: y\\r\\nz: unknown field"], lines


def _refusal(data: dict, to: str) -> list[tuple[str, str]]:
    from igclaim.errors import InputError
    from igclaim.outputs.export_cli import export as export_to

    with pytest.raises(InputError) as exc:
        export_to([parse_encounter(data)], to, chargemaster.load("sample"))
    return [(e.path, e.message) for e in getattr(exc.value, "errors", [exc.value])]


def _set(data: dict, path: str, value: str) -> dict:
    *parents, key = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[key] = value
    return data


@pytest.mark.parametrize("to", ["837p", "cms1500"])
@pytest.mark.parametrize("path, value, position", [
    ("patient.last_name", "Ｄoe", 1), ("patient.first_name", "Sa李ah", 3), ("subscriber.member_id", "1EG4TE5MKⅦ", 10),
    ("patient.address.line1", "1 MAIN ST ①", 11),
])
def test_a_refused_character_of_a_patients_field_is_named_by_position_not_quoted(to, path, value, position):
    """The 837's and the paper forms' character refusals quoted the character ('Ｄ' of a patient's last name): a piece
    of PHI in an error message. For the patient's and the subscriber's fields the message says where, not what."""
    [(where, message)] = _refusal(_set(chart(), path, value), to)
    assert where == path
    assert f"(position {position})" in message
    bad = value[position - 1]
    assert bad not in message and ascii(bad)[1:-1] not in message and f"U+{ord(bad):04X}" not in message


@pytest.mark.parametrize("to", ["837p", "cms1500"])
@pytest.mark.parametrize("path, value, bad", [
    ("claim_id", "CLM-２０２６", "２"), ("payer.prior_authorization.number", "PA①②", "①"),
])
def test_a_refused_character_of_a_code_or_id_is_still_quoted(to, path, value, bad):
    [(where, message)] = _refusal(_set(chart(), path, value), to)
    assert where == path and repr(bad) in message


@pytest.mark.parametrize("path, quoted", [("patient.address.state", False), ("subscriber.address.state", False),
                                          ("billing_provider.address.state", True)])
def test_a_state_that_is_no_usps_code_is_quoted_only_outside_a_patients_address(path, quoted):
    """'QQ' is not a state's code: the message quoted it for a patient's address as for the billing provider's."""
    data = chart()
    if path.startswith("subscriber."):
        data["subscriber"]["address"] = dict(data["patient"]["address"])
    [(where, message)] = _refusal(_set(data, path, "QQ"), "837p")
    assert where == path and "is not a state's 2-letter USPS code" in message
    assert ("QQ" in message) is quoted


def test_every_text_field_the_837_refuses_is_named_at_once():
    """check_text_fields stopped at the first field it refused: a biller fixing a claim saw one field a run. Every
    field is named now, in one error, a patient's by position only."""
    data = _set(_set(_set(chart(), "patient.last_name", "Ｄoe"), "claim_id", "CLM-２０２６"),
                "billing_provider.address.state", "QQ")
    problems = dict(_refusal(data, "837p"))
    assert set(problems) == {"patient.last_name", "claim_id", "billing_provider.address.state"}, problems
    assert "(position 1)" in problems["patient.last_name"] and "Ｄ" not in problems["patient.last_name"]
    assert "'２'" in problems["claim_id"] and "'QQ' is not a state's" in problems["billing_provider.address.state"]


def test_every_diagnosis_the_837_refuses_is_named_at_once():
    """check_diagnoses raised the first refused diagnosis only: the second came out on the next run."""
    data = chart()
    data["diagnoses"] = ["D83.9", "Z99.999", "<script>"]
    assert [path for path, _ in _refusal(data, "837p")] == ["diagnoses[1]", "diagnoses[2]"]


def test_every_chargemaster_row_refused_is_named_at_once(tmp_path):
    """chargemaster.load stopped at the first row it refused (and the fractions of a cent came only after every
    other row was right): a biller fixing the file saw one row a run. Every row is named now, in one error."""
    from igclaim.errors import InputError, problem_lines

    cm = tmp_path / "cdm.csv"
    cm.write_text("code,unit_charge\n96365,abc\nJ1561,90.005\n,5\n96366,80\n96365,1\n")
    with pytest.raises(InputError) as exc:
        chargemaster.load(cm)
    assert problem_lines(exc.value) == [
        f"{cm} (data row 1): unit_charge 'abc' for 96365 is not a number",
        f"{cm} (data row 2): unit_charge 90.005 for J1561 has more than 2 decimals; a charge is in cents",
        f"{cm} (data row 3): code is empty"]
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", str(cm))
    assert r.returncode == 2 and "data row 1" in r.stderr and "data row 3" in r.stderr, r.stderr


def test_a_refusal_lists_twenty_problems_and_counts_the_rest(tmp_path):
    """Every problem at once, but not 10,000 lines: the first errors.LISTED_MAX, then one line counting the rest."""
    from igclaim.errors import LISTED_MAX, InputError, problem_lines

    cm = tmp_path / "cdm.csv"
    cm.write_text("code,unit_charge\n" + "".join(f"J{n:04d},x\n" for n in range(LISTED_MAX + 5)))
    with pytest.raises(InputError) as exc:
        chargemaster.load(cm)
    lines = problem_lines(exc.value)
    assert len(lines) == LISTED_MAX + 1 and lines[-2].startswith(f"{cm} (data row {LISTED_MAX}): ")
    assert lines[-1] == "… and 5 more problems, not listed: fix these and check again to see them"


def test_a_refusal_of_exactly_twenty_problems_lists_them_without_a_count():
    """The other side of errors.LISTED_MAX: 20 problems are 20 lines, no "… and 0 more"."""
    from igclaim.errors import LISTED_MAX, listed

    assert listed([f"p{n}" for n in range(LISTED_MAX)]) == [f"p{n}" for n in range(LISTED_MAX)]
    assert listed([f"p{n}" for n in range(LISTED_MAX + 1)])[-1].startswith("… and 1 more problems")


def test_a_state_refused_is_one_problem_not_two():
    """A state that is no USPS code and is not 837 text either (a full-width 'Ｉ') is told once, as a state."""
    data = _set(chart(), "billing_provider.address.state", "ＩL")
    [(where, message)] = _refusal(data, "837p")
    assert where == "billing_provider.address.state" and "is not a state's 2-letter USPS code" in message


def test_every_stage_of_the_837_checks_is_named_in_one_refusal(tmp_path):
    """The 837's checks ran in stages, each stopping the export: the parties, then the text fields, then the
    diagnoses, then the dates (the first bad one). A claim with a problem in each took four runs; one names all."""
    data = _set(_set(chart(), "billing_provider.npi", "1234567890"), "patient.last_name", "Ｄoe")
    data["diagnoses"] = ["D83.9", "Z99.999"]
    data["patient"]["birth_date"] = "1899-12-31"
    data["subscriber"]["birth_date"] = "1899-12-30"
    problems = _refusal(data, "837p")
    assert [path for path, _ in problems] == ["billing_provider.npi", "patient.last_name", "diagnoses[1]",
                                              "patient.birth_date", "subscriber.birth_date"], problems
    file = tmp_path / "claim.json"
    file.write_text(json.dumps(data))
    r = run_cli("export", str(file), "--to", "837p", "--charges", "sample", "--allow-errors")
    assert r.returncode == 2, r.stderr
    for path in ("billing_provider.npi", "patient.last_name", "diagnoses[1]", "patient.birth_date",
                 "subscriber.birth_date"):
        assert f"{file}: {path}: " in r.stderr, r.stderr
    assert "1899" not in r.stderr  # a birth date is PHI: named, never quoted


def test_the_837_names_a_field_once_though_two_stages_refuse_it():
    """A claim id over 20 characters is refused by the parties (CLM01) and as text: said once, by the first."""
    data = _set(chart(), "claim_id", "C" * 21)
    assert [path for path, _ in _refusal(data, "837p")] == ["claim_id"]


def test_every_claim_of_a_file_is_checked_before_the_837_refuses(tmp_path):
    """A file of several claims stopped at the first claim refused: the next claim's problems came a run later.
    Every claim's are named now, each by its row; a missing --charges is said once, not once a claim."""
    first = _set(chart(), "patient.last_name", "Ｄoe")
    second = _set(_set(chart(), "encounter_id", "ENC-2"), "billing_provider.npi", "1234567890")
    file = tmp_path / "claims.jsonl"
    file.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    r = run_cli("export", str(file), "--to", "837p", "--charges", "sample")
    assert r.returncode == 2, r.stderr
    assert "line 1: patient.last_name: " in r.stderr and "line 2: billing_provider.npi: " in r.stderr, r.stderr
    file.write_text(json.dumps(chart()) + "\n" + json.dumps(_set(chart(), "encounter_id", "ENC-2")) + "\n")
    r = run_cli("export", str(file), "--to", "837p")
    assert r.returncode == 2 and r.stderr.count("--charges: charges are required") == 1, r.stderr


@pytest.mark.parametrize("code", ["J15 61", "<script>", "ſ1561", "J156"])
def test_a_chargemaster_file_refuses_a_code_that_is_no_hcpcs_code(tmp_path, code):
    """The team's PUT /api/chargemaster checked each code's shape (model.HCPCS_CODE), `--charges FILE` did not:
    'J15 61' or '<script>' was taken as a code. chargemaster.read refuses it now, naming the data row."""
    cm = tmp_path / "cdm.csv"
    cm.write_text(f"code,unit_charge\nJ1561,90\n{code},1\n")
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", str(cm))
    assert r.returncode == 2, r.stderr
    assert f"{cm} (data row 2): {code!r} is not a 5-character HCPCS/CPT code" in r.stderr, r.stderr
    cm.write_text("code,unit_charge\nj1561,90\n96365,1\n")  # either case, read upper case
    assert chargemaster.load(cm).charges == {"J1561": Decimal("90"), "96365": Decimal("1")}


def test_a_future_date_of_service_is_named_with_the_claims_other_dates():
    """The dates stage names a date of service still to come (a claim is filed after the service) beside a birth
    date it refuses, in one refusal."""
    from datetime import date, timedelta

    data = chart()
    data["date_of_service"] = (date.today() + timedelta(days=400)).isoformat()
    data["patient"]["birth_date"] = "1899-12-31"
    problems = _refusal(data, "837p")
    assert [path for path, _ in problems] == ["date_of_service", "patient.birth_date"], problems
    assert "is in the future; a claim is filed after the service" in problems[0][1]
