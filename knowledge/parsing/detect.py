"""Which parser a file goes to, and how its bytes become text.

Binary formats are recognised by their leading bytes first, because uploads often arrive as
``application/octet-stream`` or with a wrong extension: ``%PDF-`` is a PDF, a zip holding
``word/document.xml`` is DOCX, one holding ``xl/workbook.xml`` is XLSX. A file that claims
one of those formats (by media type or extension) without the matching bytes is rejected as
damaged rather than read as text. Text formats come from a specific media type, then the
extension (which also beats a generic ``text/plain``), then a look at the text itself (an
HTML doctype, a JSON value).
"""

from __future__ import annotations

import codecs
import io
import json
import re
import zipfile
from pathlib import PurePosixPath

from knowledge.parsing.document import DocumentRejected

__all__ = ["FORMATS", "decode_text", "detect_format", "html_charset"]

FORMATS = ("text", "markdown", "html", "pdf", "docx", "csv", "xlsx", "json", "jsonl")
_BINARY = ("pdf", "docx", "xlsx")

_MEDIA_TYPES = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/json": "json",
    "text/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/jsonlines": "jsonl",
}
_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".log": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
# Leading bytes of formats we do not read, so they get a clear refusal rather than garbage text.
_OTHER_BINARY = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "a legacy Office (.doc/.xls) file; save it as .docx/.xlsx",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\x7fELF": "an executable",
}
_LABELS = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX"}


def _base_media_type(media_type: str | None) -> tuple[str, str | None]:
    if not media_type:
        return "", None
    base, _, params = media_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"' ")
    return base.strip().lower(), charset


def _sniff_binary(data: bytes) -> str | None:
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise DocumentRejected("the file is a zip archive that is neither a DOCX nor an XLSX document")
    for magic, what in _OTHER_BINARY.items():
        if data.startswith(magic):
            raise DocumentRejected(f"unsupported file type: {what}")
    return None


def _sniff_text(text: str) -> str:
    head = text[:2048].lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html")) or ("<body" in head and head.startswith("<")):
        return "html"
    if head.startswith(("{", "[")):
        try:
            json.loads(text)
            return "json"
        except (ValueError, RecursionError):
            first = text.lstrip().split("\n", 1)[0]
            try:
                json.loads(first)
                return "jsonl"
            except (ValueError, RecursionError):
                return "text"
    return "text"


def detect_format(data: bytes, *, filename: str, media_type: str | None) -> tuple[str, str | None]:
    """(format, charset from the media type) for the upload."""
    base, charset = _base_media_type(media_type)
    by_extension = _EXTENSIONS.get(PurePosixPath(filename or "").suffix.lower())
    by_type = _MEDIA_TYPES.get(base)
    # "text/plain" is what many clients send for any text file (a .md, a .csv): the
    # extension says more. A specific media type wins over the extension.
    claimed = by_extension if by_type in (None, "text") and by_extension else by_type
    sniffed = _sniff_binary(data)
    if sniffed:
        return sniffed, charset
    if claimed in _BINARY:
        raise DocumentRejected(
            f"the file is named or typed as {_LABELS[claimed]} but is not one (damaged or mislabelled)"
        )
    if claimed:
        return claimed, charset
    return _sniff_text(decode_text(data, charset)), charset


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a ``<meta>`` near its top, if any."""
    found = _META_CHARSET.search(data[:4096])
    if not found:
        return None
    name = found.group(1).decode("ascii", "ignore")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: a BOM wins, then a declared charset, then UTF-8, then GB18030, then cp1252.

    Text holding NUL bytes after decoding is a binary file under a text name: rejected.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"))
    candidates = [charset] if charset else []
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return _checked(data.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return _checked(data.decode("cp1252", errors="replace"))


def _checked(text: str) -> str:
    if "\x00" in text[:65536]:
        raise DocumentRejected("the file is binary, not text, and its format is not supported")
    return text
