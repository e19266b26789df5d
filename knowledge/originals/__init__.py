"""Where uploaded originals are kept: one interface, a filesystem store by default."""

from knowledge.originals.base import OriginalStore, SpooledUpload
from knowledge.originals.filesystem import FilesystemStore

__all__ = ["FilesystemStore", "OriginalStore", "SpooledUpload"]
