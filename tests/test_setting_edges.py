"""Rules by setting and payer (hospital outpatient, prior authorization, home) that an outside rule-break audit
(docs/testing.md, twenty-third session) broke unseen. Synthetic charts only."""

from __future__ import annotations

import pytest

from tests.helpers import encounter, infusion, run
from tests.test_edits_support import chart, ids, only, scrub

HOSPITAL = chart(setting="hospital_outpatient")


@pytest.mark.parametrize("tob", ["0121", "0141", "0111"])
def test_a_hospital_type_of_bill_other_than_013x_is_found(tob):
    """Type of bill: the 2nd digit (after the leading zero) is the bill classification; a hospital outpatient claim
    is 013x (1 hospital, 3 outpatient). 0121 (hospital inpatient, Part B only), 0141 (hospital, other: referenced
    diagnostic services) and 0111 (hospital inpatient) are other classifications of the same facility type, so a
    comparison of the facility digit alone misses them.
    Source: IOM 100-04 ch. 25 (UB-04, FL 4) and ch. 4 §230.2,
    https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c04.pdf ;
    https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c25.pdf"""
    f = only(scrub(HOSPITAL, lambda c: c.update(type_of_bill=tob)), "FORM-SETTING")
    assert f.message == f"Type of bill {tob}; a hospital outpatient claim is 013x." and f.severity == "error"
    # the frequency digit alone differing is the same type of bill
    assert "FORM-SETTING" not in ids(scrub(HOSPITAL, lambda c: c.update(type_of_bill="0137")))


def test_an_authorization_without_an_end_date_covers_later_dates():
    """An authorization recorded with its start date only is open on its end (the dated-range rule every lookup
    by date uses, igclaim.refdata.dated.within: a missing end leaves that side open): a visit after the start is
    inside it, and AUTH-EXPIRED is for a date of service outside the authorization's dates
    (https://www.cms.gov/medicare/coverage/prior-authorization). A visit before the start is outside it."""
    def auth(**pa):
        return run(encounter(payer={"type": "commercial", "prior_authorization": {"number": "PA-1", **pa}},
                             administrations=[infusion(120)]))

    assert "AUTH-EXPIRED" not in {f.edit for f in auth(start="2026-01-01").findings}
    assert "AUTH-EXPIRED" not in {f.edit for f in auth(start="2026-03-02").findings}
    assert "AUTH-EXPIRED" in {f.edit for f in auth(start="2026-03-03").findings}
    assert "AUTH-EXPIRED" not in {f.edit for f in auth(end="2026-03-02").findings}


def test_home_ivig_without_charted_times_still_bills_q2052_for_the_date_of_service():
    """Medicare home IVIG (primary immunodeficiency) is the IVIG J-code plus Q2052 for the infusion date (DME article
    A52509; Noridian JD DME IVIG page: Q2052 billed each time the drug is administered, from 2024-01-01 in 15-minute
    units, paid as one bundle per date). A chart whose administration has no start/stop recorded still has its
    infusion on the date of service: Q2052 goes out once for it (the table's minimum unit) and ADMIN-TIMES-MISSING
    says its units could not be counted, rather than the supplies bundle being silently left off.
    Sources: https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52509 ;
    https://med.noridianmedicare.com/web/jddme/dmepos/ivig"""
    r = run(encounter(setting="home", administrations=[]))
    assert [(ln.code, ln.units, str(ln.service_date)) for ln in r.claim.lines] == [
        ("J1561", 60, "2026-03-02"), ("Q2052", 1, "2026-03-02")]
    assert "ADMIN-TIMES-MISSING" in {f.edit for f in r.findings}
