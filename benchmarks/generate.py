"""Seeded generator of realistic synthetic encounters for benchmarks and batch runs (no real people or claims).

Products, package sizes, strengths and routes come from the bundled reference data (`reference().products`);
doses follow common IG regimens (IV 0.4–1 g/kg every 3–4 weeks, SC 0.1–0.2 g/kg weekly) for adult weights;
settings, payers, prior authorizations, diagnoses, flushes and infusion times vary. A share of encounters
carries a claim "written by a person": the claim igclaim builds for the chart, with one of the errors billers
make (units by mL or by grams, the NOS code, JZ left off, 96366 on a 61-minute infusion, a flush billed as
hydration, the JW line dropped, another product's J-code), or none. A small share of records is malformed
(bad JSON, schema errors, charts that cannot be coded) so that batch accounting is exercised too.

To stay fast at a million records, a pool of distinct encounters is generated and coded once, then sampled
with fresh encounter ids.

    python benchmarks/generate.py 10000 --out /tmp/enc.jsonl [--seed 7] [--format jsonl|csv|parquet]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from igclaim import engine
from igclaim.batch.tabular import COLUMNS, encounter_to_rows
from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.ndc import format as ndc_format
from igclaim.refdata.resolver import Product, reference

# Synthetic cohort: indications for which IG is commonly given (ICD-10-CM), and a few codes billers get wrong
# (D80.1 is not on Medicare's home-IVIG list; G35 is not billable from 2025-10-01; Z51.11 is never the reason).
DIAGNOSES = ["D83.9", "D83.8", "D80.0", "D80.3", "D81.9", "G61.81", "D69.3", "G70.01", "M33.10", "D80.1"]
WRONG_DIAGNOSES = ["G35", "Z51.11"]
PAYERS = [("medicare", "Medicare Part B", 45), ("medicare_advantage", "Medicare Advantage plan", 20),
          ("medicaid", "State Medicaid", 10), ("commercial", "Commercial plan", 25)]
SETTINGS = [("office", 70), ("hospital_outpatient", 20), ("home", 10)]
WRITTEN_ERRORS = ["units_by_ml", "units_by_grams", "nos_code", "missing_jz", "addon_on_61_minutes",
                  "flush_as_hydration", "jw_dropped", "other_product_code"]
FIRST_MONDAY = date(2026, 1, 5)
WEEKS = 13


def _weighted(rng: random.Random, items: list[tuple]) -> tuple:
    return rng.choices(items, weights=[i[-1] for i in items])[0]


def _products() -> list[Product]:
    """Products that can be ordered: own code or not, with known package sizes."""
    return [p for p in reference().products if p.packages]


def _product(drug: dict[str, Any]) -> Product:
    return next(p for p in reference().products if p.name == drug["product"])


def _containers(rng: random.Random, product: Product, dose: Decimal, wasteful: bool) -> list[dict[str, Any]]:
    """Opened containers covering the dose: largest sizes first (or one big container when `wasteful`)."""
    sizes = sorted({k.grams for k in product.packages}, reverse=True)
    if wasteful and sizes[0] > dose:
        return [{"grams": str(sizes[0]), "count": 1}]
    left, picked = dose, {}
    for s in sizes:
        while left >= s:
            picked[s] = picked.get(s, 0) + 1
            left -= s
    if left > 0:
        fit = min(s for s in sizes if s >= left) if any(s >= left for s in sizes) else sizes[-1]
        picked[fit] = picked.get(fit, 0) + 1
    return [{"grams": str(s), "count": c} for s, c in sorted(picked.items(), reverse=True)]


def make_chart(rng: random.Random, number: int, products: list[Product]) -> dict[str, Any]:
    """One synthetic chart (no claim) in the public encounter schema."""
    product = rng.choice(products)
    route = "SC" if product.routes == ("SC",) else ("SC" if "SC" in product.routes and rng.random() < 0.1 else "IV")
    weight = rng.randint(50, 110)
    if route == "IV":
        dose = Decimal(max(5, round(weight * rng.choice([0.4, 0.5, 0.8, 1.0]) / 5) * 5))
        minutes = rng.choice([75, 100, 150, 180, 210, 240, 270, 300]) if rng.random() > 0.05 else 61
    else:
        dose = Decimal(max(2, round(weight * rng.choice([0.1, 0.15, 0.2]))))
        minutes = rng.choice([45, 60, 75, 90, 120])
    dos = FIRST_MONDAY + timedelta(days=rng.randrange(WEEKS * 7))
    start = datetime(dos.year, dos.month, dos.day, rng.randint(7, 12), rng.choice([0, 15, 30, 45]))
    setting = _weighted(rng, SETTINGS)[0]
    ptype, pname, _ = _weighted(rng, PAYERS)
    payer: dict[str, Any] = {"type": ptype, "name": pname}
    if ptype in ("medicare_advantage", "commercial", "medicaid") and rng.random() < 0.8:
        payer["prior_authorization"] = {"number": f"PA-{number:07d}", "start": (dos - timedelta(days=60)).isoformat(),
                                        "end": (dos + timedelta(days=120)).isoformat()}
    diagnoses = [rng.choice(DIAGNOSES)] if rng.random() > 0.03 else [rng.choice(WRONG_DIAGNOSES)]
    drug: dict[str, Any] = {"id": "ig1", "product": product.name, "route": route}
    if product.concentration_percent and rng.random() < 0.15:
        drug["dose"] = {"ml": str(dose * 100 / product.concentration_percent)}
    else:
        drug["dose"] = {"grams": str(dose)}
    drug["containers"] = _containers(rng, product, dose, wasteful=rng.random() < 0.1)
    ndcs = [k.ndc for k in product.packages if k.ndc]
    if ndcs and rng.random() < 0.9:  # most charts record the NDC of the package used; a few do not
        drug["ndc"] = ndc_format(rng.choice(ndcs))
    admin: dict[str, Any] = {"drug_id": "ig1", "start": start.isoformat(timespec="minutes")}
    if rng.random() > 0.02:  # a few charts lack the stop time
        admin["stop"] = (start + timedelta(minutes=minutes)).isoformat(timespec="minutes")
    if route == "SC":
        admin["sc_sites"] = rng.choice([1, 2, 4])
        admin["pump_setups"] = 1
    enc: dict[str, Any] = {
        "encounter_id": f"gen-{number:07d}", "date_of_service": dos.isoformat(), "setting": setting, "payer": payer,
        "diagnoses": diagnoses, "drugs": [drug], "administrations": [admin],
    }
    if rng.random() < 0.4:
        stop = start + timedelta(minutes=minutes)
        enc["fluids"] = [{"purpose": "flush", "start": stop.isoformat(timespec="minutes"),
                          "stop": (stop + timedelta(minutes=rng.choice([5, 10, 35]))).isoformat(timespec="minutes")}]
    return enc


def _written_lines(enc: dict[str, Any]) -> list[dict[str, Any]]:
    """The claim igclaim builds for the chart, as a person would write it."""
    result = engine.build(parse_encounter(enc))
    lines = []
    for ln in result.claim.lines:
        line = {"line": ln.line, "code": ln.code, "modifiers": list(ln.modifiers), "units": ln.units}
        if ln.ndc:
            line["ndc"] = ln.ndc
        if ln.revenue_code:
            line["revenue_code"] = ln.revenue_code
        lines.append(line)
    return lines


def add_written_claim(rng: random.Random, enc: dict[str, Any], error: str | None) -> dict[str, Any]:
    """A written claim for the chart, with one typical error (or none)."""
    drug = enc["drugs"][0]
    if error == "addon_on_61_minutes":
        admin = enc["administrations"][0]
        admin["stop"] = (datetime.fromisoformat(admin["start"]) + timedelta(minutes=61)).isoformat(timespec="minutes")
    if error == "flush_as_hydration":
        stop = enc["administrations"][0].get("stop") or enc["administrations"][0]["start"]
        end = (datetime.fromisoformat(stop) + timedelta(minutes=35)).isoformat(timespec="minutes")
        enc["fluids"] = [{"purpose": "flush", "start": stop, "stop": end}]
    lines = _written_lines(enc)
    dos = date.fromisoformat(enc["date_of_service"])
    drug_line = next((ln for ln in lines if ln["code"].startswith("J") and "JW" not in ln["modifiers"]), None)
    grams = Decimal(drug["dose"].get("grams") or 0)
    if drug_line is None or error is None:
        pass
    elif error == "units_by_ml" and "ml" in drug["dose"]:
        drug_line["units"] = int(Decimal(drug["dose"]["ml"]))
    elif error in ("units_by_grams", "units_by_ml") and grams:
        drug_line["units"] = int(grams)
    elif error == "nos_code" and drug["route"] == "IV" and _product(drug).own_code(dos):
        drug_line["code"] = reference().nos_code(_product(drug).form, dos) or drug_line["code"]
    elif error == "missing_jz":
        drug_line["modifiers"] = [m for m in drug_line["modifiers"] if m != "JZ"]
    elif error == "addon_on_61_minutes" and enc["setting"] != "home":
        lines.append({"line": len(lines) + 1, "code": "96366", "modifiers": [], "units": 1})
    elif error == "flush_as_hydration" and enc["setting"] != "home":
        lines.append({"line": len(lines) + 1, "code": "96361", "modifiers": [], "units": 1})
    elif error == "jw_dropped":
        lines = [ln for ln in lines if "JW" not in ln["modifiers"]]
    elif error == "other_product_code":
        others = sorted({c for p in _products() if (c := p.own_code(dos)) and c != drug_line["code"]
                         and drug["route"] in p.routes})
        drug_line["code"] = rng.choice(others)
    for i, ln in enumerate(lines, start=1):
        ln["line"] = i
    enc["claim"] = {"lines": lines}
    return enc


def _malformed(rng: random.Random, number: int, template: dict[str, Any]) -> dict[str, Any] | str:
    """A record a real feed sometimes holds: broken JSON, a schema error, or a chart that cannot be coded."""
    kind = rng.choice(["json", "setting", "dose", "containers", "product"])
    enc = json.loads(json.dumps(template))
    enc["encounter_id"] = f"bad-{number:07d}"
    if kind == "json":
        return json.dumps(enc)[:-7]
    if kind == "setting":
        enc["setting"] = "clinic"
    elif kind == "dose":
        enc["drugs"][0]["dose"] = {}
    elif kind == "containers":
        enc["drugs"][0]["containers"] = [{"grams": "1", "count": 1}]  # less than the dose: cannot be coded
    else:
        enc["drugs"][0]["product"] = "Unknown IG 10%"
    return enc


def template_pool(size: int, seed: int, claim_share: float, error_share: float) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    products = _products()
    pool: list[dict[str, Any]] = []
    while len(pool) < size:
        enc = make_chart(rng, len(pool), products)
        try:
            if rng.random() < claim_share:
                error = rng.choice(WRITTEN_ERRORS) if rng.random() < error_share else None
                enc = add_written_claim(rng, enc, error)
            else:
                engine.build(parse_encounter(enc))
        except InputError:
            continue  # the generator only keeps charts it can code; malformed records are made on purpose
        pool.append(enc)
    return pool


def encounters(n: int, seed: int = 7, *, claim_share: float = 0.5, error_share: float = 0.6,
               bad_share: float = 0.002, pool_size: int = 3000) -> Iterator[dict[str, Any] | str]:
    """n records: encounter dicts (and, for `bad_share` of them, malformed records; a str is broken JSON)."""
    pool = template_pool(min(n, pool_size) or 1, seed, claim_share, error_share)
    rng = random.Random(seed + 1)
    for i in range(n):
        template = pool[rng.randrange(len(pool))]
        if rng.random() < bad_share:
            yield _malformed(rng, i, template)
        else:
            yield {**template, "encounter_id": f"gen-{i:07d}"}


def write_jsonl(path: Path, records: Iterator[dict[str, Any] | str]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write((rec if isinstance(rec, str) else json.dumps(rec, separators=(",", ":"))) + "\n")
            n += 1
    return n


def _rows(records: Iterator[dict[str, Any] | str]) -> Iterator[dict[str, str | None]]:
    for rec in records:
        if isinstance(rec, str):  # broken JSON has no CSV form: a record with an unknown setting instead
            rec = {"encounter_id": "bad-row", "setting": "clinic", "drugs": [{"id": "x", "product": "Privigen"}]}
        yield from encounter_to_rows(rec)


def write_csv(path: Path, records: Iterator[dict[str, Any] | str]) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in _rows(records):
            w.writerow(row)
            n += 1
    return n


def write_parquet(path: Path, records: Iterator[dict[str, Any] | str], batch: int = 50_000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    n, buf = 0, []
    with pq.ParquetWriter(path, schema) as writer:
        for row in _rows(records):
            buf.append(row)
            if len(buf) >= batch:
                writer.write_table(pa.Table.from_pylist(buf, schema=schema))
                n, buf = n + len(buf), []
        if buf:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
            n += len(buf)
    return n


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("count", type=int, help="number of encounters (records)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--format", choices=sorted(WRITERS), help="default: from the suffix of --out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--claim-share", type=float, default=0.5, help="share of encounters with a written claim")
    ap.add_argument("--error-share", type=float, default=0.6, help="share of written claims with an error")
    ap.add_argument("--bad-share", type=float, default=0.002, help="share of malformed records")
    args = ap.parse_args(argv)
    fmt = args.format or {".csv": "csv", ".parquet": "parquet"}.get(args.out.suffix, "jsonl")
    records = encounters(args.count, args.seed, claim_share=args.claim_share, error_share=args.error_share,
                         bad_share=args.bad_share)
    n = WRITERS[fmt](args.out, records)
    print(f"wrote {args.count:,} records ({n:,} {'rows' if fmt != 'jsonl' else 'lines'}) to {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
