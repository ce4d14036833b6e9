"""A Medicare contractor's immune globulin coverage list, in the shape of the bundled
refdata/coverage/mac-articles/codes.csv: `article_id,group,icd10_code`, one covered code per row.

Each article in the file becomes its own import (scope = the article id), so a newer list replaces that article
only, for the dates it is in force: from --effective (or a month and year in the file name) through --ends (or
open-ended). Source of the lists: the article's "ICD-10-CM Codes that Support Medical Necessity" table on the CMS
Medicare Coverage Database, https://www.cms.gov/medicare-coverage-database/
"""

from __future__ import annotations

import re
from typing import Any

from igclaim.refdata.importers import (
    OPEN_END,
    ImportFailure,
    Options,
    Parsed,
    Source,
    ascii_upper,
    blank,
    cell,
    header_index,
    month_year_in_name,
    records,
)
from igclaim.refdata.mac import ARTICLE_ID

MEMBER = re.compile(r"\.csv$", re.I)
CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
MAX_ROWS = 200_000


def parse(source: Source, options: Options) -> Parsed:
    """The first article of the file (the store calls `parse_many` for all of them)."""
    return parse_many(source, options)[0]


def parse_many(source: Source, options: Options) -> list[Parsed]:
    effective = options.effective or month_year_in_name(source.names)
    if effective is None:
        raise ImportFailure(source.name, None, None, "cannot tell the date this coverage list is in force from its "
                            "name: give --effective YYYY-MM-DD (and --ends when it has ended)", ("effective", "ends"))
    ends = options.ends or OPEN_END
    if ends < effective:
        raise ImportFailure(source.name, None, None, f"ends {ends} is before effective {effective}")
    cols: dict[str, int] | None = None
    by_article: dict[str, list[tuple[Any, ...]]] = {}
    seen: set[tuple[str, int, str]] = set()
    for line, cells in records(source):
        if blank(cells):
            continue
        if cols is None:
            cols = header_index(source, line, cells, {"article": "article_id", "group": "group", "code": "icd10_code"})
            continue
        article, group, code = (ascii_upper(cell(cells, cols[k])) for k in ("article", "group", "code"))
        if not ARTICLE_ID.match(article):
            raise ImportFailure(source.name, line, cols["article"] + 1, f"{article!r} is not an article id (A12345)")
        # ASCII digits ('²'.isdigit() is True) and few of them (int() raises past 4,300) before int()
        if not (group.isascii() and group.isdigit() and len(group) <= 9 and 0 < int(group) < 1000):
            raise ImportFailure(source.name, line, cols["group"] + 1, f"group {group!r} is not a number 1-999")
        if not CODE.match(code):
            raise ImportFailure(source.name, line, cols["code"] + 1, f"{code!r} is not an ICD-10-CM code")
        code = code.replace(".", "")
        if (article, int(group), code) in seen:
            continue
        seen.add((article, int(group), code))
        by_article.setdefault(article, []).append((article, int(group), code))
        if len(seen) > MAX_ROWS:
            raise ImportFailure(source.name, line, None, f"more than {MAX_ROWS} rows: not a coverage list")
    if cols is None:
        raise ImportFailure(source.name, None, None, "empty file: expected the header article_id,group,icd10_code")
    if not by_article:
        raise ImportFailure(source.name, None, None, "no coverage rows under the header")
    return [Parsed("coverage", source.name, effective, ends, rows, scope=article)
            for article, rows in sorted(by_article.items())]
