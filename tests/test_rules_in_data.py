"""Rules in data (issue 10): payer profiles that extend a base, the NCCI indicators, the IV-only NOS rule, the
discard-against-authorization parameter and the time thresholds quoted in messages are read from
src/igclaim/refdata/, and no code value or date is left in an `if` of coding/ or edits/."""

from __future__ import annotations

import ast
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from igclaim.refdata.resolver import ProfileError, load_profile_file, parse_profile, reference
from tests.helpers import drug, encounter, infusion, run
from tests.test_edits_support import build, chart, only

SRC = Path(__file__).resolve().parents[1] / "src" / "igclaim"
DOS = date(2026, 3, 2)


def _values(profile) -> dict:
    return {k: p.values for k, p in profile.parameters.items()}


# --- payer profiles: extends ------------------------------------------------------------------------------------

def test_bundled_profiles_state_only_what_differs_from_their_base():
    ref = reference()
    part_b, ma, fc = ref.profiles["medicare-part-b"], ref.profiles["medicare-advantage"], ref.profiles[
        "medicare-part-b-first-coast"]
    commercial, medicaid = ref.profiles["commercial"], ref.profiles["medicaid"]
    own = "authorization_renewal_days"  # Medicaid managed care: 42 CFR 438.210(d)(1); commercial: ERISA's 15 days
    limit = "filing_limit_months"  # Medicaid: 12 months (42 CFR 447.45(d)(1)); a plan: its contract's, none assumed
    assert {k: v for k, v in _values(medicaid).items() if k not in (own, limit)} == {
        k: v for k, v in _values(commercial).items() if k not in (own, limit)}
    assert (medicaid.get(limit, DOS), commercial.get(limit, DOS)) == (12, 0)
    assert (medicaid.get(own, date(2025, 12, 31)), medicaid.get(own, date(2026, 1, 1)), commercial.get(own, DOS)) == (
        14, 7, 15)
    assert medicaid.payer_types == ("medicaid",) and medicaid.title == "Medicaid (generic state program)"
    # Medicare Advantage: Part B's JW/JZ dates, its own prior authorization and home rules.
    assert ma.get("jz_required", date(2023, 6, 30)) is False and ma.get("jz_required", date(2023, 7, 1)) is True
    assert ma.get("prior_authorization_required", DOS) is True and part_b.get("prior_authorization_required", DOS) \
        is False
    assert ma.get("home_rules", DOS) == "professional" and ma.original_medicare is False
    # Original Medicare asks no prior authorization for IG: one the team records is warned about 14 days ahead
    # (Medicare Advantage's standard decision time before 2026, as the profile's label says), like MA until then.
    assert part_b.get(own, DOS) == ma.get(own, date(2025, 12, 31)) == 14
    # First Coast: Part B plus its route modifiers and contractor; payer types are never inherited.
    assert fc.get("route_modifier_codes", DOS) == ["J1561", "J1569"] and part_b.get("route_modifier_codes", DOS) == []
    assert fc.get("contractor", DOS) == "JN" and "contractor" not in part_b.parameters
    assert fc.get("distinct_site_modifier", date(2014, 12, 31)) == "59"
    assert fc.get("distinct_site_modifier", date(2015, 1, 1)) == "XS"
    assert fc.payer_types == () and fc.original_medicare is True
    assert ref.default_profile("medicare").name == "medicare-part-b"
    for name in ("medicaid", "medicare-advantage", "medicare-part-b-first-coast"):
        raw = tomllib.loads((SRC / "refdata" / "payers" / f"{name}.toml").read_text())
        base = ref.profiles[raw["profile"]["extends"]]
        for pname, p in raw.get("parameters", {}).items():  # each parameter written differs from the base's
            stated = tuple(sorted((date.fromisoformat(k), v) for k, v in p["values"].items()))
            assert pname not in base.parameters or stated != base.parameters[pname].values, (name, pname)


def _write(path: Path, body: str) -> Path:
    path.write_text(body)
    load_profile_file.cache_clear()
    return path


def test_a_users_profile_extends_a_bundled_one(tmp_path):
    prof = _write(tmp_path / "acme.toml", '[profile]\nname = "acme"\nextends = "commercial"\n\n'
                  '[parameters.additional_hour_rule]\nvalues = { "2000-01-01" = "whole_hour" }\n')
    p = reference().profile(str(prof))
    assert p.name == "acme" and p.payer_types == ()
    assert p.get("additional_hour_rule", DOS) == "whole_hour"
    assert p.get("ndc_required", DOS) is True and p.get("jz_required", DOS) is False  # the base's
    enc = encounter(payer={"type": "commercial", "prior_authorization": {"number": "A1"}},
                    administrations=[infusion(119)])
    codes = {ln.code: ln.units for ln in run(enc, profile=str(prof)).claim.lines if ln.code.startswith("9")}
    assert codes == {"96365": 1}  # whole hours only: 119 minutes is one hour, not 96365 + 96366


def test_a_profile_codes_from_the_day_every_parameter_has_a_value(tmp_path):
    """PayerProfile.first_date is the latest of its parameters' first dates: a user's profile whose one parameter
    starts in 2010 cannot code a 2009 claim (that parameter would be None), whatever its base holds from 2000."""
    from igclaim import engine
    from igclaim.errors import InputError
    from igclaim.inputs import parse_encounter

    prof = _write(tmp_path / "late.toml", '[profile]\nname = "late"\nextends = "commercial"\n\n'
                  '[parameters.additional_hour_rule]\nvalues = { "2010-01-01" = "whole_hour" }\n')
    p = reference().profile(str(prof))
    assert p.first_date == date(2010, 1, 1)
    assert reference().profile("commercial").first_date == date(2000, 1, 1)

    def chart_on(day: str):
        return parse_encounter(encounter(date_of_service=day, payer={"type": "commercial"},
                                         administrations=[infusion(119, start=f"{day}T09:00")]))

    with pytest.raises(InputError) as exc:
        engine.build(chart_on("2009-12-31"), profile=str(prof))
    assert (exc.value.path, exc.value.message) == ("date_of_service", "2009-12-31 is before 2010-01-01, the first "
                                                   "date payer profile 'late' has its rules for: igclaim cannot code "
                                                   "or check a claim of that date")
    assert engine.build(chart_on("2010-01-01"), profile=str(prof)).claim.lines


def test_a_parameter_without_any_value_is_refused(tmp_path):
    """`values = {}` was taken: the parameter then read None on every date (and a claim's check crashed on it)."""
    prof = _write(tmp_path / "empty.toml", '[profile]\nname = "empty"\nextends = "commercial"\n\n'
                  '[parameters.route_modifier_codes]\nvalues = {}\n')
    with pytest.raises(ProfileError) as exc:
        reference().profile(str(prof))
    assert str(exc.value).endswith("parameters.route_modifier_codes.values is empty: give its value from a date")


def test_a_profile_extends_a_file_beside_it_in_a_chain(tmp_path):
    _write(tmp_path / "base.toml", '[profile]\nname = "base"\nextends = "medicare-part-b"\n\n'
           '[parameters.prior_authorization_required]\nvalues = { "2000-01-01" = false, "2026-01-01" = true }\n')
    child = _write(tmp_path / "child.toml", '[profile]\nname = "child"\nextends = "base.toml"\n\n'
                   '[parameters.ndc_required]\nvalues = { "2000-01-01" = true }\n')
    p = reference().profile(str(child))
    assert p.get("prior_authorization_required", date(2025, 12, 31)) is False
    assert p.get("prior_authorization_required", date(2026, 1, 1)) is True
    assert p.get("ndc_required", DOS) is True and p.get("jz_required", date(2023, 7, 1)) is True
    assert p.original_medicare is True  # inherited from Part B through base.toml


def test_unknown_base_and_cycles_are_clear_profile_errors(tmp_path):
    with pytest.raises(ProfileError, match="unknown base profile 'medicare-part-c'"):
        parse_profile({"profile": {"name": "x", "extends": "medicare-part-c"}}, str(tmp_path / "x.toml"))
    _write(tmp_path / "a.toml", '[profile]\nname = "a"\nextends = "b.toml"\n')
    _write(tmp_path / "b.toml", '[profile]\nname = "b"\nextends = "a.toml"\n')
    with pytest.raises(ProfileError, match="cycle"):
        reference().profile(str(tmp_path / "a.toml"))
    _write(tmp_path / "self.toml", '[profile]\nname = "self"\nextends = "self.toml"\n')
    with pytest.raises(ProfileError, match="cycle"):
        reference().profile(str(tmp_path / "self.toml"))
    with pytest.raises(ProfileError, match="cannot read"):
        parse_profile({"profile": {"name": "x", "extends": "missing.toml"}}, str(tmp_path / "x.toml"))
    with pytest.raises(ProfileError, match="extends must be"):
        parse_profile({"profile": {"name": "x", "extends": 3}}, str(tmp_path / "x.toml"))


def test_a_profile_without_extends_must_still_give_every_required_parameter(tmp_path):
    with pytest.raises(ProfileError, match="lacks parameters"):
        parse_profile({"profile": {"name": "x"}, "parameters": {}}, str(tmp_path / "x.toml"))
    with pytest.raises(ProfileError, match="lacks parameters"):  # no [parameters] table at all
        parse_profile({"profile": {"name": "x"}}, str(tmp_path / "x.toml"))


def test_a_profile_that_only_extends_is_its_base_under_its_own_name(tmp_path):
    """A plan that pays like the commercial profile needs no [parameters] table: every parameter is the base's."""
    prof = _write(tmp_path / "same.toml", '[profile]\nname = "same"\nextends = "commercial"\n')
    p = reference().profile(str(prof))
    assert p.name == "same" and p.parameters == reference().profiles["commercial"].parameters


def test_the_profile_errors_say_what_to_write(tmp_path):
    """`igclaim` stops on a bad profile with a message naming the file, the field and the choices."""
    known = ", ".join(sorted(reference().profiles))
    with pytest.raises(ProfileError, match=rf"\(bundled profiles: {known}, or a .toml file\)"):
        parse_profile({"profile": {"name": "x", "extends": "plan-z"}}, str(tmp_path / "x.toml"))
    with pytest.raises(ProfileError, match="bundled:x.toml: a bundled profile extends another bundled profile by "
                                           "name, not 'base.toml'"):
        parse_profile({"profile": {"name": "x", "extends": "base.toml"}}, "bundled:x.toml")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    _write(a, '[profile]\nname = "a"\nextends = "b.toml"\n')
    _write(b, '[profile]\nname = "b"\nextends = "a.toml"\n')
    with pytest.raises(ProfileError) as cycle:
        reference().profile(str(a))
    assert f"makes a cycle ({a} -> {b} -> {a})" in str(cycle.value)
    commercial = reference().profiles["commercial"]
    with pytest.raises(KeyError, match="payer profile 'commercial' has no parameter 'nope'"):
        commercial.get("nope", DOS)
    with pytest.raises(KeyError, match="payer profile 'commercial' has no parameter 'nope'"):
        reference().at(DOS, commercial).param("nope")


def _commercial_data() -> dict:
    """The bundled commercial profile as written (a complete profile without `extends`)."""
    return tomllib.loads((SRC / "refdata" / "payers" / "commercial.toml").read_text())


def test_a_complete_profile_without_extends_and_its_defaults(tmp_path):
    """A profile written whole: the title defaults to the name, original_medicare to false, and a parameter it may
    leave out (discarded units against an authorization) is the documented default with its label and source; a
    parameter whose value changes on a date may take every allowed value."""
    data = _commercial_data()
    del data["profile"]["title"], data["profile"]["original_medicare"]
    data["parameters"].pop("discarded_units_against_authorization", None)
    data["parameters"]["additional_hour_rule"]["values"] = {"2000-01-01": "cpt", "2026-01-01": "whole_hour"}
    p = parse_profile(data, str(tmp_path / "whole.toml"))
    assert (p.name, p.title, p.original_medicare) == ("commercial", "commercial", False)
    assert p.get("additional_hour_rule", date(2025, 12, 31)) == "cpt"
    assert p.get("additional_hour_rule", date(2026, 1, 1)) == "whole_hour"
    discard = p.parameters["discarded_units_against_authorization"]
    assert (discard.name, discard.values) == ("discarded_units_against_authorization", ((date.min, "verify"),))
    assert discard.label.startswith("Whether JW (discarded) units count against a prior authorization")
    assert discard.source == "https://www.cms.gov/medicare/payment/part-b-drugs/discarded-drugs"
    data["parameters"]["discarded_units_against_authorization"] = {
        "values": {"2000-01-01": "verify", "2024-01-01": "counted", "2025-01-01": "not_counted"}}
    assert parse_profile(data, str(tmp_path / "whole.toml")).get(
        "discarded_units_against_authorization", date(2025, 1, 1)) == "not_counted"


def test_a_malformed_profile_names_the_file_and_what_is_wrong(tmp_path):
    where = str(tmp_path / "bad.toml")
    data = _commercial_data()
    data["parameters"]["ndc_required"] = {"values": {"March 2026": True}}
    with pytest.raises(ProfileError, match=r"bad.toml: malformed payer profile \(Invalid isoformat string"):
        parse_profile(data, where)
    data = _commercial_data()
    data["parameters"]["additional_hour_rule"]["values"] = {"2000-01-01": "half_hour"}
    with pytest.raises(ProfileError, match="bad.toml: parameters.additional_hour_rule must be 'cpt' or 'whole_hour'"):
        parse_profile(data, where)
    data["parameters"]["additional_hour_rule"]["values"] = {"2000-01-01": "cpt"}
    data["parameters"]["discarded_units_against_authorization"] = {"values": {"2000-01-01": "sometimes"}}
    with pytest.raises(ProfileError, match="must be one of verify, counted, not_counted"):
        parse_profile(data, where)
    with pytest.raises(ProfileError, match="lacks parameters: jz_required, ndc_required"):
        parse_profile({"profile": {"name": "x"}, "parameters": {
            k: v for k, v in _commercial_data()["parameters"].items() if k not in ("ndc_required", "jz_required")}},
            where)


def _with(change) -> dict:
    data = _commercial_data()
    change(data)
    return data


@pytest.mark.parametrize(("change", "said"), [
    # a value of another type: the text "false" reads as true, a number where a list of codes goes crashed
    (lambda d: d["parameters"]["jz_required"].update(values={"2000-01-01": "false"}),
     "parameters.jz_required.values.2000-01-01: 'false' is not a boolean"),
    (lambda d: d["parameters"]["route_modifier_codes"].update(values={"2000-01-01": [1561]}),
     "parameters.route_modifier_codes.values.2000-01-01: [1561] is not a list of text"),
    (lambda d: d["parameters"]["home_rules"].update(values={"2000-01-01": " "}),
     "parameters.home_rules.values.2000-01-01: ' ' is not a text"),
    (lambda d: d["parameters"].update(authorization_renewal_days={"values": {"2000-01-01": True}}),
     "parameters.authorization_renewal_days.values.2000-01-01: True is not an integer"),
    (lambda d: d["parameters"].update(authorization_renewal_days={"values": {"2000-01-01": 3651}}),
     "3651 is not an integer"),
    (lambda d: d["parameters"].update(authorization_renewal_days={"values": {"2000-01-01": -1}}),
     "-1 is not an integer"),
    # a parameter igclaim does not read: a typo would leave the default in force
    (lambda d: d["parameters"].update(fee_schedul={"values": {"2000-01-01": "pfs"}}),
     "parameters.fee_schedul is not a parameter igclaim reads (did you mean fee_schedule?)"),
    # the [profile] table: a list as the name was unhashable, a number as payer_types not iterable
    (lambda d: d["profile"].update(name=["commercial"]), "profile.name must be text"),
    (lambda d: d["profile"].update(payer_types=0), "profile.payer_types must be a list of payer types"),
    (lambda d: d["profile"].update(payer_types=["private"]), "profile.payer_types must be a list of payer types"),
    (lambda d: d["profile"].update(title=7), "profile.title must be text"),
    (lambda d: d["profile"].update(original_medicare="yes"), "profile.original_medicare must be true or false"),
    (lambda d: d.update(profile="commercial"), "[profile] is missing or not a table"),
    (lambda d: d.update(parameters=5), "malformed payer profile"),
    (lambda d: d.update(parameters=[1]), "malformed payer profile"),
])
def test_a_profile_value_of_the_wrong_type_is_refused_naming_it(tmp_path, change, said):
    """Each was an internal error (TypeError, KeyError) or, worse, read wrong; the types are data
    (refdata/payer-parameters.toml [types])."""
    with pytest.raises(ProfileError) as exc:
        parse_profile(_with(change), str(tmp_path / "mine.toml"))
    assert said in str(exc.value), str(exc.value)
    assert str(exc.value).startswith(str(tmp_path / "mine.toml"))


def test_every_parameter_of_the_bundled_profiles_has_a_type_and_the_edge_values_pass(tmp_path):
    """Both sides of each bound of the types: 0 and 3650 days pass, an empty list of codes passes."""
    types = tomllib.loads((SRC / "refdata" / "payer-parameters.toml").read_text())["types"]
    for profile in reference().profiles.values():
        assert set(profile.parameters) <= set(types), profile.name
    for days in (0, 3650):
        parse_profile(_with(lambda d, n=days: d["parameters"].update(
            authorization_renewal_days={"values": {"2000-01-01": n}})), str(tmp_path / "mine.toml"))
    parse_profile(_with(lambda d: d["parameters"]["route_modifier_codes"].update(values={"2000-01-01": []})),
                  str(tmp_path / "mine.toml"))


def test_a_profile_named_wrong_says_which_profiles_there_are(tmp_path):
    """A name that is neither a bundled profile nor a .toml file is refused with the choices, even when a file of that
    name exists (a profile is read only from a .toml file)."""
    ref = reference()
    known = ", ".join(sorted(ref.profiles))  # commercial, medicaid, medicare-advantage, …
    notes = tmp_path / "plan.txt"
    notes.write_text('[profile]\nname = "plan"\nextends = "commercial"\n')
    with pytest.raises(ProfileError, match=f"does not exist \\(bundled profiles: {known}\\)"):
        ref.profile(str(tmp_path / "missing.toml"))
    with pytest.raises(ProfileError, match=f"unknown payer profile .*plan.txt.*: use one of {known}, or a .toml file"):
        ref.profile(notes.name)
    with pytest.raises(ProfileError, match=f"the profile file {notes} does not exist"):
        ref.profile(str(notes))
    with pytest.raises(ProfileError, match=f"file missing.toml does not exist \\(bundled profiles: {known}"):
        ref.profile("missing.toml")
    with pytest.raises(ProfileError, match=r"the profile file C:\\plans\\plan does not exist"):
        ref.profile("C:\\plans\\plan")
    with pytest.raises(ProfileError, match="is a directory, not a payer profile .toml file"):
        ref.profile(str(tmp_path))
    with pytest.raises(ProfileError, match=r"unknown payer profile 'comercial' \(did you mean commercial\?\): use one"):
        ref.profile("comercial")
    with pytest.raises(ProfileError, match="no bundled payer profile for payer type 'martian'"):
        ref.default_profile("martian")


def test_the_catalog_lookups_answer_for_what_they_do_not_hold():
    ref = reference()
    assert ref.hcpcs("J9999", DOS) is None  # a code the catalog does not hold
    assert ref.admin_code_for("initial", "infusion").code == "96365"  # not the facility-only rows
    with pytest.raises(LookupError, match="no initial administration code for teleportation"):
        ref.admin_code_for("initial", "teleportation")
    demo, permanent = ref.home_supply_units(date(2023, 12, 31)), ref.home_supply_units(date(2024, 1, 1))
    assert demo is not None and permanent is not None
    assert demo.source == "https://med.noridianmedicare.com/web/ivig/provider-supplier/faqs"
    assert permanent.source == "https://med.noridianmedicare.com/web/jddme/dmepos/ivig"
    assert permanent.rounding_source.startswith("https://")
    # A code's own source and payment basis, else the HCPCS file's: Q2052 is paid once per date (a bundle).
    q2052, j1561 = ref.known_code("Q2052"), ref.known_code("J1561")
    assert q2052 is not None and j1561 is not None
    assert (q2052.paid_per, q2052.source) == ("date", "https://med.noridianmedicare.com/web/ivig/provider-supplier/faqs")
    assert (j1561.paid_per, j1561.source) == (
        None, "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update")
    # A product's name with its strength is found however the percent sign is spaced.
    assert ref.find_products("Privigen 10 %") == ref.find_products("privigen  10%") == ref.find_products("Privigen")


def test_a_parameters_label_source_and_dates_are_read_as_written(tmp_path):
    """`igclaim profiles` shows each parameter's label and source; left out, the label is the parameter's name and
    the source empty. Before its first date a parameter has no value, and `since` finds no start for a value it never
    takes."""
    prof = _write(tmp_path / "labels.toml", '[profile]\nname = "labels"\nextends = "commercial"\n\n'
                  '[parameters.ndc_required]\nlabel = "NDC on drug lines"\nsource = "https://example.org/ndc"\n'
                  'values = { "2026-01-01" = true }\n\n'
                  '[parameters.jz_required]\nvalues = { "2000-01-01" = false }\n')
    p = reference().profile(str(prof))
    ndc, jz = p.parameters["ndc_required"], p.parameters["jz_required"]
    assert (ndc.name, ndc.label, ndc.source) == ("ndc_required", "NDC on drug lines", "https://example.org/ndc")
    assert (jz.name, jz.label, jz.source) == ("jz_required", "jz_required", "")
    assert ndc.at(date(2025, 12, 31)) is None and ndc.at(date(2026, 1, 1)) is True
    assert ndc.since(True) == date(2026, 1, 1) and ndc.since(False) is None


# --- discarded units against an authorization: a payer parameter -------------------------------------------------

def _auth_chart() -> dict:
    # Privigen 35 g from a 40 g vial: 70 given + 10 discarded (JW) = 80 units; the authorization allows 70.
    return chart(payer={"type": "commercial", "prior_authorization": {"number": "PA-1", "units": 70}},
                 drugs=[{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
                         "ndc": "44206-0439-40", "containers": [{"grams": 40, "count": 1}]}])


@pytest.mark.parametrize(("value", "severity"), [("verify", "warning"), ("counted", "error"), ("not_counted", None)])
def test_discarded_units_against_the_authorization_follow_the_profile(tmp_path, value, severity):
    prof = _write(tmp_path / f"{value}.toml", '[profile]\nname = "plan"\nextends = "commercial"\n\n'
                  f'[parameters.discarded_units_against_authorization]\nvalues = {{ "2000-01-01" = "{value}" }}\n')
    enc = _auth_chart()
    from igclaim import build as build_with
    from igclaim import parse_encounter

    res = build_with(parse_encounter(enc), profile=str(prof))
    found = [f for f in res.findings if f.edit == "AUTH-UNITS"]
    if severity is None:
        assert not found
    else:
        assert [f.severity for f in found] == [severity] and "70 units given + 10 discarded" in found[0].message
    # The administered units alone over the authorization are an error whatever the parameter says.
    enc["payer"]["prior_authorization"]["units"] = 69
    res = build_with(parse_encounter(enc), profile=str(prof))
    assert only(res, "AUTH-UNITS").severity == "error"


def test_bundled_profiles_leave_the_discard_question_to_verify():
    assert {p.get("discarded_units_against_authorization", DOS) for p in reference().profiles.values()} == {"verify"}
    assert only(build(_auth_chart()), "AUTH-UNITS").severity == "warning"


def test_a_bad_discard_parameter_value_is_refused(tmp_path):
    _write(tmp_path / "bad.toml", '[profile]\nname = "bad"\nextends = "commercial"\n\n'
           '[parameters.discarded_units_against_authorization]\nvalues = { "2000-01-01" = "sometimes" }\n')
    with pytest.raises(ProfileError, match="discarded_units_against_authorization must be one of"):
        reference().profile(str(tmp_path / "bad.toml"))


# --- the IV-only NOS rule -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("form", "dos", "routes", "code"), [
    ("liquid", date(2010, 12, 31), ("IV",), None),       # J1599 from 2011-01-01 (HCPCS 2011)
    ("liquid", date(2011, 1, 1), ("IV",), "J1599"),
    ("powder", date(2005, 12, 31), ("IV",), None),       # J1566 from 2006-01-01
    ("powder", date(2006, 1, 1), ("IV",), "J1566"),
    ("liquid", date(2026, 3, 2), ("SC",), None),         # both NOS codes are intravenous
    ("liquid", date(2026, 3, 2), ("IV", "SC"), "J1599"),
])
def test_nos_code_by_form_route_and_date(form, dos, routes, code):
    assert reference().nos_code(form, dos, routes) == code


# --- NCCI indicators ------------------------------------------------------------------------------------------

def test_ncci_indicators_read_from_data():
    ref = reference()
    assert [(m.mai, m.basis, m.severity) for m in ref.ncci.mue.values()] == [
        (1, "line", "warning"), (2, "date", "error"), (3, "date", "warning")]
    assert [(i.indicator, i.applies, i.modifier_allowed) for i in ref.ncci.ptp.values()] == [
        (0, True, False), (1, True, True), (9, False, False)]


# --- messages quote the thresholds of the data -------------------------------------------------------------------

def test_messages_quote_the_thresholds_of_the_data():
    from igclaim.edits.registry import SPECS

    t = reference().time
    assert f"under {t.hydration_min_minutes} minutes" in SPECS["ADMIN-HYDRATION"].statement
    assert f"{t.push_max_minutes} minutes or less" in SPECS["ADMIN-PUSH"].statement
    assert f"more than {t.addon_beyond_minutes} minutes (91 minutes → 1, 151 → 2)" in SPECS["ADMIN-ADDON-UNITS"].fix
    assert "(2014-04-01 to 2023-12-31)" in SPECS["HOME-Q2052-UNITS"].statement
    assert "15-minute units from 2024-01-01" in SPECS["HOME-Q2052-UNITS"].statement
    assert "before the code existed (2014-04-01)" in SPECS["HOME-SUPPLY-CODE"].statement
    assert SPECS["DRUG-PREMED-CONTAINERS"].fix.endswith("from 2023-07-01.")


@pytest.mark.parametrize(("setting", "payer"), [("office", "medicare"), ("home", "commercial"),
                                               ("hospital_outpatient", "medicare")])
def test_diagnosis_pointers_per_line_from_the_setting(setting, payer):
    """CMS-1500 item 24E and 837P SV107 point a line at four diagnoses at most (IOM 100-04 ch. 26 §10.5), in the
    office and at home; the UB-04 has no line pointers and igclaim keeps the same four on its lines for the result
    (refdata/cms/settings.toml). Five diagnoses: every line points at the first four, whatever the setting."""
    res = run(encounter(setting=setting, payer={"type": payer}, diagnoses=["D83.9", "D80.0", "D80.2", "D80.3", "D80.4"],
                        drugs=[drug()], administrations=[infusion(60)]))
    assert res.claim.lines and {tuple(ln.diagnosis_pointers) for ln in res.claim.lines} == {(1, 2, 3, 4)}
    assert reference().setting(setting)["diagnosis_pointers_per_line"] == 4


# --- no code value in an `if` of coding/ or edits/ ----------------------------------------------------------------

# A whole string constant that is a HCPCS/CPT code, a modifier, an ISO date or a revenue code. The claim form names
# (CMS-1500, UB-04) are values of the public schema (model.Claim.form), compared like an enum: allowed.
CODE_VALUE = re.compile(r"^(?:[A-Z]\d{4}|\d{5}|J[A-Z]|G[AXYZ]|X[EPSU]|59|\d{4}-\d{2}-\d{2}|0\d{3})$")


def _code_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE_VALUE.match(node.value.strip()):
            found.append(f"{path.name}:{node.lineno}: {node.value!r}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "date" and node.args and all(
                isinstance(a, ast.Constant) for a in node.args):
            found.append(f"{path.name}:{node.lineno}: date(...)")
    return found


def test_no_code_value_or_date_is_written_in_coding_or_edits():
    found = [hit for d in ("coding", "edits") for p in sorted((SRC / d).glob("*.py")) for hit in _code_literals(p)]
    assert found == []


def test_the_literal_check_sees_a_code_in_an_if(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('if code == "J1599" or dos >= date(2023, 7, 1) or "JW" in mods or form == "UB-04":\n    pass\n')
    assert sorted(h.split(": ", 1)[1] for h in _code_literals(probe)) == ["'J1599'", "'JW'", "date(...)"]
