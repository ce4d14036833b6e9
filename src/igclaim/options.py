"""Command-line options shared by several commands (build, scrub, export, batch, spark-batch), written once."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from igclaim.inputs import filing_day


def _filing_day(value: str | None) -> date | None:
    try:
        return None if value is None else filing_day(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


FilingDateOpt = Annotated[date | None, typer.Option(
    "--filing-date", parser=_filing_day, metavar="YYYY-MM-DD|today",
    help="the day these claims reach the payer, for an encounter that gives no filing_date, and for an 837's "
         "claims (over its BHT04, the day the file was made) unless their chart gives one: the payer's filing "
         "limit is judged against it")]
