from chatmesh.knowledge.v1 import documents_pb2 as _documents_pb2
from chatmesh.knowledge.v1 import knowledge_bases_pb2 as _knowledge_bases_pb2
from chatmesh.knowledge.v1 import search_pb2 as _search_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
