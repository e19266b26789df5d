import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignupMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNUP_METHOD_UNSPECIFIED: _ClassVar[SignupMethod]
    SIGNUP_METHOD_PASSWORD: _ClassVar[SignupMethod]
    SIGNUP_METHOD_OAUTH: _ClassVar[SignupMethod]
    SIGNUP_METHOD_ADMIN: _ClassVar[SignupMethod]
SIGNUP_METHOD_UNSPECIFIED: SignupMethod
SIGNUP_METHOD_PASSWORD: SignupMethod
SIGNUP_METHOD_OAUTH: SignupMethod
SIGNUP_METHOD_ADMIN: SignupMethod

class UserRegistered(_message.Message):
    __slots__ = ("user_id", "email", "username", "display_name", "locale", "signup_method", "provider_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    SIGNUP_METHOD_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    username: str
    display_name: str
    locale: str
    signup_method: SignupMethod
    provider_id: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., username: _Optional[str] = ..., display_name: _Optional[str] = ..., locale: _Optional[str] = ..., signup_method: _Optional[_Union[SignupMethod, str]] = ..., provider_id: _Optional[str] = ...) -> None: ...

class PasswordResetRequested(_message.Message):
    __slots__ = ("user_id", "email", "locale", "reset_url", "expire_time")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    RESET_URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    locale: str
    reset_url: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., locale: _Optional[str] = ..., reset_url: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApiKeyCreated(_message.Message):
    __slots__ = ("api_key_id", "owner_id", "name", "prefix", "expire_time")
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    owner_id: str
    name: str
    prefix: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, api_key_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., prefix: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApiKeyRevoked(_message.Message):
    __slots__ = ("api_key_id", "owner_id", "reason")
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    owner_id: str
    reason: str
    def __init__(self, api_key_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TenantQuotaChanged(_message.Message):
    __slots__ = ("tokens_per_month", "requests_per_minute", "storage_bytes", "max_users")
    TOKENS_PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    STORAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_USERS_FIELD_NUMBER: _ClassVar[int]
    tokens_per_month: int
    requests_per_minute: int
    storage_bytes: int
    max_users: int
    def __init__(self, tokens_per_month: _Optional[int] = ..., requests_per_minute: _Optional[int] = ..., storage_bytes: _Optional[int] = ..., max_users: _Optional[int] = ...) -> None: ...

class EmailVerificationRequested(_message.Message):
    __slots__ = ("user_id", "email", "locale", "verify_url", "expire_time", "reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    VERIFY_URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    locale: str
    verify_url: str
    expire_time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., locale: _Optional[str] = ..., verify_url: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class UserEmailChanged(_message.Message):
    __slots__ = ("user_id", "old_email", "new_email", "locale", "actor_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_EMAIL_FIELD_NUMBER: _ClassVar[int]
    NEW_EMAIL_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    old_email: str
    new_email: str
    locale: str
    actor_id: str
    def __init__(self, user_id: _Optional[str] = ..., old_email: _Optional[str] = ..., new_email: _Optional[str] = ..., locale: _Optional[str] = ..., actor_id: _Optional[str] = ...) -> None: ...

class UserEmailVerified(_message.Message):
    __slots__ = ("user_id", "email")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...
