"""`igclaim scrub claims.837 [--charts …]`: results on stdout (JSON Lines, or tables), one line per claim error on
stderr naming the claim, the segment and its position. Exit 2 when any claim could not be read or scrubbed (after
every other claim was), else 1 or 0 by --fail-on."""

from __future__ import annotations

import sys
from pathlib import Path

from igclaim.inputs import InvalidInput
from igclaim.model import Result


def scrub_files(files: list[str], charts_path: str | None, fmt, profile: str | None, fail_on) -> int:
    from igclaim.cli import _emit, _exit_status, _fail_input, read_encounter
    from igclaim.engine import scrub
    from igclaim.errors import InputError
    from igclaim.readers.scrub import load_charts, looks_like_x12, scrub_837

    charts = None
    if charts_path:
        try:
            charts = load_charts(charts_path)
        except (InvalidInput, OSError) as exc:
            _fail_input(charts_path, exc.problems if isinstance(exc, InvalidInput) else [str(exc)])
    results: list[Result] = []
    bad = 0
    for path in files:
        if path != "-" and looks_like_x12(path):
            for item in scrub_837(Path(path), charts, profile):
                if item.error is not None:
                    bad += 1
                    sys.stderr.write(f"{path}: {item.error.text()}\n")
                else:
                    assert item.result is not None
                    if fmt.value == "json":  # one claim a line (JSON Lines), whatever the file's size
                        sys.stdout.write(item.result.model_dump_json() + "\n")
                    else:
                        _emit([item.result], [f"{Path(path).name} claim {item.claim_id}"], fmt)
                    results.append(item.result)
            continue
        enc = read_encounter(path)
        try:
            result = scrub(enc, profile=profile)
        except InputError as exc:
            _fail_input(path, [str(exc)])
        _emit([result], [f"{Path(path).name} ({enc.encounter_id})"], fmt)
        results.append(result)
    if bad:
        return 2
    return _exit_status(results, fail_on)
