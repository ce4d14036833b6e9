"""`igclaim scrub claims.837 [--charts …]`: results on stdout, as `scrub` of JSON files prints them: tables on a
terminal (or --format table), with a closing count of the file's claims; JSON when piped (or --format json), one
result a line (JSON Lines, as for several JSON files, whatever the number of claims). One line per claim error on
stderr naming the claim, the segment and its position. Exit 2 when any claim could not be read or scrubbed (after
every other claim was), else 1 or 0 by --fail-on. Memory stays flat: results are written as they come."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from igclaim.errors import required
from igclaim.inputs import InvalidInput, filed_on


def scrub_files(files: list[str], charts_path: str | None, fmt, profile: str | None, fail_on,
                filing_date: date | None = None) -> int:
    from igclaim.cli import _emit, _exit_status, _fail_input, out, read_encounter
    from igclaim.engine import scrub
    from igclaim.errors import InputError
    from igclaim.outputs.terminal import shown
    from igclaim.readers.scrub import load_charts, looks_like_x12, scrub_837

    charts = None
    if charts_path:
        try:
            charts = load_charts(charts_path)
        except (InvalidInput, OSError) as exc:
            _fail_input(charts_path, exc.problems if isinstance(exc, InvalidInput) else [str(exc)])
    failed = 0  # the exit status --fail-on asks for, kept as the claims stream by (never the results themselves)
    bad = 0
    for path in files:
        if looks_like_x12(path):  # stdin too: its first bytes are looked at, not taken
            counts = {"results": 0, "errors": 0}
            for item in scrub_837("-" if path == "-" else Path(path), charts, profile, filing_date):
                if item.error is not None:
                    bad += 1
                    counts["errors"] += 1
                    sys.stderr.write(shown(f"{path}: {item.error.text()}", line=True) + "\n")  # it names the claim id
                else:
                    result = required(item.result, "the scrubbed claim's result")
                    counts["results"] += 1
                    if fmt.value == "json":  # one claim a line (JSON Lines), whatever the file's size
                        sys.stdout.write(result.model_dump_json() + "\n")
                    else:
                        _emit([result], [f"{Path(path).name} claim {item.claim_id}"], fmt)
                    failed = max(failed, _exit_status([result], fail_on))
            if fmt.value != "json":  # the closing count, as batch prints it (JSON output stays pure JSON Lines)
                n = counts["results"] + counts["errors"]
                where = " (listed on stderr)" if counts["errors"] else ""
                out.print(f"{Path(path).name}: {n} claim{'s' if n != 1 else ''} = {counts['results']} scrubbed + "
                          f"{counts['errors']} not read{where}", markup=False, highlight=False)
            continue
        enc = read_encounter(path)
        try:
            result = scrub(filed_on(enc, filing_date), profile=profile)
        except InputError as exc:
            _fail_input(path, [str(exc)])
        _emit([result], [f"{Path(path).name} ({enc.encounter_id})"], fmt)
        failed = max(failed, _exit_status([result], fail_on))
    if bad:
        return 2
    return failed
