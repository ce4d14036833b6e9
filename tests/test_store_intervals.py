"""Tables answers shared by the dates of one interval between the files' dates (`Tables.interval`): each answer is
the one a fresh Tables gives for that date alone, across every boundary of the imported and bundled files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from igclaim.refdata import store

FIX = Path(__file__).parent / "fixtures" / "cms"
FILES = [("asp", "asp-pricing-2026q2-synthetic.csv"), ("crosswalk", "asp-ndc-hcpcs-crosswalk-2026q2-synthetic.csv"),
         ("mue", "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv"),
         ("hcpcs", "HCPC2026_APR_ANWEB-synthetic.txt"), ("icd10", "icd10cm_order_2026-real-excerpt.txt")]


def _answers(t: store.Tables, day: date) -> tuple:
    return (t.covering("asp", day), t.payment_limit("J1561", day), t.payment_limit("J1459", day),
            t.crosswalk_codes("13533080012", day), t.crosswalk_codes("13533080015", day),
            t.hcpcs_status("J1561", day), t.mue("J1561", day, "practitioner"), t.icd10("D83.9", day), t.used(day),
            t.package_billing_units("13533080012", "J1561", day), t.fee("J1561", day, facility=False))


def test_answers_per_interval_are_each_dates_own(home):
    for kind, name in FILES:
        store.import_file(kind, FIX / name)
    shared = store.Tables(store.db_path())
    days = [date(2025, 9, 20) + timedelta(days=i) for i in range(0, 320, 3)]
    days += sorted({d + timedelta(days=k) for d in shared.bounds for k in (-1, 0)})
    for day in [*days, *reversed(days)]:  # either order: an interval's first date answers for the others
        assert _answers(shared, day) == _answers(store.Tables(store.db_path()), day), day
    a, b = date(2026, 4, 2), date(2026, 5, 20)
    assert shared.interval(a) == shared.interval(b)
    assert shared.payment_limit("J1561", a) is shared.payment_limit("J1561", b)  # one answer for the interval
