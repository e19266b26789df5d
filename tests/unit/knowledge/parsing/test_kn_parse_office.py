"""DOCX and XLSX: headings by style, tables as rows, sheets as sections, zip bombs refused."""

from __future__ import annotations

import datetime as dt

import pytest
from kn_fixtures import docx_bytes, with_extra_member, xlsx_bytes

from knowledge.parsing import DocumentRejected, ParseLimits, parse_document


def _handbook(document) -> None:
    document.add_heading("Employee Handbook", 0)
    document.add_paragraph("Welcome to the company.")
    document.add_heading("Leave", 1)
    document.add_paragraph("You get 25 days of paid leave.")
    document.add_heading("Sick leave", 2)
    document.add_paragraph("Tell your manager before ten.")
    document.add_paragraph("bring a note", style="List Bullet")
    document.add_paragraph("rest", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("Name", "Days"), ("Ann", "25"), ("Bob", "20")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("Pay", 1)
    document.add_paragraph("Salaries are paid monthly.")


def test_docx_headings_lists_and_tables() -> None:
    doc = parse_document(docx_bytes(_handbook), filename="handbook.docx", media_type=None)
    assert doc.format == "docx"
    assert doc.title == "Employee Handbook"
    got = [(b.kind, b.heading_path, b.text) for b in doc.blocks]
    assert ("paragraph", ("Leave",), "You get 25 days of paid leave.") in got
    assert ("paragraph", ("Leave", "Sick leave"), "Tell your manager before ten.") in got
    assert ("list", ("Leave", "Sick leave"), "- bring a note\n- rest") in got
    assert ("table_row", ("Leave", "Sick leave"), "Name: Ann; Days: 25") in got
    assert ("paragraph", ("Pay",), "Salaries are paid monthly.") in got
    for block in doc.blocks:
        assert doc.text[block.char_start : block.char_end] == block.text
        assert block.page is None


def test_docx_core_title_wins() -> None:
    def build(document) -> None:
        document.core_properties.title = "Official Title"
        document.add_paragraph("Body only.")

    doc = parse_document(docx_bytes(build), filename="x.docx", media_type=None)
    assert doc.title == "Official Title"


def test_xlsx_rows_become_records_under_their_sheet() -> None:
    data = xlsx_bytes(
        {
            "Staff": [
                ["Name", "Start", "Salary"],
                ["Ann", dt.datetime(2024, 3, 1), 5000.0],
                [None, None, None],
                ["Bob", dt.date(2023, 1, 2), 4200.5],
            ],
            "Offices": [["City", "Seats"], ["Paris", 20], ["Berlin", None]],
        }
    )
    doc = parse_document(data, filename="org.xlsx", media_type=None)
    assert doc.format == "xlsx"
    assert [(b.heading_path, b.text) for b in doc.blocks] == [
        (("Staff",), "Name: Ann; Start: 2024-03-01; Salary: 5000"),
        (("Staff",), "Name: Bob; Start: 2023-01-02; Salary: 4200.5"),
        (("Offices",), "City: Paris; Seats: 20"),
        (("Offices",), "City: Berlin"),
    ]
    assert all(b.kind == "record" for b in doc.blocks)


@pytest.mark.parametrize(
    ("make", "filename"),
    [(lambda: docx_bytes(_handbook), "bomb.docx"), (lambda: xlsx_bytes({"S": [["a"], ["b"]]}), "bomb.xlsx")],
)
def test_zip_bombs_are_refused(make, filename: str) -> None:
    bomb = with_extra_member(make(), "customXml/item9.xml", b"\0" * (4 * 1024 * 1024))
    with pytest.raises(DocumentRejected, match="zip bomb"):
        parse_document(bomb, filename=filename, media_type=None)
    limits = ParseLimits(max_unzipped_bytes=1024 * 1024, max_zip_ratio=10_000)
    with pytest.raises(DocumentRejected, match="inflates"):
        parse_document(bomb, filename=filename, media_type=None, limits=limits)


def test_damaged_docx_is_rejected() -> None:
    data = docx_bytes(_handbook)
    with pytest.raises(DocumentRejected):
        parse_document(data[: len(data) // 2], filename="cut.docx", media_type=None)


def test_zip_that_is_not_office_is_rejected() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DocumentRejected, match="neither a DOCX nor an XLSX"):
        parse_document(out.getvalue(), filename="a.zip", media_type=None)
