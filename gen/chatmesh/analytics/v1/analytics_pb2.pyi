from chatmesh.analytics.v1 import alerts_pb2 as _alerts_pb2
from chatmesh.analytics.v1 import budgets_pb2 as _budgets_pb2
from chatmesh.analytics.v1 import reports_pb2 as _reports_pb2
from chatmesh.analytics.v1 import usage_pb2 as _usage_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
