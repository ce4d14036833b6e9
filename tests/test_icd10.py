"""ICD-10-CM validity by date of service (refdata/icd10.py)."""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import pytest

from igclaim.refdata import icd10

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "cms" / "icd10cm_order_2026-real-excerpt.txt"


def test_doctests():
    assert doctest.testmod(icd10).failed == 0


@pytest.mark.parametrize(("code", "dos", "billable"), [
    ("G35", date(2025, 6, 10), True),
    ("G35", date(2025, 9, 30), True),
    ("G35", date(2025, 10, 1), False),
    ("G35", date(2026, 4, 14), False),
    ("G35.A", date(2026, 4, 14), True),
    ("G35.A", date(2025, 6, 10), False),
    ("D83.9", date(2024, 10, 1), True),
    ("D83", date(2026, 3, 2), False),
    ("d839", date(2026, 3, 2), True),
    ("G61.81", date(2026, 3, 2), True),
])
def test_billable_by_date(code, dos, billable):
    assert icd10.is_billable(code, dos) is billable


def test_no_release_before_fy2025():
    assert icd10.is_billable("D83.9", date(2024, 9, 30)) is None
    assert icd10.release_for(date(2024, 9, 30)) is None


def test_format_and_compact():
    assert icd10.format("d839") == "D83.9" and icd10.compact(" G35.A ") == "G35A" and icd10.format("G35") == "G35"


def test_fy2026_agrees_with_the_cms_order_file_excerpt():
    for row in SAMPLE.read_text().splitlines():
        code, flag = row[6:13].strip(), row[14]
        assert icd10.is_billable(code, date(2026, 3, 2)) is (flag == "1"), code


def test_register_release_wins_for_its_dates():
    rel = icd10.register_release("TEST-FY2099", date(2098, 10, 1), date(2099, 9, 30), ["Z99.89", "G35"],
                                 "test fixture")
    try:
        assert icd10.is_billable("G35", date(2099, 1, 1)) is True
        assert icd10.is_billable("D83.9", date(2099, 1, 1)) is False
        assert icd10.release_for(date(2099, 1, 1)).name == "TEST-FY2099"
        assert icd10.is_billable("G35", date(2026, 4, 14)) is False  # other dates unaffected
    finally:
        icd10._REGISTERED.remove(rel)


def test_a_partial_release_in_force_gives_a_warning_not_an_error(monkeypatch):
    """An imported file that lacks a code the bundled release has (an excerpt, a bad download) must not turn
    correct claims into errors: DX-INVALID becomes a warning that names both releases."""
    from datetime import date as _date

    from igclaim import build, parse_encounter
    from igclaim.refdata import icd10
    from tests.helpers import encounter

    monkeypatch.setattr(icd10, "_REGISTERED", [])
    icd10.register_release("partial-test", _date(2025, 10, 1), _date(2026, 9, 30), ["D83.9"], "test")
    res = build(parse_encounter(encounter(diagnoses=["M30.3"])))
    f = next(f for f in res.findings if f.edit == "DX-INVALID")
    assert f.severity == "warning" and "partial-test" in f.message and "may be partial" in f.message
    res = build(parse_encounter(encounter(diagnoses=["G35"])))
    assert any(f.edit == "DX-INVALID" and f.severity == "error" for f in res.findings)


def test_held_follows_registrations_a_removal_and_a_swapped_list(monkeypatch):
    """`held` names the registrations by a counter, the list's identity and length (no walk per claim): a
    registration, a test's removal and a list swapped in each give the releases they hold."""
    before = icd10.held()
    rel = icd10.register_release("TEST-HELD", date(2097, 10, 1), date(2098, 9, 30), ["D83.9"], "test")
    try:
        with_rel = icd10.held()
        assert rel in with_rel.all and before is not with_rel and icd10.held() is with_rel
    finally:
        icd10._REGISTERED.remove(rel)
    assert icd10.held() is before
    monkeypatch.setattr(icd10, "_REGISTERED", [rel])  # set directly, not by register_release
    assert icd10.held().all == (*before.all, rel)
    monkeypatch.setattr(icd10, "_REGISTERED", [])
    assert icd10.held().all == before.all


def test_a_bundled_release_is_read_when_first_needed_and_lists_its_codes_in_order():
    """A process whose dates fall in one fiscal year reads one release file (startup cost of every CLI run); the
    codes under a category come from the file's order, which must be the sorted order of the set."""
    fresh = [icd10.Release(r.name, r.effective, r.ends, r.listed, r.source, r.order) for r in icd10._bundled()]
    releases = icd10.Releases(fresh)
    fy2025, fy2026 = (next(r for r in fresh if r.name == name) for name in ("FY2025", "FY2026"))
    assert releases.is_billable("G35.A", date(2026, 4, 14)) is True
    assert "index" in fy2026._memo and "index" not in fy2025._memo  # FY2025's file not read
    assert "billable" not in fy2026._memo  # a claim's codes are answered by category, not from a set of them all
    assert releases.is_billable("G35", date(2025, 6, 10)) is True
    for rel in fresh:
        codes = rel.sorted_codes()
        assert codes == sorted(rel.billable) and len(codes) == len(rel.billable) > 70_000
    assert releases.billable_under("G35", date(2026, 4, 14))[:3] == ["G35.A", "G35.B0", "G35.B1"]


def test_codes_under_a_category_stop_at_the_limit_in_order():
    """A DX-INVALID message lists at most 12 billable codes under a category (`billable_under`'s limit), the first
    ones in code order: M33 (dermato- and polymyositis) has 19 in FY2026, D83 five."""
    day = date(2026, 3, 2)
    every = icd10.billable_under("M33", day, limit=100)
    assert len(every) == 19 and every == sorted(every)
    assert icd10.billable_under("M33", day) == every[:12]
    assert icd10.billable_under("M33", day, limit=3) == ["M33.00", "M33.01", "M33.02"]
    assert icd10.billable_under("D83", day) == ["D83.0", "D83.1", "D83.2", "D83.8", "D83.9"]
    assert icd10.billable_under("R69", day) == []  # billable itself, with no code under it: the code is not its own


def test_a_release_given_its_codes_answers_alike():
    rel = icd10.Release("test", date(2030, 10, 1), None, frozenset({"D839", "D830", "G35A"}), "test")
    assert rel.billable == {"D839", "D830", "G35A"} and rel.sorted_codes() == ["D830", "D839", "G35A"]


def test_the_compact_list_reads_a_category_alone_or_with_a_dot_as_billable_itself():
    """`D83 0 1` lists D83.0 and D83.1; `A33 .` and a bare `A33` list the category itself (a three-character code
    with no extension, billable as it is: A33 tetanus neonatorum, R69)."""
    assert icd10.read_billable("D83 0 1\nA33 .\n\nR69\n") == ["D830", "D831", "A33", "R69"]
    assert icd10.parse_billable_file("R69\nA33 .") == {"R69", "A33"}


def test_a_registered_release_ends_on_its_date_and_keeps_its_source(monkeypatch):
    monkeypatch.setattr(icd10, "_REGISTERED", [])
    rel = icd10.register_release("TEST-FY2099", date(2098, 10, 1), date(2099, 9, 30), ["G35"], "test fixture")
    assert rel.source == "test fixture" and rel.ends == date(2099, 9, 30)
    assert icd10.release_for(date(2099, 9, 30)).name == "TEST-FY2099"
    assert icd10.release_for(date(2099, 10, 1)).name != "TEST-FY2099"


def test_the_later_of_two_registrations_for_the_same_dates_wins(monkeypatch):
    """A corrected file imported for the same fiscal year replaces the first one's answers."""
    monkeypatch.setattr(icd10, "_REGISTERED", [])
    icd10.register_release("FIRST", date(2098, 10, 1), date(2099, 9, 30), ["G35"], "test")
    icd10.register_release("CORRECTED", date(2098, 10, 1), date(2099, 9, 30), ["G35.A"], "test")
    assert icd10.release_for(date(2099, 1, 1)).name == "CORRECTED"
    assert icd10.is_billable("G35", date(2099, 1, 1)) is False


def test_held_sees_a_registration_made_after_another_was_removed(monkeypatch):
    """One registered, answered, removed, another registered: the releases held are the second's (the counter
    moves on each registration, so the list's same identity and length do not pass for the old answer)."""
    registered: list[icd10.Release] = []
    monkeypatch.setattr(icd10, "_REGISTERED", registered)
    a = icd10.register_release("TEST-A", date(2096, 10, 1), date(2097, 9, 30), ["D83.9"], "test")
    assert a in icd10.held().all
    registered.remove(a)
    b = icd10.register_release("TEST-B", date(2096, 10, 1), date(2097, 9, 30), ["D83.9"], "test")
    held = icd10.held()
    assert b in held.all and a not in held.all


def test_releases_answers_with_no_release_and_for_the_other_releases_only():
    assert icd10.Releases([]).earliest is None and icd10.Releases([]).release_for(date(2026, 3, 2)) is None
    releases = icd10.held()
    assert releases.also_billable_in("D83.9", date(2026, 3, 2)) == []  # the release in force is not "another"
    assert len(releases.billable_under("D8", date(2026, 3, 2))) == 12  # a message lists 12 at most


@pytest.mark.parametrize("name", ["FY2025", "FY2026"])
def test_a_bundled_release_answers_by_category_as_its_whole_list_does(name):
    """`Release.lists` (by category, what a claim asks) agrees with the whole list (`billable`) on every code it
    holds and on near misses: a code cut short, one digit longer, a category alone, too short, unknown."""
    rel = next(icd10.Release(r.name, r.effective, r.ends, r.listed, r.source, r.order) for r in icd10._bundled()
               if r.name == name)
    codes = rel.billable
    assert all(rel.lists(c) for c in codes)
    near = {c[:-1] for c in codes} | {c + "9" for c in codes} | {c[:3] for c in codes} | {"", "D8", "ZZZ", "D83X"}
    assert {c for c in near if rel.lists(c)} == near & codes
    assert {"D839", "G35"} & codes == ({"D839", "G35"} if name == "FY2025" else {"D839"})


@pytest.mark.parametrize("name", ["FY2025", "FY2026"])
def test_a_bundled_release_lists_the_codes_under_a_prefix_as_its_sorted_list_does(name):
    """`Release.codes_under` reads a category's line for a prefix of three characters or more (what DX-INVALID
    asks) and the sorted whole list for a shorter one; both give what a walk over the sorted list gives."""
    rel = next(icd10.Release(r.name, r.effective, r.ends, r.listed, r.source, r.order) for r in icd10._bundled()
               if r.name == name)
    assert rel.codes_under("M33")[:2] == ["M3300", "M3301"]
    assert "ordered" not in rel._memo and "billable" not in rel._memo  # a category's line: the whole list not read
    ordered = sorted(rel.billable)
    prefixes = sorted({c[:n] for c in ordered[::37] for n in (3, 4, 5, 6)}) + ["D8", "G", "ZZZ", "D83X", "M33"]
    for prefix in prefixes:
        assert rel.codes_under(prefix) == [c for c in ordered if c.startswith(prefix)], prefix


def test_a_listed_file_line_of_a_category_alone_makes_it_billable(tmp_path):
    """The compact format: 'A09 .' and a bare 'A09' both list the category itself; 'D83 0' then 'D83 9' list D83.0
    and D83.9 but not D83; the whole list and the per-category answer agree."""
    (tmp_path / "codes.txt").write_text("A09\nB20 .\nD83 0\nD83\t9\n", encoding="utf-8")
    rel = icd10.Release("test", date(2030, 10, 1), None, tmp_path / "codes.txt", "test")
    assert [c for c in ("A09", "B20", "D83", "D830", "D839", "D831") if rel.lists(c)] == ["A09", "B20", "D830", "D839"]
    assert rel.billable == {"A09", "B20", "D830", "D839"}
