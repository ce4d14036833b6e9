"""The claims that went out (`--claims`), matched to the remittance, and the corrected claims (`--corrected`).

An 835 names each claim by CLP01, the claim number the provider sent in CLM01: igclaim writes the encounter's
`claim_id` there. `igclaim batch` results (results.jsonl) carry only the `encounter_id`, so a result matches
when CLP01 equals its encounter id; encounters match by `claim_id` or `encounter_id`.

Sources: a batch output directory or results.jsonl (each line a result; other lines are encounters, coded
here), a directory of encounter JSON files, or one encounter JSON. An encounter with a written `claim` went
out as written (scrub: its findings are about that claim); without one, igclaim's own claim went out (build).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from igclaim import engine
from igclaim.denials.mapping import NOT_DECISIONS, ClaimView
from igclaim.errors import InputError, problem_lines
from igclaim.inputs import InvalidInput, load_json, parse_encounter
from igclaim.model import Claim, Correction, Encounter, Result
from igclaim.outputs.x12 import written_as

MAX_FILE_BYTES = 500 * 1024 * 1024
MAX_RECORDS = 1_000_000
X12_SUFFIXES = (".837", ".x12", ".edi", ".txt")


class ClaimsError(ValueError):
    """--claims cannot be read at all."""


@dataclass
class SentClaim:
    result: Result
    encounter: Encounter | None
    where: str
    claim_id: str | None = None  # CLM01, when the claim was read from an 837
    written: Claim | None = None  # the claim as the 837 carried it

    def line_codes(self) -> dict[int, str] | None:
        """Line number → code of the claim that went out, which findings' `line` points at; None when unknown
        (a result alone does not say whether it was built or scrubbed)."""
        if self.written is not None:
            return {ln.line: ln.code for ln in self.written.lines}
        if self.encounter is None:
            return None
        lines = self.encounter.claim.lines if self.encounter.claim is not None else self.result.claim.lines
        return {ln.line: ln.code for ln in lines}


@dataclass
class ClaimSource:
    path: str
    by_id: dict[str, SentClaim] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    by_sent: dict[str, SentClaim] = field(default_factory=dict)  # by the id as igclaim's 837 writes it in CLM01

    def find(self, claim_id: str) -> SentClaim | None:
        """The claim CLP01 names: by its id as given, else as igclaim's 837 sent it (upper case, delimiters and
        runs of spaces made one space), which is what a payer echoes: `clm-2026-0101` went out as CLM-2026-0101."""
        return self.by_id.get(claim_id) or self.by_sent.get(claim_id)

    def add(self, sent: SentClaim) -> None:
        keys = {sent.result.encounter_id}
        if sent.encounter is not None and sent.encounter.claim_id:
            keys.add(sent.encounter.claim_id)
        if sent.claim_id:
            keys.add(sent.claim_id)
        for k in keys:
            if k in self.by_id and self.by_id[k].where != sent.where:
                self.problems.append(f"{sent.where}: claim {k} also at {self.by_id[k].where}; the first is used")
                continue
            self.by_id[k] = sent
        for k in keys:
            if (as_sent := written_as(k)) == k:
                continue
            if as_sent in self.by_sent and self.by_sent[as_sent] is not sent:
                self.problems.append(f"{sent.where}: claim {k} goes out as {as_sent}, as does the claim at "
                                     f"{self.by_sent[as_sent].where}; the first is used")
                continue
            self.by_sent[as_sent] = sent


def load_claims(path: str) -> ClaimSource:
    p = Path(path)
    src = ClaimSource(path)
    if p.is_dir():
        results = p / "results.jsonl"
        files = sorted(f for f in p.iterdir() if f.suffix == ".json" and f.is_file())
        if not results.exists() and not files:
            raise ClaimsError(f"{path}: no results.jsonl and no encounter .json files in this directory")
        if results.exists():
            _read_jsonl(results, src)
        for f in files:
            _read_json(f, src)
        return src
    if not p.exists():
        raise ClaimsError(f"{path}: no such file")
    if p.suffix.lower() in X12_SUFFIXES:
        _read_837(p, src)
        return src
    if p.suffix.lower() in (".jsonl", ".ndjson"):
        _read_jsonl(p, src)
    elif p.suffix.lower() == ".json":
        _read_json(p, src)
    else:
        raise ClaimsError(f"{path}: give results.jsonl, a directory of encounter JSON files, or an encounter .json")
    return src


def _size_ok(p: Path) -> None:
    if p.stat().st_size > MAX_FILE_BYTES:
        raise ClaimsError(f"{p}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")


def _read_jsonl(p: Path, src: ClaimSource) -> None:
    _size_ok(p)
    with p.open(encoding="utf-8") as fh:
        for n, text in enumerate(fh, start=1):
            if n > MAX_RECORDS:
                src.problems.append(f"{p.name}: more than {MAX_RECORDS:,} records; the rest were not read")
                break
            if not text.strip():
                continue
            _add_record(text, f"{p.name}:{n}", src)


def _read_837(p: Path, src: ClaimSource) -> None:
    """The claims as they went out in an 837, each scrubbed without its chart (what the claim alone shows)."""
    from igclaim.readers.scrub import scrub_one
    from igclaim.readers.x12 import ReadError, read_837

    _size_ok(p)
    read = 0
    for item in read_837(p):
        if isinstance(item, ReadError):
            src.problems.append(f"{p.name}: {item.text()}")
            continue
        done = scrub_one(item, None)
        if done.result is None:
            src.problems.append(f"{p.name}: {done.error.text() if done.error else f'claim {item.claim_id}'}")
            continue
        read += 1
        src.add(SentClaim(done.result, None, f"{p.name}: claim {item.claim_id}", item.claim_id, item.claim))
    if not read:
        raise ClaimsError(f"{p}: no claim could be read from this 837"
                          + (f" ({src.problems[0].split(': ', 1)[1]})" if src.problems else ""))


def _read_json(p: Path, src: ClaimSource) -> None:
    _size_ok(p)
    _add_record(p.read_text(encoding="utf-8"), p.name, src)


def _add_record(text: str, where: str, src: ClaimSource) -> None:
    try:  # the size, depth, long-number and repeated-key limits of any encounter read (json.loads crashed on them)
        obj = load_json(text)
    except InvalidInput as exc:
        src.problems.append(f"{where}: not JSON ({exc.problems[0]})")
        return
    if isinstance(obj, dict) and "reference" in obj and "claim" in obj and "encounter_id" in obj:
        try:
            src.add(SentClaim(Result.model_validate(obj), None, where))
        except ValueError as exc:
            src.problems.append(f"{where}: not an igclaim result ({str(exc).splitlines()[0]})")
        return
    try:
        enc = parse_encounter(obj)
    except InvalidInput as exc:
        src.problems.append(f"{where}: {'; '.join(exc.problems[:3])}")
        return
    try:
        result = engine.scrub(enc) if enc.claim is not None else engine.build(enc)
    except InputError as exc:
        src.problems.append(f"{where}: {exc}")
        return
    src.add(SentClaim(result, enc, where))


def trace(view: ClaimView, source: ClaimSource) -> None:
    """Say, line by line, whether igclaim flagged the edits a denial traces to on the claim that went out."""
    sent = source.find(view.claim_id)
    if sent is None:
        view.matched = None
        return
    view.matched = sent.where
    codes = sent.line_codes()
    findings = [f for f in sent.result.findings if f.severity in ("error", "warning")]
    any_traced = False
    flagged = False
    for ln in view.lines:
        edits = {e for a in ln.adjustments if a.denied for e in a.edits}
        if not edits:
            continue
        any_traced = True
        # A finding on a line counts for the remittance line of the same code; a claim-level finding (or one
        # whose claim lines are unknown) counts for every line.
        raised = {f.edit for f in findings
                  if f.line is None or codes is None or ln.line is None or codes.get(f.line) == ln.code}
        ln.flagged_edits = sorted(edits & raised)
        ln.flagged = bool(ln.flagged_edits)
        flagged = flagged or ln.flagged
    view.flagged = flagged if any_traced else None


# ------------------------------------------------------------------------------------------- corrected claims


@dataclass
class Correction837:
    encounters: list[Encounter] = field(default_factory=list)
    need_person: list[tuple[str, str]] = field(default_factory=list)  # (claim id, why)


def plan_corrections(views: list[ClaimView], source: ClaimSource | None) -> Correction837:
    """Replacement claims (frequency 7, REF*F8 = the payer's claim number) for denials igclaim can recompute
    from the chart; every other denied claim is listed with what a person must do."""
    plan = Correction837()
    open_ = [v for v in views if v.outcome not in NOT_DECISIONS and v.denied_usd > 0]
    # One claim denied twice (two payer claim numbers) gets one replacement, naming the later decision (the last in
    # the input): two replacements of one claim would both go to the payer.
    latest = {v.claim_id: v for v in open_}
    for view in open_:
        why = (_why_not(view, source) if latest[view.claim_id] is view else
               f"a later decision on this claim (payer claim number {latest[view.claim_id].payer_claim_id}) is the "
               "one to correct")
        if isinstance(why, str):
            plan.need_person.append((view.claim_id, why))
            view.correction = f"needs a person: {why}"
        else:
            plan.encounters.append(why)
            view.correction = "igclaim can write the replacement claim (--corrected)"
    return plan


def _why_not(view: ClaimView, source: ClaimSource | None) -> str | Encounter:
    fixes = view.fixes
    if not view.edits:
        advice = next((a.advice for _, a in view.adjustments() if a.denied and a.advice), None)
        return "no igclaim edit covers this denial" + (f": {advice}" if advice else "")
    if fixes - {"recompute"}:
        advice = next((a.advice for _, a in view.adjustments() if a.denied and a.fix != "recompute" and a.advice),
                      "")
        return f"a person must review the chart: {advice}" if "chart" in fixes else f"fix with the payer: {advice}"
    sent = source.find(view.claim_id) if source else None
    if sent is None or sent.encounter is None:
        return "the chart is needed: give the encounter JSON (--claims DIR) so igclaim can recode the claim"
    if not view.payer_claim_id:
        return "the payer's claim number (CLP07) is missing, so a replacement claim cannot name the original"
    enc = sent.encounter
    try:
        rebuilt = engine.build(enc)
    except InputError as exc:
        return f"igclaim cannot code the chart: {exc}"
    still = [f for f in rebuilt.findings if f.edit in view.edits and f.severity == "error"]
    if still:
        return f"the chart does not settle it: {still[0].edit}: {still[0].message}"
    billed = sorted((ln.code or "", tuple(sorted(ln.modifiers)), ln.billed_units or Decimal(0)) for ln in view.lines
                    if ln.line)
    coded = sorted((ln.code, tuple(sorted(ln.modifiers)), Decimal(ln.units)) for ln in rebuilt.claim.lines)
    if billed == coded:
        return "igclaim codes the chart exactly as it was billed: the denial needs the chart reviewed or an appeal"
    return enc.model_copy(update={"correction": Correction(frequency="7", original_claim_id=view.payer_claim_id)})


def claims_with_parties(encounters: list[Encounter]) -> Iterator[tuple[Encounter, str | None]]:
    """Each replacement encounter, and why it cannot be written as an 837 (a missing party), if it cannot."""
    from igclaim.outputs import x12

    for enc in encounters:
        try:
            c = x12.build_claims([enc])[0]
            kind = x12.transaction_for(enc)
            x12.require_parties(c, kind)
        except InputError as exc:  # every missing party (InputErrors), so one pass fixes the chart
            yield enc, "; ".join(problem_lines(exc))
            continue
        yield enc, None
