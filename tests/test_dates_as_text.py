"""Chart dates and times are ISO 8601 text: a number, or text of digits alone, is refused naming the field.

pydantic reads a number as a Unix time: "date_of_service": 1772409600 was coded as 2026-03-02, a start of
1772442000 as 09:00 UTC taken for the chart's wall clock, and a CSV cell holding an Excel serial date (45718, which is
2025-03-02 in Excel) as 1970-01-01 12:41:58: a claim for a day the chart never named, without a word."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from igclaim import parse_encounter
from igclaim.inputs import InvalidInput
from igclaim.model import Encounter
from tests.conftest import ROOT
from tests.test_hostile_paths import outcomes

CHART = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())


def _refused(chart: dict) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(chart)
    return exc.value.problems


@pytest.mark.parametrize("value", [1772409600, "1772409600", 45718, "45718", 45718.5, "20260302", " 1772409600 ",
                                   "-1", "+1772409600", "1772409600.0", ".5", 0])
def test_a_date_of_service_written_as_a_number_is_refused(value):
    chart = copy.deepcopy(CHART)
    chart["date_of_service"] = value
    assert _refused(chart) == [f"date_of_service: {value!r}: use YYYY-MM-DD, e.g. 2026-03-02"]


@pytest.mark.parametrize("value", [1772442000, "1772442000", 45718.375])
def test_a_time_written_as_a_number_is_refused(value):
    chart = copy.deepcopy(CHART)
    chart["administrations"][0]["start"] = value
    assert _refused(chart) == [f"administrations[0].start: {value!r}: use YYYY-MM-DDTHH:MM (local time of the "
                               "chart), e.g. 2026-03-02T09:00"]


@pytest.mark.parametrize(("where", "set_"), [
    ("claim.lines[0].service_date", lambda c: c.update(claim={"lines": [{"line": 1, "code": "J1561", "units": 60,
                                                                          "service_date": 1772409600}]})),
    ("payer.prior_authorization.start",
     lambda c: c["payer"].update(prior_authorization={"number": "PA-1", "start": 1767225600})),
    ("filing_date", lambda c: c.update(filing_date=1772409600)),
])
def test_every_chart_date_is_text(where, set_):
    chart = copy.deepcopy(CHART)
    set_(chart)
    (problem,) = _refused(chart)
    assert problem.startswith(f"{where}: ") and problem.endswith("use YYYY-MM-DD, e.g. 2026-03-02")


def test_a_birth_date_as_a_number_is_refused_without_quoting_it():
    """A person's values are never quoted (model.Patient is personal)."""
    chart = copy.deepcopy(CHART)
    chart["patient"]["birth_date"] = -315619200  # 1960-01-01 as a Unix time
    assert _refused(chart) == ["patient.birth_date: use YYYY-MM-DD, e.g. 2026-03-02"]


def test_dates_written_as_text_or_given_as_objects_are_read_as_before():
    """ISO text, and date and datetime objects from Python callers; an offset is brought to the chart's clock."""
    assert parse_encounter(CHART).date_of_service == date(2026, 3, 2)
    data = copy.deepcopy(CHART)
    data["date_of_service"] = date(2026, 3, 2)
    data["administrations"][0]["start"] = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    data["administrations"][0]["stop"] = datetime(2026, 3, 2, 14, 0)
    data["patient"]["birth_date"] = date(1960, 1, 1)
    enc = Encounter.model_validate(data)
    assert (enc.date_of_service, enc.administrations[0].start, enc.administrations[0].stop,
            enc.patient.birth_date) == (date(2026, 3, 2), datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 14),
                                        date(1960, 1, 1))
    moved = copy.deepcopy(CHART)
    moved["administrations"][0].update(start="2026-03-02T14:00Z", stop="2026-03-02T14:00:00-05:00")
    a = parse_encounter(moved).administrations[0]
    assert (a.start, a.stop) == (datetime(2026, 3, 2, 14), datetime(2026, 3, 2, 19))  # both on the first's (UTC)


def test_an_excel_serial_date_in_a_csv_is_that_rows_error_and_the_others_are_coded(tmp_path):
    csv = (ROOT / "examples" / "batch" / "encounters.csv").read_text()
    head, first, *rest = csv.splitlines()
    cells = first.split(",")
    assert cells[1] == "2026-03-02"
    cells[1] = "46083"  # 2026-03-02 as Excel's serial day number
    f = tmp_path / "in.csv"
    f.write_text("\n".join([head, ",".join(cells), *rest]) + "\n")
    (tmp_path / "clean.csv").write_text(csv)
    clean, got = outcomes(tmp_path / "clean.csv"), outcomes(f)
    errors = [o.error for o in got if o.error]
    assert not any(o.error for o in clean) and len(got) == len(clean)
    assert len(errors) == 1 and errors[0]["row"] == 2
    assert "date_of_service: '46083': use YYYY-MM-DD, e.g. 2026-03-02" in errors[0]["problems"]
