"""Competitive NPS: answers of a market study (customers and non-customers rating the client
against its competitors, SPEC §4), imported from a CSV or XLSX file.

All or nothing (DESIGN "Rules that hold everywhere"): every row is checked first, every bad
row is reported with its line and the problem named, and nothing is written unless the whole
file is good. A study is identified by its name; a respondent reference is imported once per
study (the database's `experience_response_study_row_once`). Importing the same file again
writes nothing: rows already stored with the same answer are counted as already imported, and
a row whose reference is stored with a different answer is refused (an answer is never
rewritten by a later file).

The file is read by the import readers every upload shares (portfolio/imports/readers.py):
CSV UTF-8 with commas or semicolons, or XLSX with values only; a workbook with several sheets
is read when one is named "answers". A study holds hundreds or thousands of answers, so its
rows are kept in memory and checked together.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.services import audit_event_record
from experience.models import (
    CES_MAX,
    CES_MIN,
    COMMENT_MAX,
    CSAT_MAX,
    CSAT_MIN,
    NPS_MAX,
    NPS_MIN,
    Kind,
    Response,
    Trigger,
)
from experience.themes import themes_for
from portfolio.imports.readers import TableShape, table_open
from portfolio.models import Client

MAX_ROWS = 50_000
REF_MAX = 64
STUDY_MAX = 120
# Problems listed on the page; the count says how many more there were.
PROBLEMS_SHOWN = 200
# An answer older than this is a typo in the year rather than a study.
OLDEST = dt.date(2000, 1, 1)

COLUMNS = ("respondent_ref", "nps", "comment", "answered_on", "ces", "csat")
REQUIRED = ("respondent_ref", "nps", "answered_on")
# Names a market-research file often uses, mapped to ours.
ALIASES = {"reference": "respondent_ref", "respondent": "respondent_ref", "ref": "respondent_ref",
           "score": "nps", "answered_at": "answered_on", "date": "answered_on",
           "reason": "comment"}
STUDY_SHAPE = TableShape.of("answers", COLUMNS, required=REQUIRED, aliases=ALIASES)


@dataclass(frozen=True)
class Problem:
    line: int  # 0 for the file as a whole
    message: str


class StudyRejected(DomainError):
    """The file was refused; `problems` names every bad row by its line."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(
            _("The file was not imported: %(count)d problem(s), nothing was written.")
            % {"count": len(problems)} if first.line else first.message,
            code="bad_study_file", field="file")
        self.problems = problems


@dataclass
class StudyImport:
    study: str
    created: int = 0
    already: int = 0
    rows: int = 0


@dataclass
class _Row:
    line: int
    ref: str
    nps: int
    comment: str
    answered_on: dt.date
    ces: int | None
    csat: int | None
    problems: list[str] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------

def _read_table(fileobj: IO[bytes]) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The header's column positions and (line number, cells) of every non-empty row."""
    try:
        stream = table_open(fileobj, shape=STUDY_SHAPE)
        return stream.positions, list(stream.rows)
    except DomainError as error:
        raise StudyRejected([Problem(0, error.message)]) from None


def _integer(text: str, low: int, high: int, name: str, problems: list[str]) -> int | None:
    try:
        value = int(text)
    except ValueError:
        problems.append(_("%(column)s \"%(value)s\" is not a whole number from %(low)d to "
                          "%(high)d.") % {"column": name, "value": text[:20], "low": low,
                                          "high": high})
        return None
    if not low <= value <= high:
        problems.append(_("%(column)s %(value)d is outside %(low)d-%(high)d.")
                        % {"column": name, "value": value, "low": low, "high": high})
        return None
    return value


def _row_parse(line: int, cells: list[str], positions: dict[str, int],
               today: dt.date) -> _Row:
    def cell(name: str) -> str:
        index = positions.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    problems: list[str] = []
    ref = cell("respondent_ref")
    if not ref:
        problems.append(_("respondent_ref is empty."))
    elif len(ref) > REF_MAX:
        problems.append(_("respondent_ref is longer than %(max)d characters.") % {"max": REF_MAX})
    nps_text = cell("nps")
    nps = None
    if not nps_text:
        problems.append(_("nps is empty."))
    else:
        nps = _integer(nps_text, NPS_MIN, NPS_MAX, "nps", problems)
    ces = csat = None
    if cell("ces"):
        ces = _integer(cell("ces"), CES_MIN, CES_MAX, "ces", problems)
    if cell("csat"):
        csat = _integer(cell("csat"), CSAT_MIN, CSAT_MAX, "csat", problems)
    comment = cell("comment")
    if len(comment) > COMMENT_MAX:
        problems.append(_("comment is longer than %(max)d characters.") % {"max": COMMENT_MAX})
    answered_text = cell("answered_on")
    answered_on = None
    if not answered_text:
        problems.append(_("answered_on is empty."))
    else:
        try:
            answered_on = dt.date.fromisoformat(answered_text[:10])
        except ValueError:
            problems.append(_("answered_on \"%(value)s\" is not a date like 2026-03-31.")
                            % {"value": answered_text[:20]})
        else:
            if answered_on > today:
                problems.append(_("answered_on %(value)s is in the future.")
                                % {"value": answered_on.isoformat()})
            elif answered_on < OLDEST:
                problems.append(_("answered_on %(value)s is before 2000.")
                                % {"value": answered_on.isoformat()})
    return _Row(line=line, ref=ref, nps=nps if nps is not None else -1, comment=comment,
                answered_on=answered_on or today, ces=ces, csat=csat, problems=problems)


# --- the import -----------------------------------------------------------------------------

def _answered_at(client: Client, day: dt.date) -> dt.datetime:
    """Midday of the answer's day in the client's reporting time zone (a study gives dates)."""
    try:
        zone = zoneinfo.ZoneInfo(client.reporting_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone)


def _same(client: Client, stored: Response, row: _Row) -> bool:
    return (stored.nps == row.nps and stored.comment == row.comment and stored.ces == row.ces
            and stored.csat == row.csat
            and stored.answered_at == _answered_at(client, row.answered_on))


def study_import(*, client: Client, study: str, fileobj: IO[bytes], by: Any,
                 today: dt.date | None = None) -> StudyImport:
    """Import a market study's answers for `client` as competitive answers, all or nothing.

    Raises StudyRejected (a DomainError) naming every bad row; writes nothing then.
    """
    study = " ".join(study.split())
    if not study:
        raise DomainError(_("Name the study."), code="no_study", field="study")
    if len(study) > STUDY_MAX:
        raise DomainError(_("The study name is longer than %(max)d characters.")
                          % {"max": STUDY_MAX}, code="long_study", field="study")
    today = today or timezone.localdate()
    positions, body = _read_table(fileobj)
    if not body:
        raise StudyRejected([Problem(0, _("The file has the columns but no answers."))])
    if len(body) > MAX_ROWS:
        raise StudyRejected([Problem(0, _("The file has %(count)d answers; import at most "
                                          "%(max)d per file.")
                                     % {"count": len(body), "max": MAX_ROWS})])
    rows = [_row_parse(line, cells, positions, today) for line, cells in body]
    first_line: dict[str, int] = {}
    for row in rows:
        if row.ref and row.ref in first_line:
            row.problems.append(_("respondent_ref %(ref)s is repeated (first on line %(line)d).")
                                % {"ref": row.ref, "line": first_line[row.ref]})
        first_line.setdefault(row.ref, row.line)
    stored = {answer.source_ref: answer for answer in Response.objects.filter(
        client=client, kind=Kind.COMPETITIVE, source=study, source_ref__in=list(first_line))}
    fresh: list[_Row] = []
    result = StudyImport(study=study, rows=len(rows))
    for row in rows:
        if row.problems:
            continue
        earlier = stored.get(row.ref)
        if earlier is None:
            fresh.append(row)
        elif _same(client, earlier, row):
            result.already += 1
        else:
            row.problems.append(_("respondent_ref %(ref)s was already imported for this study "
                                  "with a different answer; an imported answer is never "
                                  "changed.") % {"ref": row.ref})
    problems = [Problem(row.line, problem) for row in rows for problem in row.problems]
    if problems:
        raise StudyRejected(problems)
    answers = [Response(client=client, kind=Kind.COMPETITIVE, nps=row.nps, comment=row.comment,
                        ces=row.ces, csat=row.csat, themes=themes_for(row.comment),
                        answered_at=_answered_at(client, row.answered_on),
                        trigger=Trigger.MARKET_STUDY, source=study, source_ref=row.ref)
               for row in fresh]
    try:
        with transaction.atomic():
            Response.objects.bulk_create(answers, batch_size=1000)
            audit_event_record(actor=by, action="experience.study_import", client_id=client.pk,
                               object_type="experience.study", object_id=study[:64],
                               detail={"created": len(answers), "already": result.already})
    except IntegrityError:
        # Another upload of the same study committed between our read and our write.
        raise DomainError(_("The same study is being imported by someone else right now; try "
                            "again in a minute."), code="concurrent_import",
                          field="file") from None
    result.created = len(answers)
    return result

