"""Documents built in the tests themselves (no binary fixtures): PDF, DOCX, XLSX."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf_bytes(pages: list[list[str]], *, title: str = "", outline: list[tuple[str, int, int]] = ()) -> bytes:
    """One text line per entry, an empty entry for a blank line; outline (label, level, page)."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    if title:
        pdf.setTitle(title)
    for number, lines in enumerate(pages, start=1):
        for i, (label, level, page) in enumerate(outline):
            if page == number:
                key = f"o{i}"
                pdf.bookmarkPage(key)
                pdf.addOutlineEntry(label, key, level=level)
        y = 800
        for line in lines:
            if line:
                pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def encrypted(data: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(build) -> bytes:
    document = Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_extra_member(data: bytes, name: str, payload: bytes) -> bytes:
    """The Office archive with one more (highly compressible) member: a zip bomb in miniature."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, payload)
    return out.getvalue()
