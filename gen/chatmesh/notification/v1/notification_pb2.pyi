from chatmesh.notification.v1 import notifications_pb2 as _notifications_pb2
from chatmesh.notification.v1 import preferences_pb2 as _preferences_pb2
from chatmesh.notification.v1 import templates_pb2 as _templates_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
