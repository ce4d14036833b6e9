"""Errors that teach: each bad input names its field, says what shape it wants, and suggests the closest known
name; no message carries the validation library's wording."""

from __future__ import annotations

import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim.inputs import InvalidInput, parse_encounter
from tests.conftest import ROOT, run_cli
from tests.helpers import drug, encounter, run

LIBRARY_WORDING = ("Input should", "pydantic", "Value error", "valid dictionary", "instance of", "[type=")


def problems(enc) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(enc)
    for p in exc.value.problems:
        assert not any(w in p for w in LIBRARY_WORDING), p
    return exc.value.problems


def test_date_in_another_format_names_the_expected_one():
    assert problems(encounter(date_of_service="02/10/2026")) == [
        "date_of_service: '02/10/2026': use YYYY-MM-DD, e.g. 2026-03-02"]


def test_text_too_long_or_too_short_says_so_not_give_text_in_quotes():
    """string_too_long starts with "string_": its message was the advice for a number given as text."""
    assert problems(encounter(diagnoses=["X" * 201])) == ["diagnoses[0]: too long: at most 200 characters"]
    assert problems(encounter(encounter_id="e" * 201)) == ["encounter_id: too long: at most 200 characters"]
    assert parse_encounter(encounter(encounter_id="e" * 200)).encounter_id == "e" * 200  # the other side
    assert problems(encounter(drugs=[drug(containers=[{"grams": 10, "count": 1}] * 51)])) == [
        "drugs[0].containers: too many: at most 50 items"]
    assert parse_encounter(encounter(drugs=[drug(containers=[{"grams": 10, "count": 1}] * 50)]))
    chart = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    chart["billing_provider"]["address"]["state"] = "I"
    assert problems(chart) == ["billing_provider.address.state: 'I': too short: at least 2 characters"]
    chart["billing_provider"]["address"]["state"] = "IL"
    chart["patient"]["address"]["state"] = "I"  # the patient's: PHI, named and not quoted
    assert problems(chart) == ["patient.address.state: too short: at least 2 characters"]


def test_an_integer_past_python_s_printing_limit_is_refused_not_quoted():
    """A library caller's dict may hold an int of 5,000 digits; quoting it back raised ValueError (repr() refuses
    past 4,300 digits) instead of the field's message."""
    assert problems(encounter(drugs=[drug(), {"id": "pm", "hcpcs": "J1200", "units": 10**5000}])) == [
        "drugs[1].units: must be at most 9999"]


def test_time_without_a_date():
    enc = encounter(administrations=[{"drug_id": "ig1", "start": "9:00", "stop": "2026-03-02T14:00"}])
    (p,) = problems(enc)
    assert p.startswith("administrations[0].start: '9:00': use YYYY-MM-DDTHH:MM")


def test_dose_as_text_shows_the_right_shape():
    (p,) = problems(encounter(drugs=[drug(dose="30 g")]))
    assert p.startswith("drugs[0].dose: '30 g' is not an object") and '{"grams": 30}' in p


def test_misspelled_field_and_setting_suggest_the_closest():
    assert problems(encounter(diagnosis=["D83.9"])) == ["diagnosis: unknown field (did you mean diagnoses?)"]
    enc = encounter(drugs=[{**drug(), "prodcut": "x"}])
    assert problems(enc) == ["drugs[0].prodcut: unknown field (did you mean product?)"]
    (p,) = problems(encounter(setting="ofice"))
    assert p.startswith("setting: 'ofice' is not one of office") and "did you mean office?" in p


def test_unrelated_field_gets_no_guess():
    assert problems(encounter(zzzzqqq=1)) == ["zzzzqqq: unknown field"]


def test_misspelled_product_suggests_the_product():
    from igclaim.errors import InputError

    with pytest.raises(InputError) as exc:
        run(encounter(drugs=[drug(product="Privigin")]))
    assert exc.value.path == "drugs[0].product" and "did you mean Privigen?" in exc.value.message


def test_bad_drug_id_names_the_administration():
    enc = encounter(administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"},
                                     {"drug_id": "ig9", "start": "2026-03-02T10:00", "stop": "2026-03-02T11:00"}])
    assert problems(enc) == ["administrations[1].drug_id: administration 2 names drug 'ig9', but no drug has that "
                             "id (the drugs' ids: ig1)"]


def test_missing_profile_file_says_it_does_not_exist(tmp_path):
    p = tmp_path / "enc.json"
    p.write_text(json.dumps(encounter(payer={"type": "commercial", "profile": str(tmp_path / "mine.toml")})))
    r = run_cli("build", str(p))
    assert r.returncode == 2 and f"the profile file {tmp_path / 'mine.toml'} does not exist" in r.stderr


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                    max_leaves=6),
       st.sampled_from(["date_of_service", "setting", "drugs", "payer", "administrations", "diagnoses"]))
def test_any_bad_value_gets_words_a_biller_can_act_on(value, field):
    enc = encounter(**{field: value})
    try:
        parse_encounter(enc)
    except InvalidInput as exc:
        for p in exc.problems:
            assert not any(w in p for w in LIBRARY_WORDING), p
            assert ": " in p


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("igclaim ")


def test_serve_port_out_of_range_or_in_use():
    r = run_cli("serve", "--port", "70000")
    assert r.returncode == 2 and r.stderr.strip() == "--port: 70000 is out of range; use 1 to 65535 (e.g. 8000)"
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        r = run_cli("serve", "--port", str(port))
    assert r.returncode == 2 and r.stderr.strip() == f"--port: 127.0.0.1:{port} is already in use; choose another " \
        "with --port"


def test_each_field_shows_its_own_example():
    """The example in a message is the field's own shape: a container list, a modifier, a ZIP code; not a
    diagnosis for every list and every text."""
    (p,) = problems(encounter(drugs=[drug(containers={"grams": 10, "count": 3})]))
    assert p == 'drugs[0].containers: give a list in square brackets, e.g. [{"grams": 10, "count": 3}]'
    claim = {"lines": [{"code": "J1561", "units": 60, "modifiers": "JZ"}]}
    assert problems(encounter(claim=claim)) == [
        "claim.lines[0].modifiers: 'JZ': give a list in square brackets, e.g. [\"JZ\"]"]
    assert problems(encounter(diagnoses=[839])) == ['diagnoses[0]: 839: give text in quotes, e.g. "D83.9"']
    address = {"line1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "6270"}
    patient = {"id": "P-1", "last_name": "Doe", "first_name": "Sarah", "birth_date": "1980-05-01", "sex": "F",
               "address": address}
    assert problems(encounter(patient=patient)) == [  # the patient's: PHI, named and not quoted
        "patient.address.zip: use 5 or 9 digits, e.g. 62701 or 627011234"]
