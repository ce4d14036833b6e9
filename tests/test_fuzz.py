"""The fuzz suite inside `make test` (a bounded number of examples; `make fuzz` runs 100,000+): valid charts and
hostile mutations of them never crash the library, an implausible chart never comes out clean, and every 837
igclaim agrees to write from a valid chart is accepted by pyx12."""

from __future__ import annotations

import contextlib
import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from igclaim.inputs import InvalidInput, load_json

from .fuzzing import (
    BASES,
    PHI_MARK,
    PHI_NUMBER,
    classify,
    hostile_party_texts,
    mutated_bundles,
    mutated_encounters,
    mutated_profiles,
    mutated_row_groups,
    party_charts_with_any_id,
    personal_values_gone_wrong,
    valid_encounters,
)

FAST = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@FAST
@given(mutated_encounters())
def test_mutated_charts_are_refused_or_coded_never_crash_or_nonsense(obj):
    outcome, detail = classify(obj)
    assert outcome in ("ok", "refused"), detail


@FAST
@given(mutated_bundles())
def test_mutated_fhir_bundles_are_refused_or_coded_never_crash_or_nonsense(obj):
    """The FHIR input path: an unknown or non-string resourceType made fhir.resources raise KeyError/TypeError (an
    internal error, exit 3, on a typo such as "MedicationAdminstration"), and a number where a dateTime goes
    passed its validation (a Unix time) and crashed the mapping."""
    outcome, detail = classify(obj)
    assert outcome in ("ok", "refused"), detail


@FAST
@given(mutated_row_groups())
def test_mutated_csv_rows_are_a_rows_error_or_refused_or_coded(group):
    """The tabular path (CSV, Parquet): hostile cells become a RowsError naming row and column, or a chart that
    is refused or coded like any other, never a crash."""
    from igclaim.batch.tabular import RowsError, rows_to_encounter

    try:
        obj = rows_to_encounter(group)
    except RowsError as exc:
        assert all(p.startswith("row ") for p in exc.problems), exc.problems
        return
    outcome, detail = classify(obj)
    assert outcome in ("ok", "refused"), detail


@settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(valid_encounters())
def test_valid_charts_export_837s_that_pyx12_accepts(obj):
    outcome, detail = classify(obj, with_837=True)
    assert outcome == "ok", detail


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(hostile_party_texts())
def test_hostile_party_texts_print_forms_and_fhir_or_are_refused_naming_a_field(obj):
    """Every export of an accepted chart, hostile text included: the 837 (pyx12), the FHIR Claim and the printed
    form are written or refused naming a field, and the PDF prints no character its fonts lack (a CJK name
    printed as a black square before)."""
    outcome, detail = classify(obj, with_837=True)
    assert outcome in ("ok", "refused"), detail


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(hostile_party_texts(), mutated_encounters(), party_charts_with_any_id()),
       st.sampled_from(["build", "scrub", "export/837p", "export/837i", "export/fhir", "export/cms1500",
                        "export/ub04"]))
def test_the_rest_api_answers_200_or_422_never_500(obj, endpoint):
    """The REST API's input path (the web page's too): a non-ASCII encounter id made the export's download name
    an HTTP header it cannot carry (500)."""
    from fastapi.testclient import TestClient

    from igclaim.api import app

    try:
        body = json.dumps(obj).encode("utf-8", "surrogatepass")
    except ValueError:  # Python itself will not write a 5,000-digit integer
        return
    query = "?charges=sample&allow_errors=true" if endpoint.startswith("export") else ""
    client = TestClient(app, raise_server_exceptions=False, base_url="http://localhost")
    r = client.post(f"/api/{endpoint}{query}", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (200, 413, 422), (r.status_code, r.text[:300])


@FAST
@given(mutated_profiles(), st.sampled_from(BASES))
def test_a_mutated_payer_profile_is_refused_naming_it_or_codes_charts(data, chart):
    """A user's --profile file: a value of another type crashed parse_profile (TypeError, KeyError: exit 3) or was
    read wrong (the text "false" as true). Refused with a ProfileError, or a profile every chart codes with."""
    from unittest import mock

    from igclaim import engine
    from igclaim.errors import InputError
    from igclaim.inputs import parse_encounter
    from igclaim.refdata.resolver import ProfileError, ReferenceData, parse_profile

    try:
        profile = parse_profile(data, "mine.toml")
    except ProfileError:
        return
    enc = parse_encounter(copy.deepcopy(chart))
    with mock.patch.object(ReferenceData, "profile", lambda self, name: profile), \
            contextlib.suppress(InputError):
        (engine.scrub if enc.claim is not None else engine.build)(enc, profile="mine.toml")


@FAST
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_through_the_text_path_are_an_input_error_or_an_encounter(data):
    from igclaim.inputs import decode_input, parse_encounter

    with contextlib.suppress(InvalidInput):
        parse_encounter(load_json(decode_input(data)))


@FAST
@given(mutated_encounters())
def test_mutated_charts_as_json_text(obj):
    try:
        text = json.dumps(obj, default=str)
    except ValueError:  # Python itself will not write a 5,000-digit integer
        return
    with contextlib.suppress(InvalidInput):
        load_json(text)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(personal_values_gone_wrong())
def test_a_wrong_personal_value_is_named_never_quoted(obj):
    """No PHI in error messages: a patient's or subscriber's wrong value is refused by its field and never quoted,
    whether the schema refuses it or the 837's own checks do (`patient.birth_date: 'Qx7PHI': use YYYY-MM-DD`
    before)."""
    from igclaim import engine
    from igclaim.errors import InputError, problem_lines
    from igclaim.inputs import InvalidInput, parse_encounter
    from igclaim.outputs import x12

    try:
        enc = parse_encounter(obj)
        result = engine.build(enc)
        claim = x12.ClaimInput(enc, result)
        x12.require_parties(claim, x12.transaction_for(enc))
        problems: list[str] = []
    except InvalidInput as exc:
        problems = exc.problems
    except InputError as exc:
        problems = problem_lines(exc)
    for line in problems:
        assert PHI_MARK not in line and str(PHI_NUMBER) not in line, line
