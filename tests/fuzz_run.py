"""`make fuzz`: the long fuzz run. Prints counts of each outcome and exits 1 if any crash, PHI quoted back, nonsense
accepted, 837 rejected or unprintable form was found (examples of each are printed).

    python tests/fuzz_run.py --library 100000 --cli 1000

Library: hypothesis-generated charts (valid and mutated JSON charts, mutated FHIR Bundles, mutated CSV rows;
tests/fuzzing.py; charts whose names, addresses and ids hold any text; charts whose patient or subscriber values
are wrong, whose refusal must never quote them) through parse → build/scrub (rows that
cannot form a chart are refused naming row and column); each accepted chart with parties is exported as a FHIR
Claim and its printed form (a refusal naming a field is fine; the PDF must print no character its fonts lack) and
as an 837 (a refusal naming a field is fine) and the 837s are checked by
pyx12 in interchanges of up to 200 claims (pyx12 loads its maps once per interchange; an interchange with a
problem is split until the claim is found).
CLI: mutated JSON text (NaN, 1e999999, 5,000-digit numbers, non-UTF-8 bytes, a BOM, deep nesting, truncation, Rich
markup and terminal controls in the encounter id or a diagnosis) through `igclaim build`, as JSON and as the
terminal table (no ESC may reach the terminal), in-process (Typer's runner, with main()'s exit-status contract),
plus a few real subprocesses: the exit status must be 0 or 2, never a traceback.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests import fuzzing  # noqa: E402

COUNTS: collections.Counter = collections.Counter()
EXAMPLES: dict[str, list[str]] = collections.defaultdict(list)
PENDING: dict[str, list] = {"837P": [], "837I": []}


def note(outcome: str, detail: str, sample: object = None) -> None:
    COUNTS[outcome] += 1
    if outcome not in ("ok", "refused") and len(EXAMPLES[outcome]) < 5:
        EXAMPLES[outcome].append(f"{detail} :: {json.dumps(sample, default=str)[:400]}")


def _check_group(kind: str, claims: list) -> None:
    text = fuzzing.render_837([c for c, _ in claims], kind)
    problems = fuzzing.pyx12_check(text)
    if not problems:
        COUNTS["837-claims-accepted-by-pyx12"] += len(claims)
        return
    if len(claims) == 1:
        note("x12-rejected", "; ".join(problems)[:300], claims[0][1])
        return
    half = len(claims) // 2
    _check_group(kind, claims[:half])
    _check_group(kind, claims[half:])


def flush(force: bool = False) -> None:
    for kind, claims in PENDING.items():
        if claims and (force or len(claims) >= 200):
            _check_group(kind, claims)
            claims.clear()


def progress(done: int, every: int = 2000) -> None:
    """A line on stderr every `every` inputs, so a run of hours can be followed (and its rate read)."""
    if done % every == 0:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
        print(f"[{time.strftime('%H:%M:%S')}] {done} inputs: {shown}", file=sys.stderr, flush=True)


def library_one(obj) -> None:
    from igclaim import engine
    from igclaim.errors import InputError

    outcome, detail = fuzzing.classify(obj)
    note(outcome, detail, obj)
    if outcome != "ok":
        return
    enc = fuzzing.parse_quiet(obj)
    result = engine.scrub(enc) if enc.claim is not None else engine.build(enc)
    if result.has_errors or enc.billing_provider is None:
        return
    try:
        problems = fuzzing.check_forms_and_fhir(enc, result)
    except Exception as exc:  # noqa: BLE001
        note("crash", f"forms/FHIR {type(exc).__name__}: {exc}", obj)
        return
    if problems:
        note("form-unprintable", "; ".join(problems), obj)
    accepted = fuzzing.accepted_claim(enc, result)
    if accepted is None:  # refusals (a field named) are right; only what igclaim agrees to write goes to pyx12
        COUNTS["837-refused"] += 1
        return
    claim, kind = accepted
    try:
        fuzzing.render_837([claim], kind)
    except InputError as exc:
        note("x12-rejected", f"{fuzzing.WRITE_REFUSED}: {exc}", obj)
        return
    except Exception as exc:  # noqa: BLE001
        note("crash", f"837 {type(exc).__name__}: {exc}", obj)
        return
    PENDING[kind].append((claim, obj))
    flush()


def run_library(n: int, chunk: int = 2000) -> None:
    """In rounds of `chunk` examples: hypothesis keeps every example of a run in memory, and one round that
    hypothesis itself gives up on (counted as `hypothesis-error`) must not end a run of hours."""
    from hypothesis.errors import HypothesisException

    done = [0]

    def one(obj):
        if isinstance(obj, list):  # a CSV encounter's rows
            from igclaim.batch.tabular import RowsError, rows_to_encounter

            try:
                obj = rows_to_encounter(obj)
            except RowsError:
                obj = None
        if obj is None:
            note("refused", "")
        else:
            library_one(obj)
        done[0] += 1
        progress(done[0])

    strategy = st.one_of(fuzzing.valid_encounters(), fuzzing.mutated_encounters(), fuzzing.mutated_encounters(),
                         fuzzing.mutated_bundles(), fuzzing.mutated_row_groups(), fuzzing.hostile_party_texts(),
                         fuzzing.personal_values_gone_wrong())
    while done[0] < n:
        before = done[0]
        go = settings(max_examples=min(chunk, n - done[0]), deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))(given(strategy)(one))
        try:
            go()
        except HypothesisException as exc:
            note("hypothesis-error", f"{type(exc).__name__}: {str(exc)[:200]}")
        if done[0] == before:
            break  # hypothesis drew nothing new: stop rather than loop
    flush(force=True)


def hostile_texts(rng: random.Random, base: bytes) -> bytes:
    text = base.decode()
    choice = rng.randrange(9)
    if choice == 0:
        return b"\xef\xbb\xbf" + base
    if choice == 1:
        cut = rng.randrange(len(base))
        return base[:cut]
    if choice == 2:
        pos = rng.randrange(len(base))
        return base[:pos] + bytes([rng.choice([0xff, 0xc3, 0x80, 0x00])]) + base[pos:]
    if choice == 3:
        return ("[" * rng.choice([40, 5000]) + text + "]" * 10).encode()
    numbers = ['NaN', 'Infinity', '-Infinity', '1e999999', '9' * 5000, '-0', '1e-999999', '0.0000000001']
    if choice in (4, 5, 6):
        import re
        spots = [m.start() for m in re.finditer(r"(?<=: )\d+(\.\d+)?", text)]
        if spots:
            pos = rng.choice(spots)
            end = re.match(r"\d+(\.\d+)?", text[pos:]).end() + pos
            return (text[:pos] + rng.choice(numbers) + text[end:]).encode()
    if choice == 7:
        obj = json.loads(text)
        obj[rng.choice(list(obj))] = rng.choice(fuzzing.HOSTILE_STRINGS)
        return json.dumps(obj).encode()
    if choice == 8:  # text the table prints as it is: the encounter id, a diagnosis (markup, terminal controls)
        obj = json.loads(text)
        hostile = rng.choice([h for h in fuzzing.HOSTILE_STRINGS if isinstance(h, str) and h])
        if rng.random() < 0.5:
            obj["encounter_id"] = hostile
        else:
            obj["diagnoses"] = [*obj.get("diagnoses", []), hostile]
        return json.dumps(obj).encode()
    return base


def run_cli(n: int, subprocesses: int = 20) -> None:
    from typer.testing import CliRunner

    from igclaim.cli import app

    rng = random.Random(11)
    bases = [json.dumps(b, indent=1).encode() for b in fuzzing.BASES]
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            data = hostile_texts(rng, rng.choice(bases))
            f = Path(tmp) / f"in{i % 50}.json"
            f.write_bytes(data)
            sub = i < subprocesses
            fmt = ("json", "table")[i % 2]  # the table: chart text through Rich (markup, terminal controls)
            if sub:
                r = subprocess.run([sys.executable, "-m", "igclaim.cli", "build", str(f), "--format", fmt],
                                   capture_output=True, text=True, timeout=120)
                code, err, exc, shown = r.returncode, r.stderr, None, r.stdout + r.stderr
            else:
                res = runner.invoke(app, ["build", str(f), "--format", fmt])
                code, err, shown = res.exit_code, res.output, res.output
                exc = res.exception if not isinstance(res.exception, SystemExit) else None
            if exc is not None or code not in (0, 2) or "Traceback" in (err or ""):
                note("cli-crash", f"exit {code} {type(exc).__name__ if exc else ''} {(err or '')[-200:]}",
                     data[:300].decode(errors="replace"))
            elif fmt == "table" and "\x1b" in shown:
                note("cli-terminal-control", "ESC reached the terminal", data[:300].decode(errors="replace"))
            else:
                COUNTS[f"cli-exit-{code}"] += 1
            progress(i + 1, every=100)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=int, default=100_000)
    ap.add_argument("--cli", type=int, default=1_000)
    args = ap.parse_args()
    t0 = time.time()
    run_library(args.library)
    t1 = time.time()
    run_cli(args.cli)
    t2 = time.time()
    print(f"library: {args.library} inputs in {t1 - t0:.0f} s; cli: {args.cli} inputs in {t2 - t1:.0f} s")
    for k, v in sorted(COUNTS.items()):
        print(f"  {k}: {v}")
    bad = {k: v for k, v in EXAMPLES.items() if v}
    for k, v in bad.items():
        print(f"{k}:")
        for e in v:
            print("   ", e)
    print("FAIL" if bad else "OK: 0 crashes, 0 PHI quoted, 0 nonsense accepted, 0 837s rejected, 0 unprintable forms")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
