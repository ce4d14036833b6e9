"""The CARC and RARC catalogs (refdata/remit/*.toml): each code's dates, published text and our plain meaning;
and the provider-level adjustment (PLB) reason codes an 835's payment carries (plb.toml).

A code that is not in the catalog is `known = False` and its meaning says so: igclaim never guesses what a
payer meant. A code used outside its validity dates (retired before, or not yet in force on, the date the
payer decided) is still explained, with a note.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

Kind = Literal["denial", "reduction", "patient", "coordination", "info", "unknown"]
Role = Literal["recovery", "forwarding"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True)
class CodeInfo:
    code: str
    list: Literal["CARC", "RARC", "PLB"]
    known: bool
    meaning: str
    official: str | None = None
    kind: Kind = "unknown"
    start: date | None = None
    stop: date | None = None
    last_modified: date | None = None
    source: str | None = None
    # A PLB code's expected sign (plb.toml `sign`): "take" a positive amount, "add" a negative one; None either way.
    sign: Literal["take", "add"] | None = None
    # What igclaim follows of a PLB code's reference (plb.toml `role`): "recovery" names a claim, "forwarding" the
    # FB of another remittance that offsets it; None nothing.
    role: Role | None = None

    def validity_note(self, on: date | None) -> str | None:
        """Why the code should not appear on a remittance of this date, if it should not."""
        if on is None or not self.known:
            return None
        if self.stop is not None and on >= self.stop:
            return f"{self.list} {self.code} was retired on {self.stop.isoformat()}; the payer should not use it"
        if self.start is not None and on < self.start:
            return f"{self.list} {self.code} only took effect on {self.start.isoformat()}"
        return None


@dataclass(frozen=True)
class Catalog:
    carc: dict[str, CodeInfo]
    rarc: dict[str, CodeInfo]
    groups: dict[str, str]
    claim_status: dict[str, str]
    sources: dict[str, str]
    plb: dict[str, CodeInfo] = field(default_factory=dict)

    def reason(self, code: str) -> CodeInfo:
        return self.carc.get(code.upper()) or CodeInfo(
            code, "CARC", False, f"unknown reason code {code}: not in igclaim's catalog; read it at "
            f"{self.sources['CARC']} (igclaim does not guess)")

    def remark(self, code: str) -> CodeInfo:
        return self.rarc.get(code.upper()) or CodeInfo(
            code, "RARC", False, f"unknown remark code {code}: not in igclaim's catalog; read it at "
            f"{self.sources['RARC']} (igclaim does not guess)")

    def provider_adjustment(self, code: str) -> CodeInfo:
        """A PLB reason code (PLB03-1): its name in the 835 guide's list and igclaim's meaning."""
        return self.plb.get(code.upper()) or CodeInfo(
            code, "PLB", False, f"unknown provider adjustment code {code}: not in igclaim's list; read it in the "
            f"835 guide's PLB03-1 list ({self.sources.get('PLB', 'X12')}; igclaim does not guess)")

    def group(self, code: str) -> str:
        return self.groups.get(code, f"unknown group {code}")

    def status(self, code: str) -> str:
        return self.claim_status.get(code, f"unknown claim status {code}")


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads((resources.files("igclaim.refdata") / "remit" / name).read_text("utf-8"))


def _sign(value: Any, code: str) -> Literal["take", "add"] | None:
    if value not in (None, "take", "add"):
        raise ValueError(f"plb.toml code {code}: sign {value!r} is not take or add")
    return value


def _role(value: Any, code: str) -> Role | None:
    if value is not None and value not in ROLES:
        raise ValueError(f"plb.toml code {code}: role {value!r} is not one of {', '.join(ROLES)}")
    return value


def _entries(doc: dict[str, Any], which: Literal["CARC", "RARC", "PLB"]) -> dict[str, CodeInfo]:
    url = doc["source"]["url"]
    out = {}
    for code, e in doc["codes"].items():
        out[str(code).upper()] = CodeInfo(
            code=str(code).upper(), list=which, known=True, meaning=e["meaning"], official=e.get("official"),
            kind=e.get("kind", "info"), start=e.get("start"), stop=e.get("stop"),
            last_modified=e.get("last_modified"), source=url, sign=_sign(e.get("sign"), code),
            role=_role(e.get("role"), code))
    return out


@cache
def catalog() -> Catalog:
    carc, rarc, codes, plb = _load("carc.toml"), _load("rarc.toml"), _load("codes.toml"), _load("plb.toml")
    return Catalog(
        carc=_entries(carc, "CARC"), rarc=_entries(rarc, "RARC"), groups=dict(codes["groups"]),
        claim_status={str(k): v for k, v in codes["claim_status"].items()},
        sources={"CARC": carc["source"]["url"], "RARC": rarc["source"]["url"], "835": codes["source"]["url"],
                 "PLB": plb["source"]["url"]},
        plb=_entries(plb, "PLB"),
    )
