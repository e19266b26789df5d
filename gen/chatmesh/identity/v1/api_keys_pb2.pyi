import datetime

from chatmesh.identity.v1 import auth_pb2 as _auth_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApiKeyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    API_KEY_STATUS_UNSPECIFIED: _ClassVar[ApiKeyStatus]
    API_KEY_STATUS_ACTIVE: _ClassVar[ApiKeyStatus]
    API_KEY_STATUS_EXHAUSTED: _ClassVar[ApiKeyStatus]
    API_KEY_STATUS_DISABLED: _ClassVar[ApiKeyStatus]
    API_KEY_STATUS_EXPIRED: _ClassVar[ApiKeyStatus]
    API_KEY_STATUS_DELETED: _ClassVar[ApiKeyStatus]

class ApiKeyCredentialSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    API_KEY_CREDENTIAL_SOURCE_UNSPECIFIED: _ClassVar[ApiKeyCredentialSource]
    API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER: _ClassVar[ApiKeyCredentialSource]
    API_KEY_CREDENTIAL_SOURCE_X_API_KEY_HEADER: _ClassVar[ApiKeyCredentialSource]
    API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER: _ClassVar[ApiKeyCredentialSource]
    API_KEY_CREDENTIAL_SOURCE_QUERY_KEY: _ClassVar[ApiKeyCredentialSource]
    API_KEY_CREDENTIAL_SOURCE_QUERY_TOKEN: _ClassVar[ApiKeyCredentialSource]
API_KEY_STATUS_UNSPECIFIED: ApiKeyStatus
API_KEY_STATUS_ACTIVE: ApiKeyStatus
API_KEY_STATUS_EXHAUSTED: ApiKeyStatus
API_KEY_STATUS_DISABLED: ApiKeyStatus
API_KEY_STATUS_EXPIRED: ApiKeyStatus
API_KEY_STATUS_DELETED: ApiKeyStatus
API_KEY_CREDENTIAL_SOURCE_UNSPECIFIED: ApiKeyCredentialSource
API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER: ApiKeyCredentialSource
API_KEY_CREDENTIAL_SOURCE_X_API_KEY_HEADER: ApiKeyCredentialSource
API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER: ApiKeyCredentialSource
API_KEY_CREDENTIAL_SOURCE_QUERY_KEY: ApiKeyCredentialSource
API_KEY_CREDENTIAL_SOURCE_QUERY_TOKEN: ApiKeyCredentialSource

class ApiKey(_message.Message):
    __slots__ = ("id", "tenant_id", "owner_id", "name", "prefix", "status", "expire_time", "unlimited_quota", "remaining_quota", "used_quota", "allowed_models", "allowed_cidrs", "last_used_time", "create_time", "update_time", "delete_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    UNLIMITED_QUOTA_FIELD_NUMBER: _ClassVar[int]
    REMAINING_QUOTA_FIELD_NUMBER: _ClassVar[int]
    USED_QUOTA_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CIDRS_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    owner_id: str
    name: str
    prefix: str
    status: ApiKeyStatus
    expire_time: _timestamp_pb2.Timestamp
    unlimited_quota: bool
    remaining_quota: int
    used_quota: int
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    allowed_cidrs: _containers.RepeatedScalarFieldContainer[str]
    last_used_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., prefix: _Optional[str] = ..., status: _Optional[_Union[ApiKeyStatus, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unlimited_quota: _Optional[bool] = ..., remaining_quota: _Optional[int] = ..., used_quota: _Optional[int] = ..., allowed_models: _Optional[_Iterable[str]] = ..., allowed_cidrs: _Optional[_Iterable[str]] = ..., last_used_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("api_key", "owner_id")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    owner_id: str
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., owner_id: _Optional[str] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("api_key", "secret")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    secret: str
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class GetApiKeyRequest(_message.Message):
    __slots__ = ("api_key_id",)
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    def __init__(self, api_key_id: _Optional[str] = ...) -> None: ...

class GetApiKeyResponse(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "owner_id", "status", "show_deleted")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SHOW_DELETED_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    owner_id: str
    status: ApiKeyStatus
    show_deleted: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., owner_id: _Optional[str] = ..., status: _Optional[_Union[ApiKeyStatus, str]] = ..., show_deleted: _Optional[bool] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("api_keys", "next_page_token")
    API_KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    api_keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    next_page_token: str
    def __init__(self, api_keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateApiKeyRequest(_message.Message):
    __slots__ = ("api_key_id", "api_key", "update_mask")
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    api_key: ApiKey
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, api_key_id: _Optional[str] = ..., api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateApiKeyResponse(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class DeleteApiKeyRequest(_message.Message):
    __slots__ = ("api_key_id",)
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    def __init__(self, api_key_id: _Optional[str] = ...) -> None: ...

class DeleteApiKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RestoreApiKeyRequest(_message.Message):
    __slots__ = ("api_key_id",)
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    def __init__(self, api_key_id: _Optional[str] = ...) -> None: ...

class RestoreApiKeyResponse(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class AuthenticateApiKeyRequest(_message.Message):
    __slots__ = ("credential", "source", "client_ip", "model")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    credential: str
    source: ApiKeyCredentialSource
    client_ip: str
    model: str
    def __init__(self, credential: _Optional[str] = ..., source: _Optional[_Union[ApiKeyCredentialSource, str]] = ..., client_ip: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class AuthenticateApiKeyResponse(_message.Message):
    __slots__ = ("principal", "api_key")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    principal: _auth_pb2.Principal
    api_key: ApiKey
    def __init__(self, principal: _Optional[_Union[_auth_pb2.Principal, _Mapping]] = ..., api_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...
