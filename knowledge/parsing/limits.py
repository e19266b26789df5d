"""Bounds on what a parser accepts, so a hostile file is refused instead of exhausting the worker."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from knowledge.parsing.document import DocumentRejected

__all__ = ["ParseLimits", "check_zip"]


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Every limit is checked before or while parsing; crossing one raises DocumentRejected."""

    max_bytes: int = 100 * 1024 * 1024
    max_text_chars: int = 20_000_000
    # Office files are zip archives: total inflated size, member count and the
    # inflated/compressed ratio of any one member bound a zip bomb.
    max_unzipped_bytes: int = 300 * 1024 * 1024
    max_zip_members: int = 10_000
    max_zip_ratio: int = 200
    max_json_depth: int = 64
    max_records: int = 1_000_000
    max_pages: int = 5_000
    max_html_depth: int = 512


def check_zip(data: bytes, limits: ParseLimits, what: str) -> zipfile.ZipFile:
    """Open an Office archive after checking its directory for bomb-like sizes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentRejected(f"the {what} file is damaged (not a readable zip archive: {exc})") from exc
    if len(members) > limits.max_zip_members:
        raise DocumentRejected(
            f"the {what} file has {len(members):,} parts, more than {limits.max_zip_members:,}"
        )
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_zip_ratio:
            raise DocumentRejected(
                f"the {what} file looks like a zip bomb ({member.filename} inflates {ratio:.0f}x)"
            )
    if total > limits.max_unzipped_bytes:
        raise DocumentRejected(
            f"the {what} file inflates to {total:,} bytes, "
            f"more than the limit of {limits.max_unzipped_bytes:,}"
        )
    return archive
