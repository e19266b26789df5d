from chatmesh.api.v1 import options_pb2 as _options_pb2
from chatmesh.identity.v1 import api_keys_pb2 as _api_keys_pb2
from chatmesh.identity.v1 import audit_pb2 as _audit_pb2
from chatmesh.identity.v1 import auth_pb2 as _auth_pb2
from chatmesh.identity.v1 import mfa_pb2 as _mfa_pb2
from chatmesh.identity.v1 import oauth_pb2 as _oauth_pb2
from chatmesh.identity.v1 import rbac_pb2 as _rbac_pb2
from chatmesh.identity.v1 import tenants_pb2 as _tenants_pb2
from chatmesh.identity.v1 import users_pb2 as _users_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
