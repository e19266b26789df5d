"""Proto comments for the OpenAPI descriptions, read from a descriptor set with source info.

Generated ``_pb2`` modules carry no comments, so the contracts' comments reach the gateway only
through a FileDescriptorSet written by protoc with ``--include_source_info``. proto/generate.py
is expected to write it next to the generated code as ``chatmesh/descriptors.binpb``; without it
the document simply has no descriptions.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2

__all__ = ["DESCRIPTOR_SET_NAME", "comments_from_descriptor_set", "load_comments"]

DESCRIPTOR_SET_NAME = "descriptors.binpb"
# Field numbers in descriptor.proto that source-info paths are made of.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_ENUM_VALUE, _SERVICE_METHOD = 2, 2

log = logging.getLogger(__name__)

Path_ = tuple[int, ...]


def _clean(comment: str) -> str:
    return "\n".join(line.strip() for line in comment.strip().splitlines()).strip()


class _Walker:
    def __init__(self, file: descriptor_pb2.FileDescriptorProto, found: dict[str, str]) -> None:
        self.found = found
        self.notes: dict[Path_, str] = {
            tuple(location.path): _clean(location.leading_comments)
            for location in file.source_code_info.location
            if location.leading_comments.strip()
        }

    def note(self, name: str, path: Path_) -> None:
        if path in self.notes:
            self.found[name] = self.notes[path]

    def message(self, message: descriptor_pb2.DescriptorProto, scope: str, path: Path_) -> None:
        name = f"{scope}.{message.name}"
        self.note(name, path)
        for i, field in enumerate(message.field):
            self.note(f"{name}.{field.name}", (*path, _MESSAGE_FIELD, i))
        for i, nested in enumerate(message.nested_type):
            self.message(nested, name, (*path, _MESSAGE_NESTED, i))
        for i, enum in enumerate(message.enum_type):
            self.enum(enum, name, (*path, _MESSAGE_ENUM, i))

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto, scope: str, path: Path_) -> None:
        name = f"{scope}.{enum.name}"
        self.note(name, path)
        for i, value in enumerate(enum.value):
            self.note(f"{name}.{value.name}", (*path, _ENUM_VALUE, i))

    def service(self, service: descriptor_pb2.ServiceDescriptorProto, scope: str, path: Path_) -> None:
        name = f"{scope}.{service.name}"
        self.note(name, path)
        for i, method in enumerate(service.method):
            self.note(f"{name}.{method.name}", (*path, _SERVICE_METHOD, i))


def comments_from_descriptor_set(data: bytes) -> dict[str, str]:
    """Full proto name (message, field, enum, value, service, method) -> its leading comment."""
    found: dict[str, str] = {}
    for file in descriptor_pb2.FileDescriptorSet.FromString(data).file:
        walker = _Walker(file, found)
        for i, message in enumerate(file.message_type):
            walker.message(message, file.package, (_FILE_MESSAGE, i))
        for i, enum in enumerate(file.enum_type):
            walker.enum(enum, file.package, (_FILE_ENUM, i))
        for i, service in enumerate(file.service):
            walker.service(service, file.package, (_FILE_SERVICE, i))
    return found


def load_comments(path: Path | None = None) -> dict[str, str]:
    """Comments from ``path``, or from the descriptor set shipped with the generated code if any."""
    try:
        if path is not None:
            data = path.read_bytes()
        else:
            data = (resources.files("chatmesh") / DESCRIPTOR_SET_NAME).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        log.debug("no descriptor set with comments; the OpenAPI document has no descriptions")
        return {}
    return comments_from_descriptor_set(data)
