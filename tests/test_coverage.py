"""Coverage policies as data (refdata/coverage.py), chosen by the payer profile."""

from __future__ import annotations

import dataclasses
import doctest
from pathlib import Path

import pytest

from igclaim.refdata import coverage
from igclaim.refdata.coverage import PolicyError, policy
from tests.test_edits_support import build, chart, ids, only

# The Medicare home IVIG list (Benefit Policy Manual ch. 15 §50.6, reference.md §6).
PIDD = ["G11.3", "D80.0", "D80.2", "D80.3", "D80.4", "D80.5", "D80.6", "D80.7", "D81.0", "D81.1", "D81.2",
        "D81.5", "D81.6", "D81.7", "D81.89", "D81.9", "D82.0", "D82.1", "D82.4", "D83.0", "D83.1", "D83.2",
        "D83.8", "D83.9"]


def test_doctests():
    assert doctest.testmod(coverage).failed == 0


def test_home_pidd_list_exactly():
    """The Benefit Policy Manual's list, and D81.82 (APDS, ICD-10-CM FY2023), which the DME MACs' article A52509 lists
    (shared MAC article extract, codes.csv: A52509,1,D81.82)."""
    home = policy("medicare-home-ivig-pidd")
    assert home.codes_for("IV") == sorted(c.replace(".", "") for c in [*PIDD, "D81.82"])
    for code in ("D80.1", "D80.8", "D80.9", "G61.81"):
        assert home.covering([code], "IV") is None
    assert home.covering(["G61.81"], "SC") is not None  # SCIG by pump covers CIDP (L33794)


def test_default_policy_is_labeled_a_default():
    default = policy("default-ig")
    assert default.kind == "default" and default.severity == "warning"
    assert "replace" in default.title.lower()
    for code in ["D69.3", "G61.81", "G61.82", "G61.0", "G70.00", "G70.01", "M30.3", "M33.02", "M33.12",
                 "L10.0", "L12.0", "L13.8", "D81.82", *PIDD]:
        assert default.covering([code], "IV") is not None, code
    # Epidermolysis bullosa acquisita, which NCD 250.3 names: L12.30-L12.35 since FY2019, later than the bundled CSV's
    # page (2018), so covered by the indication's L12 prefix, not by the CSV.
    for code in ("L12.30", "L12.35"):
        assert default.covering([code], "IV") is not None, code
    for code in ["Z51.11", "R53.83", "F84.0", "G35.A", "M33.22"]:
        ind = default.covering([code], "IV")
        assert ind is None or not ind.certain, code


def test_ncd_250_3_codes_come_from_the_bundled_csv():
    default = policy("default-ig")
    blistering = next(i for i in default.indications if "250.3" in i.name)
    assert {"L100", "L120", "L121", "L138"} <= blistering.codes


def test_user_policy_file_from_the_profile(tmp_path: Path):
    pol = tmp_path / "my-plan-ig.toml"
    pol.write_text('[policy]\nname = "my-plan"\ntitle = "My plan IG policy"\nkind = "official"\nseverity = "error"\n'
                   'source = "https://example.org/policy"\n\n[[indication]]\nname = "CIDP"\ncodes = ["G61.81"]\n')
    bundled = Path(__file__).resolve().parents[1] / "src/igclaim/refdata/payers/commercial.toml"
    text = bundled.read_text().replace('name = "commercial"', 'name = "my-plan"')
    text = text.replace('values = { "2000-01-01" = "default-ig" }', 'values = { "2000-01-01" = "my-plan-ig.toml" }')
    prof = tmp_path / "my-plan.toml"
    prof.write_text(text)
    payer = {"type": "commercial", "profile": str(prof), "prior_authorization": {"number": "PA"}}
    enc = chart(payer=payer, diagnoses=["D83.9"], drug0={"ndc": "13533-0805-11"})
    f = only(build(enc), "DX-NOT-COVERED")
    assert f.severity == "error" and "My plan" in f.message
    assert "DX-NOT-COVERED" not in ids(build(chart(payer=payer, diagnoses=["G61.81"], drug0={"ndc": "13533-0805-11"})))


def test_unknown_policy_is_an_error_naming_it():
    with pytest.raises(PolicyError, match="no-such-policy"):
        policy("no-such-policy")


def test_every_policy_the_error_offers_is_a_policy():
    """The unknown-policy error lists the bundled policies, and only them: it offered mac-articles (the contractors'
    lists, read another way), which then failed as a malformed policy."""
    with pytest.raises(PolicyError) as err:
        policy("no-such-policy")
    offered = str(err.value).split("use one of ", 1)[1].split(", or a .toml file")[0].split(", ")
    assert offered == coverage.bundled_policies() == ["default-ig", "medicare-home-ivig-pidd"]
    assert all(policy(name).source for name in offered)
    for other in ("mac-articles", "not-a-reason", "liability-modifiers"):
        with pytest.raises(PolicyError, match=f"^bundled:{other}: malformed coverage policy"):  # names the file
            policy(other)


def test_the_bundled_policies_read_alike_whatever_the_locale():
    """Their titles and notices are not ASCII (em dashes): they are read as UTF-8, not in the locale's encoding, so
    a process under an ASCII locale (no UTF-8 mode, no locale coercion) reads the same policies."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json; from igclaim.refdata import coverage; "
            "print(json.dumps([[p.name, p.title, p.notice, len(p.indications)] "
            "for p in map(coverage.policy, coverage.bundled_policies())]))")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "IGCLAIM_NO_CATALOG_CACHE": "1", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          encoding="utf-8", timeout=120)
    here = [[p.name, p.title, p.notice, len(p.indications)] for p in map(policy, coverage.bundled_policies())]
    assert json.loads(done.stdout) == here and any(not s.isascii() for row in here for s in row[1:3])


def _policy_file(tmp_path: Path, name: str, head: str, indications: str) -> coverage.Policy:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[policy]\nname = "{name}"\nsource = "https://example.org/{name}"\n{head}\n{indications}')
    return policy(str(path))


def test_a_policys_default_severity_comes_from_its_kind(tmp_path: Path):
    """An official policy's uncovered diagnosis is an error and a default list's a warning, unless the file says."""
    ind = '[[indication]]\nname = "CIDP"\ncodes = ["G61.81"]\n'
    assert _policy_file(tmp_path, "official", 'kind = "official"', ind).severity == "error"
    assert _policy_file(tmp_path, "default", 'kind = "default"', ind).severity == "warning"
    assert _policy_file(tmp_path, "no-kind", "", ind).severity == "warning"
    assert _policy_file(tmp_path, "said", 'kind = "official"\nseverity = "info"', ind).severity == "info"
    with pytest.raises(PolicyError, match="severity 'fatal'"):
        _policy_file(tmp_path, "bad", 'severity = "fatal"', ind)


def test_an_indication_taken_from_another_policy_keeps_its_companion_codes(tmp_path: Path):
    """default-ig covers CLL (C91.1-) only with hypogammaglobulinemia (D80.1): a policy that takes the indication
    over by `from_policy` keeps that condition."""
    cll = "chronic lymphocytic leukemia with hypogammaglobulinemia (contractor-dependent)"
    pol = _policy_file(tmp_path, "cll", 'kind = "official"',
                       f'[[indication]]\nfrom_policy = "default-ig"\nfrom_indication = "{cll}"\n')
    assert pol.indications[0].with_any == frozenset({"D801"})
    assert pol.covering(["C91.10"], "IV") is None
    assert pol.covering(["C91.10", "D80.1"], "IV") is not None


def test_codes_for_lists_only_the_certain_codes_that_need_no_companion(tmp_path: Path):
    pol = _policy_file(tmp_path, "listed", 'kind = "official"',
                       '[[indication]]\nname = "CIDP"\ncodes = ["G61.81"]\n\n'
                       '[[indication]]\nname = "MMN, unverified"\ncodes = ["G61.82"]\ncertain = false\n\n'
                       '[[indication]]\nname = "CLL with hypogammaglobulinemia"\ncodes = ["C91.10"]\n'
                       'with_any = ["D80.1"]\n\n'
                       '[[indication]]\nname = "PIDD, SC only"\ncodes = ["D83.9"]\nroutes = ["SC"]\n')
    assert pol.codes_for("IV") == ["G6181"]
    assert pol.codes_for("SC") == ["D839", "G6181"]


def test_a_policy_files_fields_are_read_and_its_defaults_are_the_documented_ones(tmp_path: Path):
    """Every field a user's policy file can set reaches the policy (the findings quote the title, kind, sources and
    notes); left out, the title is the name, the kind "default", the notice empty, an indication's source the
    policy's, its note empty, and an uncertain entry's source empty."""
    (tmp_path / "extra.csv").write_text("icd10cm\nL10.0\n")
    full = _policy_file(
        tmp_path, "full", 'title = "Full plan"\nkind = "official"\nnotice = "Read the plan"',
        '[[indication]]\nname = "PV"\ncodes = ["L12.0"]\ncsv = "extra.csv"\nprefixes = ["L13.8"]\nroutes = ["IV"]\n'
        'products = ["J1561"]\ncertain = false\nsource = "https://example.org/pv"\nnote = "after steroids"\n\n'
        '[[uncertain]]\nprefixes = ["M33.2"]\nnote = "verify"\nsource = "https://example.org/m33"\nroutes = ["SC"]\n')
    assert (full.name, full.title, full.kind, full.severity, full.notice) == (
        "full", "Full plan", "official", "error", "Read the plan")
    assert full.source == "https://example.org/full" and full.path == str(tmp_path / "full.toml")
    assert full.indications == (coverage.Indication(
        "PV", frozenset({"L120", "L100"}), ("L138",), ("IV",), ("J1561",), frozenset(), False,
        "https://example.org/pv", "after steroids"),)
    assert full.uncertain == (coverage.Uncertain(("M332",), "verify", "https://example.org/m33", ("SC",)),)

    bare = _policy_file(tmp_path, "bare", "", '[[indication]]\nname = "CIDP"\ncodes = ["G61.81"]\n\n'
                        '[[uncertain]]\nprefixes = ["M33.2"]\nnote = "verify"\n')
    assert (bare.title, bare.kind, bare.severity, bare.notice) == ("bare", "default", "warning", "")
    assert bare.indications == (coverage.Indication("CIDP", frozenset({"G6181"}), source="https://example.org/bare"),)
    assert bare.uncertain == (coverage.Uncertain(("M332",), "verify", ""),)
    assert _policy_file(tmp_path, "empty", "", "").indications == ()  # no indication: covers nothing
    # A policy whose indications each cite their own source needs none of its own.
    (tmp_path / "own.toml").write_text('[policy]\nname = "own"\n\n[[indication]]\nname = "CIDP"\ncodes = ["G61.81"]\n'
                                       'source = "https://example.org/cidp"\n')
    assert policy(str(tmp_path / "own.toml")).source == ""
    # An unconfirmed indication with no note of its own says so in the notes of an uncovered claim.
    unsure = _policy_file(tmp_path, "unsure", "", '[[indication]]\nname = "MMN"\ncodes = ["G61.82"]\ncertain = false\n')
    assert unsure.uncertain_notes(["G61.82"], "IV") == ["MMN: contractor-dependent, verify"]
    assert full.uncertain_notes(["L12.0"], "IV", ["J1561"]) == ["PV: after steroids"]


def test_an_indication_taken_from_another_policy_is_the_same_indication(tmp_path: Path):
    """`from_policy` takes an indication whole (its codes, prefixes, routes, products, certainty, source and note):
    the one `from_indication` names, else the policy's first; `name` renames it."""
    default = policy("default-ig")
    poly = next(i for i in default.indications if i.name == "polymyositis (contractor-dependent)")
    taken = _policy_file(tmp_path, "taken", "",
                         f'[[indication]]\nfrom_policy = "default-ig"\nfrom_indication = "{poly.name}"\n\n'
                         f'[[indication]]\nfrom_policy = "default-ig"\nfrom_indication = "{poly.name}"\n'
                         'name = "myositis"\n\n'
                         '[[indication]]\nfrom_policy = "medicare-home-ivig-pidd"\n')
    assert taken.indications[0] == poly
    assert taken.indications[1] == dataclasses.replace(poly, name="myositis")
    assert taken.indications[2] == policy("medicare-home-ivig-pidd").indications[0]
    # An indication with every field set, from a user's policy file by path.
    full = _policy_file(tmp_path, "full", "", '[[indication]]\nname = "PV"\ncodes = ["L12.0"]\nprefixes = ["L13.8"]\n'
                        'routes = ["IV"]\nproducts = ["J1561"]\nwith_any = ["D80.1"]\ncertain = false\n'
                        'source = "https://example.org/pv"\nnote = "after steroids"\n')
    copied = _policy_file(tmp_path, "copied", "", f'[[indication]]\nfrom_policy = "{full.path}"\n')
    assert copied.indications == full.indications
