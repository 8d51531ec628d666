"""Competitive import: a market study's answers, all or nothing, every bad row named by its
line, the same study and reference imported once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access.errors import DomainError
from experience import competitive
from experience.models import Response

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)
GOOD = (
    "respondent_ref,nps,comment,answered_on,ces,csat\n"
    "R-001,9,Molto gentili e chiari,2026-10-01,6,5\n"
    "R-002,4,Too many calls and rude,2026-10-02,,\n"
    "R-003,7,,2026-10-03,5,\n"
)


def _import(client, text: str, *, study: str = "Utility benchmark 2026", by=None):
    return competitive.study_import(client=client, study=study,
                                    fileobj=io.BytesIO(text.encode()), by=by, today=TODAY)


def test_a_good_file_is_stored_as_competitive_answers(personas):
    result = _import(personas.client_a, GOOD)

    answers = {a.source_ref: a for a in Response.objects.filter(client=personas.client_a)}
    assert (result.created, result.already) == (3, 0)
    assert set(answers) == {"R-001", "R-002", "R-003"}
    first = answers["R-001"]
    assert (first.kind, first.trigger, first.source, first.nps, first.ces, first.csat) == (
        "competitive", "market_study", "Utility benchmark 2026", 9, 6, 5)
    assert first.survey_id is None and first.debtor_id is None
    assert first.answered_at.date() == dt.date(2026, 10, 1)
    assert "empathy" in first.themes and "clarity" in first.themes
    assert "pressure" in answers["R-002"].themes
    assert answers["R-003"].ces == 5 and answers["R-003"].csat is None


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(personas):
    text = (
        "respondent_ref,nps,comment,answered_on\n"
        "R-001,9,ok,2026-10-01\n"
        "R-002,11,too high,2026-10-01\n"
        ",5,no reference,2026-10-01\n"
        "R-004,seven,not a number,2026-10-01\n"
        "R-005,5,bad date,01/10/2026\n"
        "R-006,5,future,2027-01-01\n"
        "R-001,8,repeated,2026-10-01\n"
        "R-008,,no score,2026-10-01\n"
    )

    with pytest.raises(competitive.StudyRejected) as caught:
        _import(personas.client_a, text)

    problems = {(p.line, p.message) for p in caught.value.problems}
    lines = {line for line, _ in problems}
    assert lines == {3, 4, 5, 6, 7, 8, 9}
    text_of = dict(problems)
    assert "outside 0-10" in text_of[3]
    assert "respondent_ref is empty" in text_of[4]
    assert "seven" in text_of[5]
    assert "01/10/2026" in text_of[6]
    assert "future" in text_of[7]
    assert "repeated (first on line 2)" in text_of[8]
    assert "nps is empty" in text_of[9]
    assert "7 problem(s)" in caught.value.message
    assert not Response.objects.exists()


@pytest.mark.parametrize(("content", "words"), [
    ("", "empty"),
    ("respondent_ref,comment\nR-1,hi\n", "missing column(s): nps, answered_on"),
    ("respondent_ref,nps,answered_on,colour\nR-1,5,2026-10-01,red\n", "unknown column(s): colour"),
    ("respondent_ref,nps,answered_on\n", "no answers"),
    ("respondent_ref,nps,answered_on,ces\nR-1,5,2026-10-01,9\n", "ces 9 is outside 1-7"),
])
def test_file_level_and_scale_problems_are_named(personas, content, words):
    with pytest.raises(DomainError) as caught:
        _import(personas.client_a, content)

    every = " ".join(p.message for p in caught.value.problems) if isinstance(
        caught.value, competitive.StudyRejected) else caught.value.message
    assert words in every
    assert not Response.objects.exists()


def test_importing_the_same_study_again_writes_nothing(personas):
    _import(personas.client_a, GOOD)

    again = _import(personas.client_a, GOOD)
    more = _import(personas.client_a, GOOD + "R-004,10,Fast and easy,2026-10-04,,\n")

    assert (again.created, again.already) == (0, 3)
    assert (more.created, more.already) == (1, 3)
    assert Response.objects.filter(client=personas.client_a).count() == 4


def test_a_changed_answer_for_a_known_reference_is_refused(personas):
    _import(personas.client_a, GOOD)

    with pytest.raises(competitive.StudyRejected) as caught:
        _import(personas.client_a, GOOD.replace("R-002,4,", "R-002,8,")
                + "R-009,10,new,2026-10-05,,\n")

    assert [p.line for p in caught.value.problems] == [3]
    assert "already imported" in caught.value.problems[0].message
    assert Response.objects.get(source_ref="R-002").nps == 4
    assert not Response.objects.filter(source_ref="R-009").exists()


def test_the_same_reference_in_another_study_or_client_is_a_new_answer(personas):
    _import(personas.client_a, GOOD)
    _import(personas.client_a, GOOD, study="Benchmark 2027")
    _import(personas.client_b, GOOD)

    assert Response.objects.filter(source_ref="R-001").count() == 3


def test_an_xlsx_study_reads_dates_and_whole_numbers(personas):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Respondent_ref", "NPS", "comment", "answered_on"])
    # Excel keeps naive date-times; the reader takes their date.
    sheet.append(["X-1", 10, "Piano di rientro flessibile",
                  dt.datetime.fromisoformat("2026-09-30T00:00")])
    sheet.append(["X-2", 6.0, "Attesa lunga", dt.date(2026, 9, 29)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    result = competitive.study_import(client=personas.client_a, study="Panel", fileobj=buffer,
                                      by=None, today=TODAY)

    assert result.created == 2
    assert sorted(Response.objects.values_list("nps", flat=True)) == [6, 10]


def test_a_workbook_of_several_sheets_is_read_from_its_answers_sheet(personas):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Method"
    answers = workbook.create_sheet("Answers")
    answers.append(["respondent_ref", "nps", "answered_on"])
    answers.append(["X-1", 9, "2026-10-01"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    result = competitive.study_import(client=personas.client_a, study="Panel", fileobj=buffer,
                                      by=None, today=TODAY)

    assert result.created == 1


def test_a_column_named_twice_through_an_alias_is_refused(personas):
    with pytest.raises(competitive.StudyRejected) as caught:
        _import(personas.client_a, "respondent_ref,ref,nps,answered_on\nA,B,8,2026-10-01\n")

    assert "repeated column(s): respondent_ref" in caught.value.problems[0].message
    assert not Response.objects.exists()


def test_a_semicolon_csv_from_italian_excel(personas):
    result = _import(personas.client_a, "\ufeffrespondent_ref;nps;answered_on\nA;8;2026-10-01\n")
    assert result.created == 1


def test_the_upload_page_lists_the_problems_and_writes_nothing(client, personas):
    client.force_login(personas.credit_manager)
    url = reverse("experience:study_import", kwargs={"client_id": personas.client_a.pk})
    bad = SimpleUploadedFile("study.csv", b"respondent_ref,nps,answered_on\nR-1,12,2026-10-01\n")

    response = client.post(url, {"study": "Panel", "file": bad})

    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="study-problems"' in body and "Line 2" in body and "0-10" in body
    assert not Response.objects.exists()


def test_the_upload_page_imports_and_shows_the_study(client, personas):
    client.force_login(personas.credit_manager)
    url = reverse("experience:study_import", kwargs={"client_id": personas.client_a.pk})

    response = client.post(url, {"study": "Panel 2026",
                                 "file": SimpleUploadedFile("s.csv", GOOD.encode())})
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "Panel 2026" in page and "3 answers imported" in page


def test_another_clients_upload_answers_404(client, personas):
    client.force_login(personas.credit_manager)
    url = reverse("experience:study_import", kwargs={"client_id": personas.client_b.pk})

    response = client.post(url, {"study": "Panel",
                                 "file": SimpleUploadedFile("s.csv", GOOD.encode())})

    assert response.status_code == 404
    assert not Response.objects.exists()
