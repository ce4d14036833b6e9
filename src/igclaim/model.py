"""The public schema (design.md §2–3): the encounter that comes in and the result that goes out.

Extend these models; never rename a field. Amounts are Decimal so that 0.1 + 0.2 grams is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    computed_field,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1

Setting = Literal["office", "hospital_outpatient", "home"]
PayerType = Literal["medicare", "medicare_advantage", "medicaid", "commercial"]
Route = Literal["IV", "SC"]
Severity = Literal["error", "warning", "info"]


# Input domains (docs/limits.md): every number has a range a real chart can reach and a claim can carry, every
# list a length, every string a length. A value outside them is an input error naming the field.
MAX_DOSE_GRAMS = Decimal(500)  # 2 g/kg for a 250 kg patient: above any labeled immune globulin dose
MAX_DOSE_ML = Decimal(5000)
MAX_CONTAINER_GRAMS = Decimal(100)  # the largest immune globulin package is 40 g
MAX_CONTAINER_ML = Decimal(1000)
MAX_CONTAINER_COUNT = 100
MAX_DRUG_UNITS = 9999
MAX_AUTH_UNITS = 999_999
MAX_SITES = 20
MAX_CLAIM_UNITS = 99_999  # X12 SV104/SV205 and CMS-1500 24G: a quantity a claim can carry
MAX_AMOUNT = Decimal("9999999.99")
MAX_TEXT = 200  # any one string (ids, names, codes); X12 element lengths are checked again on export
MAX_DRUGS, MAX_ADMINISTRATIONS, MAX_FLUIDS, MAX_PUMP_LOG = 20, 200, 200, 500
MAX_DIAGNOSES, MAX_CONTAINERS, MAX_CLAIM_LINES, MAX_MODIFIERS, MAX_POINTERS = 50, 50, 200, 10, 12
# A CMS place of service code: two ASCII digits (\d takes "１"). The 837P writes it inside a composite (CLM05-1,
# SV105), so anything else is refused at input: "1:1" added a component to CLM05, "13A" made an 837 payers reject.
PLACE_OF_SERVICE = r"^[0-9]{2}$"
# A HCPCS code (Level II, J1200; or Level I, CPT): five ASCII letters and digits, in either case (read upper case).
# The 837 writes a drug's code inside a composite (SV101-2): "J1200:59" billed a modifier 59 no rule chose.
HCPCS_CODE = r"^[A-Za-z0-9]{5}$"


def _number(v: Decimal) -> int | float:
    return int(v) if v == v.to_integral_value() else float(v)


# A number written as text (a JSON string "30", a CSV cell): the digits 0-9, with an optional sign, decimal point and
# exponent (as JSON writes a number), between ASCII spaces. Python's int() and Decimal(), which pydantic reads text
# with, also take "1_000" as 1000 and other scripts' digits ("١٢", "１２") as 12: a typo or a spoofed value became a
# number without a word.
NUMBER_TEXT = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\r\n]*")
# An X12 decimal (data type R: an 837's and an 835's amounts and quantities): an optional minus, the digits 0-9 and at
# most one decimal point; never an exponent, NaN or Infinity (Decimal reads 1e999999 as a finite number).
X12_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


def _number_text(kind: Literal["int", "decimal"]) -> Callable[[Any], Any]:
    """Every numeric field's first check: text that is not NUMBER_TEXT is refused, naming the field. Text of other
    characters than ASCII ("1_000", "١٢") is told to be written in the digits 0-9; other ASCII text ("many", and
    "0-5", which pydantic reads as the integer -5) gets the field type's own message (give a whole number …)."""

    def check(v: Any) -> Any:
        # Plain digits with at most one point ("30", "2.5") are NUMBER_TEXT: passed without the regular expression.
        if type(v) is str and not (v.isascii() and v.replace(".", "", 1).isdigit()) and not NUMBER_TEXT.fullmatch(v):
            if v.isascii() and v.isprintable() and "_" not in v:
                raise PydanticCustomError(f"{kind}_parsing", "Input should be a valid {kind}", {"kind": kind})
            raise PydanticCustomError("number_digits", "Input should be a number written in the digits 0-9")
        return v

    return check


# Whole numbers of the input: counts, sites, units, line numbers. An optional one is OptionalCount, not Count | None:
# a field's bounds (ge, le) then stay the schema's minimum and maximum.
Count = Annotated[int, BeforeValidator(_number_text("int"))]
OptionalCount = Annotated[int | None, BeforeValidator(_number_text("int"))]

# Output amounts: exact inside, plain JSON numbers outside (also a written claim's amounts, which are input).
Amount = Annotated[Decimal, BeforeValidator(_number_text("decimal")),
                   PlainSerializer(_number, return_type=int | float, when_used="json")]


def _plain(v: Decimal | None) -> Decimal | None:
    """No 1e-999999: an amount's first digit within 10^-9 … 10^12 (bounds above are the fields' own `le`)."""
    if v is not None and v != 0 and not -9 <= v.adjusted() <= 12:
        raise ValueError("must be a plain number (no exponent beyond 10^-9)")
    return v


# Input amounts: exact, finite (pydantic refuses NaN and Infinity) and of a plain size.
Quantity = Annotated[Decimal, BeforeValidator(_number_text("decimal")), AfterValidator(_plain)]


_TIMED = ("administrations", "fluids", "pump_log")


def _one_clock(data: Any) -> Any:
    """Times with a UTC offset are honoured, never dropped: all are converted to the clock of the first one (so an
    infusion across a DST change, or charted by two systems, keeps its true length). Times without an offset are
    read as wall-clock times on that same clock."""
    if not isinstance(data, dict):
        return data
    aware: list[tuple[str, int, str, datetime]] = []
    for group in _TIMED:
        items = data.get(group)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, dict):
                continue
            for key in ("start", "stop"):
                raw = item.get(key)
                if isinstance(raw, str):
                    try:
                        t = datetime.fromisoformat(raw.strip())
                    except ValueError:  # the field's own validation names a bad time
                        continue
                    if t.tzinfo is not None:
                        aware.append((group, i, key, t))
    if not aware:
        return data
    clock = aware[0][3].tzinfo
    out = {**data}
    for group in _TIMED:
        if isinstance(out.get(group), list):
            out[group] = [dict(item) if isinstance(item, dict) else item for item in out[group]]
    for g, i, k, t in aware:
        out[g][i][k] = t.astimezone(clock).replace(tzinfo=None).isoformat()
    return out


# The dates igclaim counts from: a claim's deadlines and windows (12 months, 30 days after a date) stay inside
# Python's calendar, which ends in 9999 (docs/limits.md).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def in_calendar(day: date) -> str | None:
    """Why a date is refused (None: it is not)."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"outside the dates igclaim accepts ({FIRST_DAY} to {LAST_DAY})"  # the field is named; no value quoted


# The same bounds as times: a naive time is in the calendar when its day is (`_chart_time` compares it directly).
_MIDNIGHT = datetime.min.time()
_FIRST_TIME = datetime.combine(FIRST_DAY, _MIDNIGHT)
_AFTER_LAST_DAY = datetime.combine(LAST_DAY + timedelta(days=1), _MIDNIGHT)


# A number, or text of digits alone, that pydantic would read as a Unix time: 1772409600 is 2026-03-02, and an
# Excel serial date (45718) or a compact 20260302 would become a day of 1970 or an error about midnight.
_NUMERIC = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*")
_NUMBERS = (int, float, Decimal)  # a tuple, not int | float: a union would be built again at every call


def _written_as_text(v: Any, kind: str, shape: str) -> None:
    """Chart dates and times are ISO 8601 text (or date objects from Python): a number is refused, naming the field.
    An ISO date has a '-' past its first character, so the pattern is tried only on text that has none."""
    if type(v) is str:
        if "-" in v[1:] or not _NUMERIC.fullmatch(v):
            return
    elif not isinstance(v, _NUMBERS):
        return
    raise PydanticCustomError(f"{kind}_type", "Input should be {shape}", {"shape": shape})


def _chart_day(v: Any, handler: ValidatorFunctionWrapHandler) -> date:
    if type(v) is not str or "-" not in v[1:]:  # ISO text (nearly every value) is passed without a call
        _written_as_text(v, "date", "a date written YYYY-MM-DD")
    day: date = handler(v)
    if not FIRST_DAY <= day <= LAST_DAY:  # in_calendar's test, inline (every chart date is validated)
        raise ValueError(in_calendar(day))
    return day


def _chart_time(v: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """Chart times are local wall-clock times. Offsets were brought to one clock by `_one_clock` (Encounter), so
    what is left to strip is that common offset."""
    if type(v) is not str or "-" not in v[1:]:  # ISO text (nearly every value) is passed without a call
        _written_as_text(v, "datetime", "a time written YYYY-MM-DDTHH:MM")
    t: datetime = handler(v)
    if t.tzinfo is not None:
        t = t.replace(tzinfo=None)
    if not _FIRST_TIME <= t < _AFTER_LAST_DAY:  # in_calendar's test on the time's day, inline
        raise ValueError(in_calendar(t.date()))
    return t


def _birth_day(v: Any, handler: ValidatorFunctionWrapHandler) -> date:
    """A birth date is checked on export (the 837's and the forms' own rules), not bounded here."""
    _written_as_text(v, "date", "a date written YYYY-MM-DD")
    day: date = handler(v)
    return day


ChartDate = Annotated[date, WrapValidator(_chart_day)]
ChartTime = Annotated[datetime, WrapValidator(_chart_time)]
BirthDate = Annotated[date, WrapValidator(_birth_day)]


# The NDC quantity's unit of measure (837 CTP05-1; CMS-1500 item 24 shaded): international unit, gram,
# milligram, milliliter, unit (package).
NdcUnit = Literal["F2", "GR", "ME", "ML", "UN"]


class _In(BaseModel):
    """Input models reject unknown fields, so a typo is an error that names the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=MAX_TEXT)


class PriorAuthorization(_In):
    number: str | None = None
    start: ChartDate | None = None
    end: ChartDate | None = None
    units: OptionalCount = Field(default=None, ge=0, le=MAX_AUTH_UNITS,
                                 description="HCPCS units authorized for the drug")
    grams: Quantity | None = Field(default=None, ge=0, le=MAX_AUTH_UNITS,
                                  description="grams authorized (plans that authorize by weight)")
    hcpcs: str | None = Field(default=None, pattern=HCPCS_CODE,
                              description="the code authorized, when the plan names one")


class Payer(_In):
    type: PayerType
    name: str | None = None
    profile: str | None = Field(default=None, description="payer profile name or path; default follows type")
    payer_id: str | None = None
    prior_authorization: PriorAuthorization | None = None
    abn_signed: bool | None = None
    contractor: str | None = Field(
        default=None, min_length=2, max_length=12, pattern=r"^[A-Za-z0-9]+$",
        description="Original Medicare A/B MAC for office and hospital claims: a jurisdiction (e.g. JN) or a coverage "
        "article id (e.g. A57778); default: from billing_provider.address.state")


class Dose(_In):
    grams: Quantity | None = Field(default=None, gt=0, le=MAX_DOSE_GRAMS)
    mg: Quantity | None = Field(default=None, gt=0, le=MAX_DOSE_GRAMS * 1000)
    ml: Quantity | None = Field(default=None, gt=0, le=MAX_DOSE_ML)
    concentration_percent: Quantity | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _exactly_one_amount(self) -> Dose:
        given = [k for k in ("grams", "mg", "ml") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give one of grams, mg, ml")
        if self.concentration_percent is not None and self.ml is None:
            raise ValueError("concentration_percent goes with ml")
        return self


class Container(_In):
    grams: Quantity | None = Field(default=None, gt=0, le=MAX_CONTAINER_GRAMS)
    ml: Quantity | None = Field(default=None, gt=0, le=MAX_CONTAINER_ML)
    count: Count = Field(default=1, ge=1, le=MAX_CONTAINER_COUNT)
    ndc: str | None = None
    units: Quantity | None = Field(default=None, gt=0, le=100000,
                                   description="billing units one container holds (drugs other than immune globulin, "
                                  "when the CMS NDC-HCPCS crosswalk does not list its NDC)")

    @model_validator(mode="after")
    def _amount_or_ndc(self) -> Container:
        if self.grams is not None and self.ml is not None:
            raise ValueError("give grams or ml, not both")
        if self.grams is None and self.ml is None and self.ndc is None and self.units is None:
            raise ValueError("give one of grams, ml, ndc, units")
        return self


class Drug(_In):
    id: str
    product: str | None = None
    hcpcs: str | None = Field(default=None, pattern=HCPCS_CODE, description="the drug's HCPCS code (5 characters)")
    ndc: str | None = None
    route: Route | None = None
    dose: Dose | None = None
    units: OptionalCount = Field(default=None, ge=1, le=MAX_DRUG_UNITS,
                              description="billed units of a drug that is not an immune globulin")
    ndc_quantity: Quantity | None = Field(default=None, gt=0, le=100000,
                                         description="NDC quantity of a drug that is not an immune globulin")
    ndc_unit: NdcUnit | None = None
    containers: list[Container] = Field(default_factory=list, max_length=MAX_CONTAINERS)
    container_type: Literal["single_dose", "multi_dose"] = "single_dose"
    shared_with_other_patient: bool = False
    discarded_grams: Quantity | None = Field(default=None, ge=0, le=MAX_DOSE_GRAMS)
    acquired_340b: bool = Field(default=False, description="bought through the 340B drug pricing program: Medicare "
                                "lines then carry the 340B modifier (TB, or JG) where the date and setting ask it")

    @model_validator(mode="after")
    def _identified(self) -> Drug:
        if not (self.product or self.hcpcs or self.ndc):
            raise ValueError("give one of product, hcpcs, ndc")
        if self.dose is None and self.units is None:
            raise ValueError("give dose (immune globulin) or units (other drugs)")
        return self


class Visit(_In):
    """The nurse's home visit (arrival to departure): Medicare bills Q2052 by its length from 2024-01-01."""

    start: ChartTime
    stop: ChartTime

    @model_validator(mode="after")
    def _stop_after_start(self) -> Visit:
        if self.stop < self.start:
            raise ValueError("stop is before start (a visit past midnight carries the next date on stop)")
        return self


class Administration(_In):
    drug_id: str
    start: ChartTime | None = None
    stop: ChartTime | None = None
    site: Count = Field(default=1, ge=1, le=MAX_SITES, description="vascular access (or SC) site number")
    method: Literal["infusion", "push", "injection"] = "infusion"
    pump_setups: OptionalCount = Field(default=None, ge=1, le=MAX_SITES)
    sc_sites: OptionalCount = Field(default=None, ge=1, le=MAX_SITES)
    visit: Visit | None = Field(default=None, description="home infusion: the nurse's visit start and stop; "
                                "otherwise the infusion time is the visit length")

    @model_validator(mode="after")
    def _stop_after_start(self) -> Administration:
        if self.start and self.stop and self.stop < self.start:
            raise ValueError("stop is before start (an infusion past midnight carries the next date on stop)")
        return self


class Fluid(_In):
    purpose: Literal["flush", "kvo", "diluent", "hydration"]
    start: ChartTime | None = None
    stop: ChartTime | None = None
    ordered: bool = False
    reason: str | None = None
    site: Count = Field(default=1, ge=1, le=MAX_SITES)

    @model_validator(mode="after")
    def _stop_after_start(self) -> Fluid:
        if self.start and self.stop and self.stop < self.start:
            raise ValueError("stop is before start (a run past midnight carries the next date on stop)")
        return self


class PumpLogEntry(_In):
    drug_id: str
    start: ChartTime
    stop: ChartTime


class Address(_In):
    line1: str
    line2: str | None = None
    city: str
    state: str = Field(min_length=2, max_length=2)
    zip: str = Field(pattern=r"^[0-9]{5}([0-9]{4})?$")  # ASCII: \d takes "６"


class BillingProvider(_In):
    npi: str
    tax_id: str
    name: str
    taxonomy: str | None = None
    address: Address
    phone: str | None = Field(default=None, pattern=r"^[0-9]{10}$", description="CMS-1500 box 33; the 837 contact")


class RenderingProvider(_In):
    npi: str
    last_name: str
    first_name: str | None = None


class OrderingProvider(RenderingProvider):
    """The prescriber who ordered the immune globulin: required on Medicare home (DME MAC) claims, where the
    supplier is not the prescriber (837P loop 2420E; CMS-1500 box 17 with qualifier DK)."""


class Patient(_In):
    # The patient's and the subscriber's values are PHI: an input error names the field and never quotes its value
    # (errors._teach), whatever the input's path (chart, CSV row, 837, FHIR Bundle, REST API).
    personal: ClassVar[bool] = True

    id: str
    last_name: str
    first_name: str
    birth_date: BirthDate
    sex: Literal["F", "M", "U"]
    address: Address | None = None


class Subscriber(_In):
    personal: ClassVar[bool] = True  # PHI, as Patient's

    member_id: str
    relationship: Literal["self", "spouse", "child", "other"] = "self"
    group_number: str | None = None
    # The insured person, when not the patient (837 loop 2010BA, CMS-1500 boxes 4 and 7).
    last_name: str | None = None
    first_name: str | None = None
    birth_date: BirthDate | None = None
    sex: Literal["F", "M", "U"] | None = None
    address: Address | None = None


def _absent(value: object) -> bool:
    return value is None


class ClaimLine(BaseModel):
    """One service line, as billed (the shape of both the expected and the written claim)."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)

    line: Count
    code: str
    modifiers: list[str] = Field(default_factory=list, max_length=MAX_MODIFIERS)
    units: Count
    ndc: str | None = None
    ndc_quantity: Amount | None = None
    ndc_unit: str | None = None
    revenue_code: str | None = None
    diagnosis_pointers: list[Count] = Field(default_factory=list, max_length=MAX_POINTERS)
    expected_payment: Amount | None = None
    service_date: ChartDate | None = None
    # The line's own place of service where it differs from the claim's (CMS-1500 24B, 837P SV105); igclaim's own
    # claims never set it, so it is left out of the output when not given.
    place_of_service: str | None = Field(default=None, pattern=PLACE_OF_SERVICE, exclude_if=_absent,
                                         description="the line's own place of service (837P SV105), when it differs "
                                         "from the claim's")
    # The quantity's basis where it is not units (837P SV103 MJ: minutes, for anesthesia time; 837I SV204 DA: days,
    # an accommodation's); igclaim's own claims never set it, so it is left out of the output when not given.
    # CLAIM-UNITS-MINUTES tells minutes on another code, CLAIM-UNITS-DAYS days on a HCPCS line.
    unit_basis: Literal["MJ", "DA"] | None = Field(default=None, exclude_if=_absent,
                                                   description="MJ when the line's quantity is minutes (837P SV103), "
                                                   "DA when it is days (837I SV204), not units")


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)

    form: Literal["CMS-1500", "UB-04"] | None = None
    place_of_service: str | None = None
    type_of_bill: str | None = None
    diagnoses: list[str] = Field(default_factory=list, max_length=MAX_DIAGNOSES)
    lines: list[ClaimLine] = Field(default_factory=list, max_length=MAX_CLAIM_LINES)
    total_expected_payment: Amount | None = None
    # The derived figures below, which a result's claim carries: read and dropped (batch/tabular.py reads this too).
    DERIVED: ClassVar[tuple[str, ...]] = ("priced_total", "unpriced_lines")

    @model_validator(mode="before")
    @classmethod
    def _derived_are_not_input(cls, data: Any) -> Any:
        """A claim read back from a result (results.jsonl, a pasted result) carries the two derived figures below:
        they are recomputed from the lines, never taken as given."""
        if isinstance(data, dict) and any(k in data for k in cls.DERIVED):
            return {k: v for k, v in data.items() if k not in cls.DERIVED}
        return data

    @computed_field(description="sum of the lines that have a published price (the total so far when some "
                    "lines are unpriced); derived from the lines, so it is never out of step with them")
    def priced_total(self) -> Amount | None:
        priced = [ln.expected_payment for ln in self.lines if ln.expected_payment is not None]
        return sum(priced, Decimal(0)) if priced else None

    @computed_field(description="lines with no published price, as 'line N: CODE' (import a fee schedule: "
                    "igclaim data import fees)")
    def unpriced_lines(self) -> list[str]:
        return [f"line {ln.line}: {ln.code}" for ln in self.lines if ln.expected_payment is None]


class WrittenCharges(NamedTuple):
    """What a written claim charges, where it carries charges (an 837: CLM02 and each line's SV102 or SV203, in line
    order); the claim of a chart or of the output schema carries none. Read by CLAIM-CHARGE-TOTAL."""

    total: Decimal
    lines: tuple[Decimal, ...]


class Correction(_In):
    """A corrected claim (837 CLM05-3 / type of bill digit 3): 7 replaces, 8 voids the claim the payer numbered."""

    frequency: Literal["7", "8"] = Field(description="7 = replacement of a prior claim, 8 = void of a prior claim")
    original_claim_id: str = Field(min_length=1, max_length=50,
                                   description="the payer's claim control number of the original (REF*F8)")


class Encounter(_In):
    encounter_id: str
    date_of_service: ChartDate
    setting: Setting
    place_of_service: str | None = Field(default=None, pattern=PLACE_OF_SERVICE,
                                         description="the claim's CMS place of service (2 digits), when not the "
                                         "setting's own")
    type_of_bill: str | None = None
    outpatient_department: Literal["on_campus", "off_campus_excepted", "off_campus_nonexcepted"] | None = Field(
        default=None, description="hospital outpatient only: where the department is, for Medicare's PO/PN line "
        "modifiers (off campus: excepted PO, non-excepted PN)")
    payer: Payer
    diagnoses: list[str] = Field(default_factory=list, max_length=MAX_DIAGNOSES)
    drugs: list[Drug] = Field(min_length=1, max_length=MAX_DRUGS)
    administrations: list[Administration] = Field(default_factory=list, max_length=MAX_ADMINISTRATIONS)
    fluids: list[Fluid] = Field(default_factory=list, max_length=MAX_FLUIDS)
    pump_log: list[PumpLogEntry] = Field(default_factory=list, max_length=MAX_PUMP_LOG)
    claim: Claim | None = None
    claim_id: str | None = None
    billing_provider: BillingProvider | None = None
    rendering_provider: RenderingProvider | None = None
    ordering_provider: OrderingProvider | None = None
    patient: Patient | None = None
    subscriber: Subscriber | None = None
    correction: Correction | None = Field(default=None, description="set to send a replacement (7) or void (8)")
    filing_date: ChartDate | None = Field(default=None, description="the day the payer receives the claim (an 837's "
                                     "BHT04): the payer's filing limit is checked against it")

    @model_validator(mode="before")
    @classmethod
    def _times_on_one_clock(cls, data: Any) -> Any:
        return _one_clock(data)

    @model_validator(mode="after")
    def _administrations_name_drugs(self) -> Encounter:
        if self.outpatient_department is not None and self.setting != "hospital_outpatient":
            raise ValueError(f"outpatient_department: a hospital outpatient department's place; this encounter's "
                             f"setting is {self.setting}")
        if self.filing_date is not None and self.filing_date < self.date_of_service:
            raise ValueError("filing_date: before the date of service; a claim is filed on or after the day of its "
                             "service")
        ids = [d.id for d in self.drugs]
        if len(set(ids)) != len(ids):
            raise ValueError("drugs: each drug id must be unique")
        for i, a in enumerate(self.administrations):
            if a.drug_id not in ids:
                raise ValueError(f"administrations[{i}].drug_id: administration {i + 1} names drug {a.drug_id!r}, "
                                 f"but no drug has that id (the drugs' ids: {', '.join(ids)})")
        for i, p in enumerate(self.pump_log):
            if p.drug_id not in ids:
                raise ValueError(f"pump_log[{i}].drug_id: pump log entry {i + 1} names drug {p.drug_id!r}, "
                                 f"but no drug has that id (the drugs' ids: {', '.join(ids)})")
        return self

    @model_validator(mode="after")
    def _written_claim_in_domain(self) -> Encounter:
        """A written claim's numbers within what a claim can carry (the output shape itself stays unbounded)."""
        numbered: dict[int, int] = {}
        for i, ln in enumerate(self.claim.lines if self.claim else []):
            if ln.line in numbered:  # findings point at lines by number: two lines 1 would make "Line 1" ambiguous
                raise ValueError(f"claim.lines[{i}].line: {ln.line} is already the number of "
                                 f"claim.lines[{numbered[ln.line]}]; give each line its own number")
            numbered[ln.line] = i
            if not 0 <= ln.units <= MAX_CLAIM_UNITS:
                raise ValueError(f"claim.lines[{i}].units: must be 0 to {MAX_CLAIM_UNITS}")
            if not 0 < ln.line <= MAX_CLAIM_LINES:
                raise ValueError(f"claim.lines[{i}].line: must be 1 to {MAX_CLAIM_LINES}")
            for name in ("ndc_quantity", "expected_payment"):
                v = getattr(ln, name)
                if v is not None and not (v.is_finite() and -MAX_AMOUNT <= v <= MAX_AMOUNT
                                          and (v == 0 or v.adjusted() >= -9)):
                    raise ValueError(f"claim.lines[{i}].{name}: must be a plain number up to {MAX_AMOUNT}")
            if any(not 0 < p <= MAX_POINTERS for p in ln.diagnosis_pointers):
                raise ValueError(f"claim.lines[{i}].diagnosis_pointers: each must be 1 to {MAX_POINTERS}")
        total = self.claim.total_expected_payment if self.claim else None
        if total is not None and not (total.is_finite() and -MAX_AMOUNT <= total <= MAX_AMOUNT):
            raise ValueError(f"claim.total_expected_payment: must be a plain number up to {MAX_AMOUNT}")
        return self


class Finding(BaseModel):
    """One problem. The impact is signed as the fix changes the claim: positive = billable units (dollars) the
    claim leaves unbilled; negative = units billed that the chart or the rules do not support, at risk of
    denial or recoupment. `impact_usd` is null until prices are loaded, never a guessed zero."""

    edit: str
    severity: Severity
    line: int | None = None
    message: str
    fix: str | None = None
    impact_units: int | None = None
    impact_usd: Amount | None = None
    source: str | None = None
    # What the finding is about (edits/registry.py `Cause`), so one mistake is reported once; not serialized.
    _causes: tuple[tuple[str, str], ...] = PrivateAttr(default=())

    # Read straight from pydantic's private store: `self._causes` goes through BaseModel.__getattr__, and every
    # finding of every claim is asked (catalog.one_per_mistake).
    @property
    def causes(self) -> tuple[tuple[str, str], ...]:
        private = self.__pydantic_private__
        return private["_causes"] if private is not None else ()

    @causes.setter
    def causes(self, value: tuple[tuple[str, str], ...]) -> None:
        private = self.__pydantic_private__
        if private is None:
            self._causes = value
        else:
            private["_causes"] = value


class ReferenceInfo(BaseModel):
    data_as_of: str
    profile: str
    sources: list[str] = Field(default_factory=list)


class Result(BaseModel):
    encounter_id: str
    claim: Claim
    findings: list[Finding] = Field(default_factory=list)
    reference: ReferenceInfo

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)
