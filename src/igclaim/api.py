"""REST API and the billers' web page (`igclaim serve`). Thin: parse, call the engine, return the result.

Invalid input answers 422 with one line per problem naming the field, exactly as the CLI prints them.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Body, FastAPI, Query
from fastapi.responses import HTMLResponse, JSONResponse

from igclaim import __version__, engine
from igclaim.errors import InputError, problem_lines
from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.model import Encounter, Result

app = FastAPI(
    title="igclaim",
    version=__version__,
    description="Code immune globulin (IVIG/SCIG) infusion visits into claims, and scrub written claims.",
)


def _problems(status: int, problems: list[str]) -> JSONResponse:
    return JSONResponse(status_code=status, content={"problems": problems})


def _run(body: dict[str, Any], profile: str | None, scrub: bool) -> Result | JSONResponse:
    try:
        enc = parse_encounter(body)
        return engine.scrub(enc, profile=profile) if scrub else engine.build(enc, profile=profile)
    except InvalidInput as exc:
        return _problems(422, exc.problems)
    except InputError as exc:
        return _problems(422, problem_lines(exc))


EncounterBody = Body(..., description="an encounter in the public schema (igclaim schema encounter)")
ProfileQuery = Query(None, description="bundled payer profile name (default follows payer.type)")


@app.post("/api/build", response_model=Result, responses={422: {"description": "invalid input, one line per field"}})
def build(body: dict[str, Any] = EncounterBody, profile: str | None = ProfileQuery):
    """The claim that should be billed for the chart, with the chart's findings."""
    return _run(body, profile, scrub=False)


@app.post("/api/scrub", response_model=Result, responses={422: {"description": "invalid input, one line per field"}})
def scrub(body: dict[str, Any] = EncounterBody, profile: str | None = ProfileQuery):
    """Compare the claim in `claim` with its chart: findings plus the expected claim."""
    return _run(body, profile, scrub=True)


@app.get("/api/products")
def products() -> list[dict[str, Any]]:
    """Known products with their codes, strengths and package sizes."""
    from igclaim.refdata.resolver import reference

    ref = reference()
    return [
        {
            "name": p.name,
            "aliases": list(p.aliases),
            "routes": list(p.routes),
            "form": p.form,
            "concentration_percent": float(p.concentration_percent) if p.concentration_percent else None,
            "codes": [{"code": c.code, "effective": c.period.effective} for c in p.codes],
            "packages_grams": sorted({float(k.grams) for k in p.packages}),
        }
        for p in ref.products
    ]


@app.get("/api/edits")
def edits() -> list[dict[str, Any]]:
    """The edit catalog."""
    from igclaim.edits.registry import SPECS

    engine._load_edit_families()
    return [
        {"id": s.id, "severity": s.severity, "statement": s.statement, "fix": s.fix, "source": s.source}
        for s in sorted(SPECS.values(), key=lambda s: s.id)
    ]


@app.get("/api/schema/{kind}")
def schema(kind: str):
    if kind == "encounter":
        return Encounter.model_json_schema(mode="validation")
    if kind == "result":
        return Result.model_json_schema(mode="serialization")
    return _problems(404, [f"kind: use encounter or result, not {kind!r}"])


@app.get("/api/health")
def health() -> dict[str, str]:
    from igclaim.refdata.resolver import reference

    return {"status": "ok", "version": __version__, "data_as_of": reference().data_as_of.isoformat()}


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> str:
    return (resources.files("igclaim.web") / "index.html").read_text(encoding="utf-8")


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")
