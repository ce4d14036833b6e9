"""The 837 envelope's options are checked as a chart's text is: `--sender-id A~B` was written as `A B` in silence,
and `--contact-phone abc` left the submitter's PER04 empty (an 837 a clearinghouse rejects)."""

from __future__ import annotations

import pytest

from igclaim.outputs.x12 import phone_digits
from tests.conftest import ROOT, run_cli

CHART = str(ROOT / "examples" / "parties" / "office-gamunex-jz.json")


PHONE = ("--contact-phone: give the 10 digits of a US phone number, e.g. 5555550100 (spaces, dots, dashes, "
         "parentheses and a leading +1 are dropped)")


def _export(*options: str):
    return run_cli("export", CHART, "--to", "837p", "--charges", "sample", *options)


@pytest.mark.parametrize(("option", "said"), [
    ("--sender-id=A~B", "--sender-id: holds '~', an X12 delimiter in this interchange; remove it"),
    ("--receiver-id=P*1", "--receiver-id: holds '*', an X12 delimiter in this interchange; remove it"),
    ("--receiver-name=Acme:Health", "--receiver-name: holds ':', an X12 delimiter in this interchange; remove it"),
    ("--sender-id=A\x07B", "--sender-id: holds a control character ('\\x07') outside the X12 character set; "
                           "remove or replace it"),
    ("--contact-phone=abc", PHONE), ("--contact-phone=555-0100", PHONE), ("--contact-phone=15555550100", PHONE),
])
def test_an_option_that_would_be_changed_or_left_empty_is_refused_naming_it(option, said):
    done = _export(option)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[-1] == f"{CHART}: {said}"


@pytest.mark.parametrize(("option", "segment"), [
    ("--contact-phone=+1 (555) 555-0199", "PER*IC*VALLEY INFUSION CLINIC*TE*5555550199~"),
    ("--contact-phone=555.555.0199", "PER*IC*VALLEY INFUSION CLINIC*TE*5555550199~"),
    ("--sender-id=Zoë-1", "GS*HC*ZOE-1*"),
])
def test_an_option_as_people_write_it_is_written_as_the_837_takes_it(option, segment):
    done = _export(option)
    assert done.returncode == 0, done.stderr
    assert segment in done.stdout


def test_phone_digits():
    assert [phone_digits(p) for p in ("5555550100", "(555) 555-0100", "+15555550100", "+1 555 555 0100",
                                      "555 0100", "15555550100", "555555010O", "")] == [
        "5555550100", "5555550100", "5555550100", "5555550100", None, None, None, None]
