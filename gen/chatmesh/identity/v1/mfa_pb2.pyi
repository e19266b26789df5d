from chatmesh.identity.v1 import users_pb2 as _users_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetMfaStatusRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetMfaStatusResponse(_message.Message):
    __slots__ = ("totp_enabled", "recovery_codes_remaining")
    TOTP_ENABLED_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_CODES_REMAINING_FIELD_NUMBER: _ClassVar[int]
    totp_enabled: bool
    recovery_codes_remaining: int
    def __init__(self, totp_enabled: _Optional[bool] = ..., recovery_codes_remaining: _Optional[int] = ...) -> None: ...

class EnrollTotpRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EnrollTotpResponse(_message.Message):
    __slots__ = ("secret", "otpauth_uri")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    OTPAUTH_URI_FIELD_NUMBER: _ClassVar[int]
    secret: str
    otpauth_uri: str
    def __init__(self, secret: _Optional[str] = ..., otpauth_uri: _Optional[str] = ...) -> None: ...

class ConfirmTotpRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class ConfirmTotpResponse(_message.Message):
    __slots__ = ("recovery_codes",)
    RECOVERY_CODES_FIELD_NUMBER: _ClassVar[int]
    recovery_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, recovery_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class DisableTotpRequest(_message.Message):
    __slots__ = ("code", "password")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    code: str
    password: str
    def __init__(self, code: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class DisableTotpResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RegenerateRecoveryCodesRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class RegenerateRecoveryCodesResponse(_message.Message):
    __slots__ = ("recovery_codes",)
    RECOVERY_CODES_FIELD_NUMBER: _ClassVar[int]
    recovery_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, recovery_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class CompleteMfaLoginRequest(_message.Message):
    __slots__ = ("mfa_token", "totp_code", "recovery_code")
    MFA_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_CODE_FIELD_NUMBER: _ClassVar[int]
    mfa_token: str
    totp_code: str
    recovery_code: str
    def __init__(self, mfa_token: _Optional[str] = ..., totp_code: _Optional[str] = ..., recovery_code: _Optional[str] = ...) -> None: ...

class CompleteMfaLoginResponse(_message.Message):
    __slots__ = ("user", "access_token", "refresh_token", "expires_in", "token_type")
    USER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    user: _users_pb2.User
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    def __init__(self, user: _Optional[_Union[_users_pb2.User, _Mapping]] = ..., access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., token_type: _Optional[str] = ...) -> None: ...
