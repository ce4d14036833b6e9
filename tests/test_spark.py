"""igclaim on Spark (local[2]) gives what `igclaim batch` gives on the same input: the same results, findings,
error entries (record, line or rows, stage, field) and report, with encounters cut by partition borders, bad
rows and empty partitions. One SparkSession for the module; inputs split into many small partitions."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

if shutil.which("java") is None:
    pytest.skip("Spark needs Java (a JRE 17+ on PATH); not found on this machine", allow_module_level=True)

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from igclaim.batch import run_batch  # noqa: E402
from igclaim.batch.tabular import COLUMNS, encounter_to_rows  # noqa: E402
from igclaim.refdata.store import DB_NAME, STAMP_NAME  # noqa: E402
from tests.test_batch import _inputs, _mixed_lines, _read_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from igclaim.spark import session

    s = session("local[2]", app_name="igclaim-tests", conf={
        "spark.sql.files.openCostInBytes": "0",
        "spark.sql.shuffle.partitions": "3",
        "spark.default.parallelism": "2",
    })
    yield s
    s.stop()


def _nothing_cached(spark) -> bool:
    """Spark's cache manager holds no DataFrame (persisted inputs and outcomes were all unpersisted)."""
    return spark._jsparkSession.sharedState().cacheManager().isEmpty()


def _parquet_rows(path: Path) -> list[dict]:
    return sorted(pq.read_table(path).to_pylist(), key=lambda r: (r["record"], r.get("line") or 0))


def _spark_errors(out: Path) -> list[dict]:
    return [{k: v for k, v in e.items() if v is not None or k in ("encounter_id", "field")}
            for e in _parquet_rows(out / "errors")]


def _as_csv(f: dict) -> list[str]:
    def text(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.2f}"
        return str(v)

    from igclaim.batch.worker import FINDING_COLUMNS

    return [text(f[c]) for c in FINDING_COLUMNS]


def _same_as_batch(batch_out: Path, spark_out: Path) -> None:
    results = [json.loads(r["result"]) for r in _parquet_rows(spark_out / "results")]
    assert results == _read_jsonl(batch_out / "results.jsonl")
    assert _spark_errors(spark_out) == _read_jsonl(batch_out / "errors.jsonl")
    with (batch_out / "findings.csv").open(newline="") as f:
        want = list(csv.reader(f))[1:]
    findings = pq.read_table(spark_out / "findings").to_pylist()
    for f in findings:
        f["date_of_service"] = f["date_of_service"].isoformat() if hasattr(f["date_of_service"], "isoformat") \
            else str(f["date_of_service"])
    got = sorted((_as_csv(f) for f in findings), key=lambda r: (int(r[0]), r[7], r[9], r[13]))
    assert got == sorted(want, key=lambda r: (int(r[0]), r[7], r[9], r[13])) and want
    b, s = (json.loads((d / "summary.json").read_text()) for d in (batch_out, spark_out))
    assert (s["records"], s["results"], s["errors"], s["accounted"]) == (b["records"], b["results"], b["errors"],
                                                                         True)
    assert s["errors_by_stage"] == b["errors_by_stage"]

    def page(d: Path) -> tuple[str, list[str]]:
        """The report without the run's own time line; table rows as a multiset (equal counts may list in
        another order: Spark merges partitions, not records in input order)."""
        html = re.sub(r"\d[\d,]* records in [\d.]+ s with \d+ worker\(s\)|20\d\d-\d\d-\d\dT[\d:]+", "",
                      (d / "report.html").read_text())
        rows = re.findall(r"<tr>.*?</tr>", html)
        return re.sub(r"<tr>.*?</tr>", "<tr/>", html), sorted(rows)

    assert page(spark_out) == page(batch_out)
    from pyspark.sql import SparkSession

    assert _nothing_cached(SparkSession.getActiveSession())  # spark-batch released what it cached


def test_jsonl_with_bad_lines_same_as_batch(spark, tmp_path):
    """The CLI on a JSON Lines file cut into several partitions: blank lines are not records but count as lines."""
    from typer.testing import CliRunner

    from igclaim.cli import app

    spark.conf.set("spark.sql.files.maxPartitionBytes", "2048")  # a 7 kB file in 4 partitions
    lines, expected = _mixed_lines()
    lines = lines[:5] + ["", "   "] + lines[5:]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n\n")
    run_batch(src, tmp_path / "batch", workers=1)
    res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / "spark"), "--master", "local[2]"])
    assert res.exit_code == 0, res.output
    n = len([ln for ln in lines if ln.strip()])
    assert f"records {n} = {n - len(expected)} results + {len(expected)} errors (lost 0)" in res.output, res.output
    assert spark.read.text(str(src)).rdd.getNumPartitions() > 1
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")
    dates = {p.name for p in (tmp_path / "spark" / "results").iterdir() if p.is_dir()}
    assert dates == {f"date_of_service={e['date_of_service']}" for e in _inputs()}


def test_jsonl_with_a_byte_that_is_not_utf8_same_as_batch(spark, tmp_path):
    """One byte that is not UTF-8 (0xe9, Latin-1's e-acute) inside a string of one record, in a file of several
    partitions: that record is one error row as batch gives it (same stage, field and reason), every other record
    is coded, nothing lost, no traceback; a .jsonl.gz of the same bytes too (Spark decompresses it)."""
    import gzip

    from typer.testing import CliRunner

    from igclaim.cli import app

    spark.conf.set("spark.sql.files.maxPartitionBytes", "2048")
    lines, expected = _mixed_lines()
    raw = [ln.encode() for ln in lines]
    bad = 3  # a good encounter's line (1-based): its encounter_id gets the byte
    assert bad not in expected and b'"encounter_id": "' in raw[bad - 1]
    raw[bad - 1] = raw[bad - 1].replace(b'"encounter_id": "', b'"encounter_id": "caf\xe9-', 1)
    text = b"\n".join(raw[:5] + [b"", b"   "] + raw[5:]) + b"\n"
    n = len([ln for ln in raw if ln.strip()])
    for name, data in (("latin.jsonl", text), ("latin.jsonl.gz", gzip.compress(text))):
        src = tmp_path / name
        src.write_bytes(data)
        run_batch(src, tmp_path / f"batch-{name}", workers=1)
        batch_errors = _read_jsonl(tmp_path / f"batch-{name}" / "errors.jsonl")
        assert [e["line"] for e in batch_errors] == sorted([bad, *(k if k <= 5 else k + 2 for k in expected)])
        assert "not UTF-8" in batch_errors[[e["line"] for e in batch_errors].index(bad)]["reason"]
        res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / f"spark-{name}"),
                                       "--master", "local[2]"])
        assert res.exception is None or isinstance(res.exception, SystemExit), res.output
        assert res.exit_code == 0, res.output
        errors = len(expected) + 1
        assert f"records {n} = {n - errors} results + {errors} errors (lost 0)" in res.output, res.output
        _same_as_batch(tmp_path / f"batch-{name}", tmp_path / f"spark-{name}")
    assert spark.read.text(str(tmp_path / "latin.jsonl")).rdd.getNumPartitions() > 1


def test_json_lines_suffixes_as_batch_detects_them(spark, tmp_path):
    """spark-batch reads JSON Lines by batch's detect_format: a .ndjson is JSON Lines, coded as batch codes it. A
    .json is batch's JSON (one encounter, or an array spanning lines, read whole), refused (exit 2, no traceback)
    with what to do: igclaim batch, or --format jsonl for a .json that holds one encounter a line, which then
    gives what batch gives on it."""
    from typer.testing import CliRunner

    from igclaim.cli import app

    def run(src: Path, out: str, *more: str):
        res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / out), "--master",
                                       "local[2]", *more])
        assert res.exception is None or isinstance(res.exception, SystemExit), res.output
        return res

    lines, _expected = _mixed_lines()
    text = "\n".join(lines) + "\n"
    for name in ("lines.ndjson", "lines.json"):
        (tmp_path / name).write_text(text)
    (tmp_path / "array.json").write_text(json.dumps(_inputs(), indent=2))
    run_batch(tmp_path / "lines.ndjson", tmp_path / "batch-ndjson", workers=1)
    assert run(tmp_path / "lines.ndjson", "spark-ndjson").exit_code == 0
    _same_as_batch(tmp_path / "batch-ndjson", tmp_path / "spark-ndjson")
    for name in ("array.json", "lines.json"):
        res = run(tmp_path / name, f"out-{name}")
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        assert "igclaim batch" in res.output and "--format jsonl" in res.output, res.output
        assert not (tmp_path / f"out-{name}").exists()
    run_batch(tmp_path / "lines.json", tmp_path / "batch-json", workers=1)  # (batch: JSON Lines in a .json)
    assert run(tmp_path / "lines.json", "spark-json", "--format", "jsonl").exit_code == 0
    _same_as_batch(tmp_path / "batch-json", tmp_path / "spark-json")


def test_parquet_rows_across_partitions_with_bad_rows_same_as_batch(spark, tmp_path):
    from igclaim.spark import run_spark_batch
    from igclaim.spark.frames import _count_rows, _counts

    encs = _inputs()
    rows = []
    for i, enc in enumerate(encs):
        part = encounter_to_rows(enc)
        if i == 1:
            part[0]["containers"] = "three vials"  # rows error naming the row and column
        if i == 4:
            part[0]["setting"] = "clinic"  # schema error
        if i == 7 and len(part) > 1:
            part[1]["date_of_service"] = "2026-03-03"  # rows of one encounter that disagree
        rows += part
    rows.append(dict.fromkeys(COLUMNS) | {"setting": "office"})  # a row without encounter_id
    rows += encounter_to_rows({**encs[0], "encounter_id": "again"})
    src = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.string()) for c in COLUMNS])), src,
                   row_group_size=4)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")  # 100 kB, 6 row groups: 13 splits, some empty
    counts = _counts(spark.read.parquet(str(src)), _count_rows)
    assert len(counts) > 2 and any(c["rows"] == 0 for c in counts)  # empty partitions
    filled = [c for c in counts if c["rows"]]
    assert any(a["last_key"] == b["first_key"] for a, b in zip(filled, filled[1:], strict=False))  # cut encounters

    run_batch(src, tmp_path / "batch", workers=1)
    summary = run_spark_batch(src, tmp_path / "spark", spark=spark)
    assert summary.records == len(encs) + 2 and summary.errors == 4
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")


def test_parquet_with_a_byte_that_is_not_utf8_same_as_batch(spark, tmp_path):
    """Parquet string values holding a byte that is not UTF-8 (0xe9): one in a single-row encounter's encounter_id,
    one in another column of the middle row of a longer encounter. Each such row is one error row as batch gives
    it (stage rows, field (row), "a value cannot be read"), splitting its encounter as batch does; every other
    record is coded, nothing lost, no traceback, in a file of several partitions."""
    from typer.testing import CliRunner

    from igclaim.cli import app

    rows = [r for enc in _inputs() for r in encounter_to_rows(enc)]
    ids = [r["encounter_id"] for r in rows]
    single = next(i for i in range(len(ids)) if ids.count(ids[i]) == 1)
    middle = next(i for i in range(1, len(ids) - 1) if ids[i - 1] == ids[i] == ids[i + 1])
    column = next(c for c in COLUMNS if c != "encounter_id" and rows[middle].get(c) is not None)
    cols = {c: [None if r.get(c) is None else str(r[c]).encode() for r in rows] for c in COLUMNS}
    cols["encounter_id"][single] = b"caf\xe9-" + cols["encounter_id"][single]
    cols[column][middle] = cols[column][middle] + b"\xe9"
    src = tmp_path / "latin.parquet"  # string columns (Parquet UTF8) whose bytes are not all UTF-8
    pq.write_table(pa.table({c: pa.array(v, pa.binary()).view(pa.string()) for c, v in cols.items()}), src,
                   row_group_size=4)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")
    assert spark.read.parquet(str(src)).rdd.getNumPartitions() > 1

    run_batch(src, tmp_path / "batch", workers=1)
    batch_errors = _read_jsonl(tmp_path / "batch" / "errors.jsonl")
    bad = [e for e in batch_errors if "a value cannot be read" in e["reason"]]
    assert sorted(e["row"] for e in bad) == [single + 1, middle + 1]
    assert {(e["stage"], e["field"]) for e in bad} == {("rows", "(row)")}
    res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / "spark"), "--master",
                                   "local[2]"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    b = json.loads((tmp_path / "batch" / "summary.json").read_text())
    assert f"records {b['records']} = {b['results']} results + {b['errors']} errors (lost 0)" in res.output, \
        res.output
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")


def test_dataframe_api_build_and_scrub_every_row_out(spark):
    """A column of JSON texts in 7 partitions (most empty): every row comes out once; scrub needs a claim."""
    from igclaim import engine
    from igclaim import spark as igspark
    from igclaim.inputs import parse_encounter

    chart = next(e for e in _inputs() if not e.get("claim"))
    written = next(e for e in _inputs() if e.get("claim"))
    texts = [json.dumps(chart), json.dumps(written), None, '{"encounter_id": "torn", ']
    df = spark.createDataFrame([(t,) for t in texts], "json string").repartition(7)

    built = igspark.build(df)
    built.outcomes.persist()
    out = sorted(built.outcomes.collect(), key=lambda r: r["record"])
    assert built.records == 4 and [r["record"] for r in out] == [1, 2, 3, 4]
    assert sorted(r["line"] for r in out) == [1, 2, 3, 4]
    results = {r["encounter_id"]: r for r in built.results.collect()}
    assert set(results) == {chart["encounter_id"], written["encounter_id"]}
    assert {r["mode"] for r in results.values()} == {"build"}
    want = engine.build(parse_encounter(written))
    assert json.loads(results[written["encounter_id"]]["result"]) == json.loads(want.model_dump_json())
    errors = {(e["encounter_id"], e["stage"], e["field"]) for e in built.errors.collect()}
    assert errors == {(None, "json", "(json)"), ("torn", "json", "(json)")}

    scrubbed = igspark.scrub(df)
    scrubbed.outcomes.persist()
    errors = {(e["encounter_id"], e["stage"], e["field"]) for e in scrubbed.errors.collect()}
    assert (chart["encounter_id"], "coding", "claim") in errors and len(errors) == 3
    (result,) = scrubbed.results.collect()
    want = engine.scrub(parse_encounter(written))
    assert json.loads(result["result"]) == json.loads(want.model_dump_json())
    findings = scrubbed.findings.collect()
    assert [f["edit"] for f in findings] == [f.edit for f in want.findings]
    assert all(f["mode"] == "scrub" and f["encounter_id"] == written["encounter_id"] for f in findings)
    assert not _nothing_cached(spark)
    built.unpersist()
    scrubbed.unpersist()
    assert _nothing_cached(spark)  # the outcomes and the inputs persisted for numbering


def test_837_same_as_batch(spark, tmp_path):
    """An 837 through spark-batch: every CLM one record (a result, or an error naming the segment), an envelope
    problem a record too; the same results, errors and report as `igclaim batch claims.837`."""
    from datetime import datetime

    from typer.testing import CliRunner

    from igclaim.cli import app
    from igclaim.inputs import parse_encounter
    from igclaim.outputs import chargemaster, x12
    from tests.test_batch_x12 import _encs

    encs = _encs(12)
    text = x12.to_837([parse_encounter(e) for e in encs], chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12, 0), receiver_id="CLEARH1"))
    segs = [s.strip() for s in text.split("~") if s.strip()]
    clms = [i for i, s in enumerate(segs) if s.startswith("CLM*")]
    sv1 = next(i for i in range(clms[3], len(segs)) if segs[i].startswith("SV1*"))
    segs[sv1] = segs[sv1].replace("*UN*", "*UN*1.5X", 1)  # claim 4: bad units
    segs[-1] = segs[-1].replace("IEA*1*", "IEA*1*9")  # envelope: IEA control number differs from ISA's
    hi = next(i for i in range(clms[6], len(segs)) if segs[i].startswith("HI*"))
    src = tmp_path / "claims.837"
    # claim 7: a byte that is not ASCII (0xe9) refuses that claim by segment (never silently replaced), as in batch
    segs[hi] = segs[hi] + "\udce9"
    src.write_bytes("".join(s + "~\n" for s in segs).encode("ascii", "surrogateescape"))

    run_batch(src, tmp_path / "batch", workers=1)
    res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / "spark"), "--master", "local[2]"])
    assert res.exit_code == 0, res.output
    assert "records 13 = 10 results + 3 errors (lost 0)" in res.output, res.output
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")
    errors = _spark_errors(tmp_path / "spark")
    assert [(e["record"], e["stage"], e["field"].split()[0]) for e in errors] == [
        (4, "x12", "SV1"), (7, "x12", "HI"), (13, "envelope", "IEA")]
    assert "not ASCII" in errors[1]["reason"]
    assert all(e["segment"] > 0 for e in errors)
    assert not list(tmp_path.glob("igclaim-837-*"))
    assert _nothing_cached(spark)


def test_earlier_outputs_and_the_input_are_never_overwritten(spark, tmp_path):
    """A second run into the same --out is refused (exit 2) and leaves the first run's outputs as they were, as
    `igclaim batch` does; --overwrite replaces them. An input inside an output (an earlier run's results/) is
    refused even with --overwrite: Spark's overwrite mode deletes that path before its lazy read has run."""
    from typer.testing import CliRunner

    from igclaim.cli import app

    src = tmp_path / "few.jsonl"
    src.write_text("\n".join(json.dumps(e) for e in _inputs()[:2]) + "\n")
    out = tmp_path / "spark"

    def run(*args: str):
        return CliRunner().invoke(app, ["spark-batch", *args, "--master", "local[2]"])

    assert run(str(src), "--out", str(out)).exit_code == 0
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    res = run(str(src), "--out", str(out))
    assert res.exit_code == 2, res.output
    assert "earlier run's outputs" in res.output and "--overwrite" in res.output, res.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first
    res = run(str(src), "--out", str(out), "--overwrite")
    assert res.exit_code == 0, res.output
    assert "records 2 = 2 results + 0 errors (lost 0)" in res.output, res.output

    kept = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for given in (out / "results", out / "results" / "x.parquet", out / "summary.json"):
        res = run(str(given), "--format", "parquet", "--out", str(out), "--overwrite")
        assert res.exit_code == 2, res.output
        assert "where the input" in res.output and "would destroy it" in res.output, res.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == kept
    report_dir = tmp_path / "reports"
    res = run(str(src), "--out", str(tmp_path / "other"), "--report-dir", str(report_dir))
    assert res.exit_code == 0, res.output
    res = run(str(src), "--out", str(tmp_path / "third"), "--report-dir", str(report_dir))
    assert res.exit_code == 2 and "report.html" in res.output, res.output


def test_the_filing_date_option_as_in_batch(spark, tmp_path):
    """spark-batch --filing-date judges the filing limit of each record that gives no filing_date, as
    `igclaim batch --filing-date` does (a day before a record's date of service: that record's coding error); a
    record's own filing_date comes first (neither late nor that error under the option), and a later job on the
    same reused Python workers without the option judges none."""
    from typer.testing import CliRunner

    from igclaim import spark as igspark
    from igclaim.cli import app

    root = Path(__file__).resolve().parents[1]
    lines = (root / "examples/parties/office-batch.jsonl").read_text().splitlines()
    early = json.loads(lines[0].replace("2026-03-02", "2027-04-01")) | {"encounter_id": "x-early"}
    own = [json.loads(lines[0]) | {"encounter_id": "x-own-on-time", "filing_date": "2026-03-10"},
           early | {"encounter_id": "x-own-early", "filing_date": "2027-04-02"}]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([*lines, json.dumps(early), *map(json.dumps, own)]) + "\n")
    day = "2027-03-03"
    run_batch(src, tmp_path / "batch", workers=1, filing_date=date.fromisoformat(day))
    res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / "spark"), "--master",
                                   "local[2]", "--filing-date", day])
    assert res.exit_code == 0, res.output
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")
    results = [json.loads(r["result"]) for r in _parquet_rows(tmp_path / "spark" / "results")]
    late = {r["encounter_id"] for r in results if any(f["edit"] == "CLAIM-FILING-LIMIT" for f in r["findings"])}
    assert late == {"x-office-jz"}  # Medicare, 2026-03-02: due 2027-03-02; x-own-on-time filed 2026-03-10
    assert {"x-own-on-time", "x-own-early"} <= {r["encounter_id"] for r in results}
    [error] = _spark_errors(tmp_path / "spark")
    assert (error["encounter_id"], error["stage"], error["field"]) == ("x-early", "coding", "--filing-date")

    again = igspark.process(spark.read.text(str(src)).withColumnRenamed("value", "json"))
    again.outcomes.persist()
    try:
        assert not [f for f in again.findings.collect() if f["edit"] == "CLAIM-FILING-LIMIT"]
        assert again.errors.count() == 0
    finally:
        again.unpersist()


def test_gzip_inputs_as_their_plain_twins(spark, tmp_path):
    """A .jsonl.gz gives what batch gives on the plain .jsonl (Spark decompresses it); a .csv.gz or .json.gz is
    refused as its plain twin is (the format is the name's under .gz, batch's detection). A gzip file that is
    corrupt or cut short, a plain file named .gz and a gzip file not named .gz (Spark decompresses by the name,
    batch by the bytes) are each one clear error naming the file, exit 2, no traceback, nothing written."""
    import gzip

    from typer.testing import CliRunner

    from igclaim.cli import app

    def run(src: Path | str, out: str):
        res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / out), "--master",
                                       "local[2]"])
        assert res.exception is None or isinstance(res.exception, SystemExit), res.output
        return res

    lines, expected = _mixed_lines()
    text = ("\n".join(lines[:5] + ["", "  "] + lines[5:]) + "\n").encode()
    (tmp_path / "mixed.jsonl").write_bytes(text)
    (tmp_path / "mixed.jsonl.gz").write_bytes(gzip.compress(text))
    run_batch(tmp_path / "mixed.jsonl.gz", tmp_path / "batch", workers=1)  # (batch reads it as the plain file)
    res = run(tmp_path / "mixed.jsonl.gz", "spark")
    assert res.exit_code == 0, res.output
    n = len([ln for ln in lines if ln.strip()])
    assert f"records {n} = {n - len(expected)} results + {len(expected)} errors (lost 0)" in res.output, res.output
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")

    for plain in ("few.csv", "one.json"):
        (tmp_path / plain).write_text("encounter_id\nx\n")
        (tmp_path / f"{plain}.gz").write_bytes(gzip.compress(b"encounter_id\nx\n"))
        said = [run(tmp_path / name, f"out-{name}") for name in (plain, f"{plain}.gz")]
        assert [r.exit_code for r in said] == [2, 2]
        assert said[0].output == said[1].output and "use igclaim batch" in said[0].output, said[0].output

    whole = gzip.compress(text)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[:len(whole) // 2])
    (tmp_path / "plain.jsonl.gz").write_bytes(text)
    (tmp_path / "packed.jsonl").write_bytes(whole)
    for name, said in (("cut.jsonl.gz", "corrupt or cut short"), ("plain.jsonl.gz", "not gzip-compressed"),
                       ("packed.jsonl", "gzip-compressed")):
        res = run(tmp_path / name, f"out-{name}")
        assert res.exit_code == 2, res.output
        assert name in res.output and said in res.output and "Traceback" not in res.output, res.output
        assert not (tmp_path / f"out-{name}").exists()
    # a URI (a cluster's file system): Spark's own read error, told the same way
    res = run(f"file://{tmp_path / 'cut.jsonl.gz'}", "out-uri")
    assert res.exit_code == 2, res.output
    assert "cut.jsonl.gz" in res.output and "corrupt or cut short" in res.output, res.output
    assert _nothing_cached(spark)


def test_the_reports_headline_counts_a_denied_administration_once_as_in_batch(spark, home, tmp_path):
    """DX-NOT-COVERED on the J1561 line carries the 96365 and 96366 lines denied with it ($3,294.56 with the
    synthetic fee schedule of tests/test_dx_not_covered_admin.py, shipped to the executors as the imported tables
    are); ADMIN-ADDON-UNITS on the 96366 line ($40.00) is part of it: the findings struct carries the lines
    (`covers`) to the report, whose headline is batch's, $3,294.56 (was $3,334.56)."""
    from typer.testing import CliRunner

    from igclaim import spark as igspark
    from igclaim.cli import app
    from igclaim.refdata import store
    from igclaim.refdata.importers import Options
    from tests.test_dx_not_covered_admin import CGS, FEES, _written
    from tests.test_edits_support import chart

    schedule = tmp_path / "fees-synthetic.csv"
    schedule.write_text(FEES)
    store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
    enc = chart(encounter_id="e-dx", diagnoses=["G43.909"], payer=CGS)
    enc["claim"] = _written(enc, ("J1561", 60), ("96365", 1), ("96366", 5))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(enc) + "\n")
    run_batch(src, tmp_path / "batch", workers=1)
    res = CliRunner().invoke(app, ["spark-batch", str(src), "--out", str(tmp_path / "spark"), "--master", "local[2]"])
    assert res.exit_code == 0, res.output
    _same_as_batch(tmp_path / "batch", tmp_path / "spark")
    html = (tmp_path / "spark" / "report.html").read_text()
    assert "id='usd-at-risk'>$3,294.56<" in html and "id='usd-coverage'>$3,294.56<" in html

    out = igspark.scrub(spark.read.text(str(src)).withColumnRenamed("value", "json"))
    out.outcomes.persist()
    try:
        [row] = out.outcomes.collect()
        assert sorted((f["edit"], f["line"], f["covers"]) for f in row["findings"] if f["covers"]) == [
            ("DX-NOT-COVERED", 1, [2, 3])]
        assert "covers" not in out.findings.columns
        # outcomes without the field (an older igclaim's, read back): the report counts by line, as before
        from pyspark.sql import functions as F

        older = igspark.Outcomes(out.outcomes.withColumn("findings", F.transform(
            "findings", lambda f: f.dropFields("covers"))), -1)
        now, then = igspark.report(out), igspark.report(older)
        assert round(then.impact_usd - now.impact_usd, 2) == now.edits["ADMIN-ADDON-UNITS"].impact_usd
        assert then.edits.keys() == now.edits.keys()
    finally:
        out.unpersist()


def test_a_second_spark_batch_in_the_same_session_ships_the_tables_imported_since(spark, home, tmp_path):
    """Two run_spark_batch calls in one SparkSession with an import between them: the second codes with the newly
    imported fee schedule (96365 at $250.00, not $150.00), as batch does, not with the copy Spark shipped for the
    first run (addFile of the same path again is ignored by Spark)."""
    from igclaim.refdata import store
    from igclaim.refdata.importers import Options
    from igclaim.spark.run import run_spark_batch
    from tests.test_dx_not_covered_admin import CGS, FEES, _written
    from tests.test_edits_support import chart

    enc = chart(encounter_id="e-dx", diagnoses=["G43.909"], payer=CGS)
    enc["claim"] = _written(enc, ("J1561", 60), ("96365", 1), ("96366", 5))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(enc) + "\n")
    headlines = []
    for n, fees in enumerate((FEES, FEES.replace("96365,150.00", "96365,250.00"))):
        schedule = tmp_path / f"fees-{n}.csv"
        schedule.write_text(fees)
        store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
        run_batch(src, tmp_path / f"batch{n}", workers=1)
        run_spark_batch(src, tmp_path / f"spark{n}", spark=spark)
        _same_as_batch(tmp_path / f"batch{n}", tmp_path / f"spark{n}")
        html = (tmp_path / f"spark{n}" / "report.html").read_text()
        headlines.append(re.search(r"id='usd-at-risk'>([^<]*)<", html)[1])
    assert headlines == ["$3,294.56", "$3,394.56"]


def _worker_home(root: Path, fees: str) -> Path:
    """An igclaim home holding the imported fee schedule `fees` (a CSV text)."""
    from igclaim.refdata import store
    from igclaim.refdata.importers import Options

    schedule = root.parent / f"{root.name}-fees.csv"
    schedule.write_text(fees)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IGCLAIM_HOME", str(root))
        store.invalidate()
        store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
    store.invalidate()
    return root


def _worker_codes(refdata_file: str | None) -> float:
    """One job's task in a reused Python worker (frames._process_json, as mapInArrow calls it): the money
    DX-NOT-COVERED puts at stake on a claim of J1561 × 60, 96365 × 1, 96366 × 5, which counts the imported fees of
    the administration lines (tests/test_dx_not_covered_admin.py)."""
    from igclaim.spark import frames
    from tests.test_dx_not_covered_admin import CGS, _written
    from tests.test_edits_support import chart

    enc = chart(encounter_id="e-dx", diagnoses=["G43.909"], payer=CGS)
    enc["claim"] = _written(enc, ("J1561", 60), ("96365", 1), ("96366", 5))
    batch = pa.RecordBatch.from_pylist([{"record": 1, "line": 1, "json": json.dumps(enc)}])
    [out] = frames._process_json(iter([batch]), None, None, refdata_file)
    [row] = out.to_pylist()
    assert row["result"], row
    return -sum(f["impact_usd"] for f in row["findings"] if f["edit"] == "DX-NOT-COVERED")


def test_a_reused_worker_codes_a_job_that_ships_no_tables_with_its_own_home(home, tmp_path, monkeypatch):
    """A worker that ran a job shipping imported tables (a refdata.sqlite of another home) and then a job that ships
    none codes the second with the tables of its own IGCLAIM_HOME again, not with the first job's; and a worker whose
    IGCLAIM_HOME was unset has it unset again (the default home, here with no fee schedule)."""
    from pyspark import SparkFiles

    from igclaim.refdata import store
    from igclaim.spark import frames
    from tests.test_dx_not_covered_admin import FEES

    _worker_home(home, FEES)  # 96365 at $150.00
    shipped = _worker_home(tmp_path / "shipped", FEES.replace("96365,150.00", "96365,250.00"))
    monkeypatch.setattr(SparkFiles, "_is_running_on_worker", True)
    monkeypatch.setattr(SparkFiles, "_root_directory", str(shipped))
    monkeypatch.setattr(frames, "_LOADED", None)  # a new worker
    assert _worker_codes(None) == pytest.approx(3294.56)
    assert _worker_codes(store.DB_NAME) == pytest.approx(3394.56)
    assert _worker_codes(None) == pytest.approx(3294.56)
    assert os.environ["IGCLAIM_HOME"] == str(home)

    monkeypatch.delenv("IGCLAIM_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))  # the default home: ~/.local/share/igclaim, empty
    monkeypatch.setattr(frames, "_LOADED", None)
    store.invalidate()
    no_fees = _worker_codes(None)
    assert 0 < no_fees < 3294.56
    assert _worker_codes(store.DB_NAME) == pytest.approx(3394.56)
    assert _worker_codes(None) == pytest.approx(no_fees)
    assert "IGCLAIM_HOME" not in os.environ


@pytest.mark.parametrize("name", [DB_NAME, "igclaim-home"], ids=["file", "directory"])
def test_a_reused_worker_codes_with_the_file_shipped_under_the_same_name_again(name, home, tmp_path, monkeypatch):
    """A refdata.sqlite shipped alone (as spark-batch ships it: no stamp of its import beside it), or in a directory,
    and then replaced under the same name in the worker's SparkFiles root (spark.files.overwrite=true and addFile of
    another path with the same name: Spark rewrites the worker's copy in place) is coded with from the next task on,
    not with answers remembered from the copy it replaced: a new modification time or a new size tells, and so does
    a file gone (the bundled tables only)."""
    from pyspark import SparkFiles

    from igclaim.spark import frames
    from tests.test_dx_not_covered_admin import FEES

    quarter1 = _worker_home(tmp_path / "q1", FEES)  # 96365 at $150.00
    quarter2 = _worker_home(tmp_path / "q2", FEES.replace("96365,150.00", "96365,250.00"))
    more = "".join(f"A{n:04d},1.00\n" for n in range(1, 3000))  # a larger file
    quarter3 = _worker_home(tmp_path / "q3", FEES.replace("96365,150.00", "96365,350.00") + more)
    root = tmp_path / "userFiles"
    where = root if name == DB_NAME else root / name
    where.mkdir(parents=True)
    shipped = where / DB_NAME
    shutil.copyfile(quarter1 / DB_NAME, shipped)
    monkeypatch.setattr(SparkFiles, "_is_running_on_worker", True)
    monkeypatch.setattr(SparkFiles, "_root_directory", str(root))
    monkeypatch.setattr(frames, "_LOADED", None)  # a new worker
    assert _worker_codes(name) == pytest.approx(3294.56)
    inode, folder = shipped.stat().st_ino, where.stat().st_mtime_ns
    shutil.copyfile(quarter2 / DB_NAME, shipped)
    assert shipped.stat().st_ino == inode and where.stat().st_mtime_ns == folder
    assert not (where / STAMP_NAME).exists()
    assert _worker_codes(name) == pytest.approx(3394.56)
    assert _worker_codes(name) == pytest.approx(3394.56)
    # the larger file written within the same clock tick (its modification time as the one it replaces)
    before = shipped.stat()
    shutil.copyfile(quarter3 / DB_NAME, shipped)
    os.utime(shipped, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert shipped.stat().st_mtime_ns == before.st_mtime_ns and shipped.stat().st_size > before.st_size
    assert _worker_codes(name) == pytest.approx(3494.56)
    shipped.unlink()
    assert 0 < _worker_codes(name) < 3294.56
