"""CSV/TSV and XLSX: one ``record`` block per row, "column: value; column: value".

A row read with its column names is found by a question about any of its values, and a
chunk of several rows still says what each value means. The first non-empty row is the
header; a header cell left empty is named "column N". Empty values are left out of a
record and empty rows are skipped. Each worksheet of a workbook is a section named after
the sheet; cell values are the ones Excel last computed (formulas are not evaluated).
The CSV dialect is sniffed from the start of the file (comma, semicolon, tab or pipe).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from knowledge.parsing.document import DocumentRejected, ParsedDocument, TextBuilder
from knowledge.parsing.limits import ParseLimits, check_zip

__all__ = ["parse_csv", "parse_xlsx", "record_text"]

_DELIMITERS = ",;\t|"
_MAX_FIELD = 1024 * 1024


def record_text(header: Sequence[str], row: Sequence[str]) -> str:
    parts = []
    for i, value in enumerate(row):
        value = " ".join(value.split())
        if not value:
            continue
        name = header[i] if i < len(header) and header[i] else f"column {i + 1}"
        parts.append(f"{name}: {value}")
    return "; ".join(parts)


def _add_rows(
    rows: Iterable[Sequence[str]],
    builder: TextBuilder,
    path: tuple[str, ...],
    limits: ParseLimits,
    counted: list[int],
) -> None:
    header: list[str] | None = None
    added = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [" ".join(cell.split()) for cell in row]
            continue
        counted[0] += 1
        if counted[0] > limits.max_records:
            raise DocumentRejected(f"the table has more than {limits.max_records:,} rows")
        if builder.add(record_text(header, row), "record", heading_path=path, normalize=False):
            added += 1
    if header is not None and not added:
        # A table that is only a header row still says something; keep it searchable.
        builder.add(" | ".join(h for h in header if h), "record", heading_path=path, normalize=False)


def parse_csv(text: str, *, title: str, limits: ParseLimits, delimiter: str | None = None) -> ParsedDocument:
    csv.field_size_limit(_MAX_FIELD)
    sample = text[:65536]
    if delimiter is None:
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
        except csv.Error:
            dialect = csv.excel
    else:
        dialect = csv.excel_tab if delimiter == "\t" else csv.excel
    builder = TextBuilder(max_chars=limits.max_text_chars)
    try:
        _add_rows(csv.reader(io.StringIO(text, newline=""), dialect), builder, (), limits, [0])
    except csv.Error as exc:
        raise DocumentRejected(f"the CSV file is malformed: {exc}") from exc
    return builder.build(title=title, format="csv")


def parse_xlsx(data: bytes, *, title: str, limits: ParseLimits) -> ParsedDocument:
    check_zip(data, limits, "XLSX")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        builder = TextBuilder(max_chars=limits.max_text_chars)
        counted = [0]
        for sheet in workbook.worksheets:
            rows = ([_cell(value) for value in row] for row in sheet.iter_rows(values_only=True))
            _add_rows(rows, builder, (sheet.title,), limits, counted)
        doc_title = (workbook.properties.title or "").strip() or title
    finally:
        workbook.close()
    return builder.build(title=doc_title, format="xlsx", metadata={"sheets": str(len(workbook.sheetnames))})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
