"""The in-process timing loops every benchmark shares (benchmarks/run.py, benchmarks/core.py), written once: parse
only (JSON → validated Encounter) and the whole pipeline (parse + build or scrub + result JSON), on the same lines.

igclaim is imported when a loop runs, so benchmarks/core.py can time another tree's igclaim with these loops."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence


def parse_only(lines: Sequence[str]) -> None:
    from igclaim.inputs import parse_encounter

    for line in lines:
        with contextlib.suppress(ValueError):
            parse_encounter(json.loads(line))


def schema_only(lines: Sequence[str]) -> None:
    """The schema's own work alone (json.loads + Encounter.model_validate, none of igclaim's input handling): a
    unit that stays the same size when igclaim's reading gets faster, so a faster parse_encounter does not make
    the pipeline look dearer in parse units."""
    from pydantic import ValidationError

    from igclaim.model import Encounter

    for line in lines:
        with contextlib.suppress(ValueError, ValidationError):
            Encounter.model_validate(json.loads(line))


def pipeline(lines: Sequence[str]) -> None:
    """Each record as `igclaim batch` treats it: scrub when it holds a written claim, else build; then its JSON."""
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    for line in lines:
        try:
            enc = parse_encounter(json.loads(line))
            result = engine.scrub(enc) if enc.claim else engine.build(enc)
            result.model_dump_json()
        except ValueError:
            pass


def warm() -> None:
    """Load what the first claim would: the edit families (when the tree has them to load)."""
    from igclaim import engine

    load = getattr(engine, "_load_edit_families", None)
    if load:
        load()


def seconds(fn: Callable[[], object], repeat: int = 1, clock: Callable[[], float] = time.process_time) -> float:
    """Seconds per call of `fn` (CPU time by default: other processes' load does not count)."""
    t = clock()
    for _ in range(repeat):
        fn()
    return (clock() - t) / repeat
