"""REST API and the billers' web page (`igclaim serve`). Thin: parse, call the engine, return the result.

Invalid input answers 422 with one line per problem naming the field, exactly as the CLI prints them (FastAPI's
own validation errors are reshaped the same way). Requests pass igclaim.web.guard first: Host allow-list, body
size and time limits, security headers. Over HTTP a payer profile is a bundled profile's name, never a path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from igclaim import __version__, engine
from igclaim.errors import InputError, problem_lines, pydantic_problems
from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.model import Encounter, Result
from igclaim.web.guard import Guard, page_csp

app = FastAPI(
    title="igclaim",
    version=__version__,
    description="Code immune globulin (IVIG/SCIG) infusion visits into claims, and scrub written claims.",
    docs_url=None,  # /docs below serves Swagger UI from the installed package: it works offline, no CDN
    redoc_url=None,
)


def _page() -> str:
    return (resources.files("igclaim.web") / "index.html").read_text(encoding="utf-8")


app.add_middleware(Guard, page_csp=page_csp(_page()))


def _problems(status: int, problems: list[str]) -> JSONResponse:
    return JSONResponse(status_code=status, content={"problems": problems})


@app.exception_handler(RequestValidationError)
async def _validation_problems(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body that is not JSON or not an object, or a bad query value: the same one-line-per-field problems as
    the rest of the API, in words a biller can act on (never the validation library's)."""
    lines = []
    for line in pydantic_problems(exc):
        where, _, msg = line.partition(": ")
        where = where.removeprefix("body").lstrip(".") or "(body)"
        if msg.startswith("JSON decode error"):
            where, msg = "(body)", "the body is not valid JSON"
        lines.append(f"{where}: {msg}")
    return _problems(422, lines)


def bundled_profile(name: str | None, field: str) -> None:
    """Over HTTP only bundled profile names: a path would let a client make the server open its files, and the
    resolver's answers ("is a directory", "does not exist") would tell it which paths exist. Every route that
    codes a client's chart calls this before coding it (here, and the team service's worklist)."""
    from igclaim.refdata.resolver import reference

    known = reference().profiles
    if name is not None and name not in known:
        raise InputError(field, f"unknown payer profile {name[:60]!r}: use one of {', '.join(sorted(known))} (files "
                         "are not read over HTTP)")


def _run(body: dict[str, Any], profile: str | None, scrub: bool) -> Result | JSONResponse:
    try:
        enc = parse_encounter(body)
        bundled_profile(profile, "profile")
        bundled_profile(enc.payer.profile, "payer.profile")
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


_EXPORTS = {"837p": ("text/plain", "837"), "837i": ("text/plain", "837"), "fhir": ("application/fhir+json", "json"),
            "cms1500": ("application/pdf", "pdf"), "ub04": ("application/pdf", "pdf")}


@app.post("/api/export/{to}", responses={422: {"description": "invalid input, missing parties or error findings"}})
def export_file(to: str, body: dict[str, Any] = EncounterBody,
                charges: str = Query("sample", description="'sample' (synthetic SAMPLE chargemaster) or 'none'"),
                allow_errors: bool = Query(False, description="export even with error findings")):
    """The claim as a file: 837P/837I, FHIR R4B Claim, or the CMS-1500/UB-04 PDF. Like `igclaim export`, a claim
    with error findings is refused (listed) unless allow_errors; every missing party is named at once."""
    from igclaim.outputs import chargemaster
    from igclaim.outputs.export_cli import error_findings, export_claims
    from igclaim.outputs.x12 import build_claims

    if to not in _EXPORTS:
        return _problems(404, [f"to: use one of {', '.join(_EXPORTS)}, not {to!r}"])
    try:
        enc = parse_encounter(body)
        bundled_profile(enc.payer.profile, "payer.profile")
        claims = build_claims([enc])
        errors = error_findings(claims)
        if errors and not allow_errors:
            return _problems(422, [*errors, "refused: fix the error findings, or export with allow_errors"])
        cm = chargemaster.load("sample") if charges == "sample" else None
        data = export_claims(claims, to, cm)
    except InvalidInput as exc:
        return _problems(422, exc.problems)
    except InputError as exc:
        return _problems(422, problem_lines(exc))
    media, ext = _EXPORTS[to]
    # ASCII only: an HTTP header carries no other character (str.isalnum() also takes "名", which answered 500)
    name = "".join(ch for ch in enc.encounter_id if ch.isascii() and (ch.isalnum() or ch in "-_"))[:40] or "claim"
    return Response(content=data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}-{to}.{ext}"'})


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


def _swagger_assets() -> Path:
    """Swagger UI 5 vendored in the package (web/swagger-ui/SOURCE.txt), served locally by /docs."""
    return Path(str(resources.files("igclaim.web") / "swagger-ui"))


def mount_docs_assets(target: FastAPI) -> None:
    """Serve Swagger UI's files at /docs-assets (the /docs route below uses them); any app that copies our routes
    mounts them too, with docs_url=None so FastAPI's CDN page does not shadow ours."""
    target.mount("/docs-assets", StaticFiles(directory=_swagger_assets()), name="docs-assets")


mount_docs_assets(app)


@app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs() -> HTMLResponse:
    from fastapi.openapi.docs import get_swagger_ui_html

    return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="igclaim API",
                               swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                               swagger_css_url="/docs-assets/swagger-ui.css",
                               swagger_favicon_url="/docs-assets/favicon-32x32.png",
                               swagger_ui_parameters={"validatorUrl": None})  # no call to the online validator


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> str:
    return _page()


def _server_settings(asgi: Any = None, limit_concurrency: int = 64, workers: int = 1) -> dict[str, Any]:
    """uvicorn's options for igclaim: slow or idle clients are dropped (a request head within guard.HEAD_TIMEOUT by
    the protocol named here, keep-alive 5 s, request headers at most 16 kB, `limit_concurrency` connections at
    once); the guard drops a body that does not arrive in time. `asgi` given as "module:factory" is built in each
    of `workers` processes (the protocol is named by import path, so it reaches them too). uvicorn kills a worker
    that does not answer its health check in time and starts another; a new worker answers only once it has imported
    igclaim, which takes more than uvicorn's 5 s on a busy machine, so the check waits 30 s (else the workers are
    killed and started again in a loop while they start)."""
    return {"log_level": "info", "timeout_keep_alive": 5, "http": "igclaim.web.guard:HeadTimeoutH11Protocol",
            "h11_max_incomplete_event_size": 16 * 1024, "limit_concurrency": limit_concurrency,
            "workers": workers if isinstance(asgi, str) else None, "factory": isinstance(asgi, str),
            "timeout_worker_healthcheck": 30}


def server_config(host: str = "127.0.0.1", port: int = 8000, asgi: Any = None, limit_concurrency: int = 64,
                  **options: Any) -> Any:
    """The uvicorn.Config `serve` runs (options override, e.g. a shorter head deadline in a test)."""
    import uvicorn

    return uvicorn.Config(asgi or app, host=host, port=port, **{**_server_settings(asgi, limit_concurrency),
                                                                 **options})


def serve(host: str = "127.0.0.1", port: int = 8000, asgi: Any = None, limit_concurrency: int = 64,
          workers: int = 1) -> None:
    """Run the server (_server_settings says how slow and idle clients are dropped). `asgi`: another app (the team
    service), or the "module:factory" that builds it in each of `workers` processes."""
    import os

    import uvicorn

    if host not in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::"):  # a named interface: allow its name
        os.environ["IGCLAIM_ALLOWED_HOSTS"] = ",".join(filter(None, [os.environ.get("IGCLAIM_ALLOWED_HOSTS"), host]))
    uvicorn.run(asgi or app, host=host, port=port, **_server_settings(asgi, limit_concurrency, workers))
