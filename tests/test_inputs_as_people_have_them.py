"""Inputs as people have them: a .json batch file of one object or an array, times with a UTC offset honoured
(never dropped), written claim lines without `line`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim import scrub
from igclaim.batch.sources import Source
from igclaim.inputs import parse_encounter
from tests.conftest import run_cli
from tests.helpers import encounter, lines, run


def _batch(tmp_path, content) -> tuple[list[dict], list[dict]]:
    src = tmp_path / "visits.json"
    src.write_text(json.dumps(content, indent=2))
    out = tmp_path / "out"
    r = run_cli("batch", str(src), "--out", str(out), "-w", "1")
    assert r.returncode in (0, 1), r.stderr
    read = [[json.loads(x) for x in (out / n).read_text().splitlines() if x] for n in ("results.jsonl", "errors.jsonl")]
    return read[0], read[1]


def test_batch_reads_a_json_array_and_names_the_bad_item(tmp_path):
    bad = encounter(encounter_id="bad", date_of_service="03/02/2026")
    results, errors = _batch(tmp_path, [encounter(encounter_id="a"), encounter(encounter_id="b"), bad])
    assert [r["encounter_id"] for r in results] == ["a", "b"]
    assert errors == [{"record": 3, "item": 3, "encounter_id": "bad", "stage": "schema", "field": "date_of_service",
                       "reason": "date_of_service: '03/02/2026': use YYYY-MM-DD, e.g. 2026-03-02",
                       "problems": ["date_of_service: '03/02/2026': use YYYY-MM-DD, e.g. 2026-03-02"]}]


def test_json_file_of_one_pretty_printed_object_or_of_json_lines(tmp_path):
    src = tmp_path / "one.json"
    src.write_text(json.dumps(encounter(), indent=2))
    assert [r.seq for r in Source(src)] == [1]
    src.write_text("\n".join(json.dumps(encounter(encounter_id=str(i))) for i in range(3)) + "\n")
    assert [r.where for r in Source(src)] == [{"line": 1}, {"line": 2}, {"line": 3}]


def _infusion(start: str, stop: str) -> dict:
    return encounter(administrations=[{"drug_id": "ig1", "start": start, "stop": stop}])


def test_offsets_are_honoured_not_dropped():
    # 14:00 UTC to 14:00 at UTC-5 is five hours: 96365 + 96366 × 4 (dropping the offsets would make it 0 minutes).
    r = run(_infusion("2026-03-02T14:00Z", "2026-03-02T14:00-05:00"))
    assert ("96366", (), 4) in lines(r)
    same = run(_infusion("2026-03-02T09:00-05:00", "2026-03-02T14:00-05:00"))
    assert lines(same) == lines(run(_infusion("2026-03-02T09:00", "2026-03-02T14:00")))


def test_local_times_are_read_on_the_clock_of_the_offsets():
    # 16:00 UTC is 11:00 on the -05:00 clock of the first time; a pump log time without offset reads on that clock.
    enc = parse_encounter({**_infusion("2026-03-02T09:00-05:00", "2026-03-02T16:00+00:00"),
                           "pump_log": [{"drug_id": "ig1", "start": "2026-03-02T09:00-05:00",
                                         "stop": "2026-03-02T11:00"}]})
    a, p = enc.administrations[0], enc.pump_log[0]
    assert a.start and a.stop and (a.stop - a.start) == timedelta(hours=2)
    assert p.stop - p.start == timedelta(hours=2)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=-12 * 60, max_value=14 * 60), st.integers(min_value=-12 * 60, max_value=14 * 60),
       st.integers(min_value=16, max_value=600))
def test_duration_survives_any_pair_of_offsets(off1, off2, minutes):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(minutes=off1)))
    stop = (start + timedelta(minutes=minutes)).astimezone(timezone(timedelta(minutes=off2)))
    enc = parse_encounter(_infusion(start.isoformat(), stop.isoformat()))
    a = enc.administrations[0]
    assert a.start and a.stop and a.stop - a.start == timedelta(minutes=minutes)


def test_written_lines_may_omit_line():
    claim = {"lines": [{"code": "J1561", "modifiers": ["JZ"], "units": 30}, {"code": "96365", "units": 1},
                       {"code": "96366", "units": 4}]}
    enc = parse_encounter(encounter(claim=claim))
    assert [ln.line for ln in enc.claim.lines] == [1, 2, 3]
    # 30 units for 30 g is billing by the gram: one finding, DRUG-UNITS-ML (it supersedes DRUG-UNITS), on line 1.
    assert {f.line for f in scrub(enc).findings if f.edit == "DRUG-UNITS-ML"} == {1}
