"""The models every claim builds without validation (construct.trusted, construct.trusted_all): the same instance as
pydantic's own construction, fields in the model's order (the JSON follows it), the fields set and the private
attributes of their own. `trusted_all` keeps the caller's dict as is, so each caller's order is checked here."""

from __future__ import annotations

from datetime import date

from igclaim import engine, parse_encounter
from igclaim.catalog import finding
from igclaim.construct import trusted, trusted_all
from igclaim.model import ClaimLine, Finding, ReferenceInfo, Result
from igclaim.refdata.store import Loaded
from tests.helpers import encounter


def _order(model: object) -> list[str]:
    return list(model.__dict__)


def test_finding_is_built_in_the_models_order_with_its_causes() -> None:
    engine._load_edit_families()  # the edit ids are declared by their families
    f = finding("DRUG-UNITS", "m", line=2, impact_units=3, cause=[("units", "drugs[0]"), ("line", "J1459")])
    assert _order(f) == list(Finding.model_fields)
    assert f.model_fields_set == set(Finding.model_fields)
    assert f.causes == (("units", "drugs[0]"), ("line", "J1459"))
    assert finding("DRUG-UNITS", "m", cause=("units", "drugs[0]")).causes == (("units", "drugs[0]"),)
    assert finding("DRUG-UNITS", "m").causes == finding("DRUG-UNITS", "m", cause=[]).causes == ()
    validated = Finding.model_validate(f.model_dump())
    validated.causes = f.causes
    assert f == validated and f.model_dump_json() == validated.model_dump_json()


def test_the_result_and_its_reference_block_are_in_the_models_order() -> None:
    enc = parse_encounter(encounter())
    for result in (engine.build(enc), engine.scrub(parse_encounter({**encounter(), "claim": engine.build(enc).claim
                                                                    .model_dump(mode="json")}))):
        assert _order(result) == list(Result.model_fields)
        assert _order(result.reference) == list(ReferenceInfo.model_fields)
        assert result.model_fields_set == set(Result.model_fields)
        assert result == Result.model_validate_json(result.model_dump_json())


def test_trusted_all_gives_each_instance_its_own_private_attributes_and_fields_set() -> None:
    fields = {"edit": "X", "severity": "error", "line": None, "message": "m", "fix": None, "impact_units": None,
              "impact_usd": None, "source": None}
    a, b = trusted_all(Finding, dict(fields)), trusted_all(Finding, dict(fields))
    a.causes = (("units", "drugs[0]"),)
    assert b.causes == () and a.__pydantic_private__ is not b.__pydantic_private__
    a.model_fields_set.add("extra")
    assert "extra" not in b.model_fields_set


def test_trusted_fills_defaults_in_order_and_sets_only_the_given_fields() -> None:
    line = trusted(ClaimLine, line=1, code="96365", units=1, service_date=date(2026, 3, 2))
    assert _order(line) == list(ClaimLine.model_fields)
    assert line.model_fields_set == {"line", "code", "units", "service_date"}
    assert line.modifiers == [] and line.modifiers is not trusted(ClaimLine, line=1, code="x", units=1).modifiers
    assert line == ClaimLine(line=1, code="96365", units=1, service_date=date(2026, 3, 2))


def test_a_loaded_file_hashes_as_its_fields() -> None:
    """Loaded's hash is worked out once: equal files hash alike (a claim's set of files used), another id not."""
    def loaded(id: int) -> Loaded:
        return Loaded(id, "asp", "", "", date(2026, 1, 1), date(2026, 3, 31), "f.csv", "ab" * 32, 3, "2026-01-02")
    assert loaded(1) == loaded(1) and hash(loaded(1)) == hash(loaded(1))
    assert len({loaded(1), loaded(1), loaded(2)}) == 2
    assert hash(loaded(1)) == hash((1, "asp", "", "", date(2026, 1, 1), date(2026, 3, 31), "f.csv", "ab" * 32, 3,
                                    "2026-01-02"))
