import datetime

from chatmesh.identity.v1 import users_pb2 as _users_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExternalLoginIntent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXTERNAL_LOGIN_INTENT_UNSPECIFIED: _ClassVar[ExternalLoginIntent]
    EXTERNAL_LOGIN_INTENT_LOGIN: _ClassVar[ExternalLoginIntent]
    EXTERNAL_LOGIN_INTENT_LINK: _ClassVar[ExternalLoginIntent]
EXTERNAL_LOGIN_INTENT_UNSPECIFIED: ExternalLoginIntent
EXTERNAL_LOGIN_INTENT_LOGIN: ExternalLoginIntent
EXTERNAL_LOGIN_INTENT_LINK: ExternalLoginIntent

class LinkedAccount(_message.Message):
    __slots__ = ("id", "user_id", "provider_id", "provider_user_id", "provider_email", "provider_username", "create_time", "last_login_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_USERNAME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    provider_id: str
    provider_user_id: str
    provider_email: str
    provider_username: str
    create_time: _timestamp_pb2.Timestamp
    last_login_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., provider_id: _Optional[str] = ..., provider_user_id: _Optional[str] = ..., provider_email: _Optional[str] = ..., provider_username: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_login_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StartOAuthRequest(_message.Message):
    __slots__ = ("provider_id", "redirect_uri", "intent")
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    provider_id: str
    redirect_uri: str
    intent: ExternalLoginIntent
    def __init__(self, provider_id: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., intent: _Optional[_Union[ExternalLoginIntent, str]] = ...) -> None: ...

class StartOAuthResponse(_message.Message):
    __slots__ = ("authorization_url", "state", "expire_time")
    AUTHORIZATION_URL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    authorization_url: str
    state: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, authorization_url: _Optional[str] = ..., state: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CompleteOAuthRequest(_message.Message):
    __slots__ = ("provider_id", "code", "state", "error")
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    provider_id: str
    code: str
    state: str
    error: str
    def __init__(self, provider_id: _Optional[str] = ..., code: _Optional[str] = ..., state: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class CompleteOAuthResponse(_message.Message):
    __slots__ = ("user", "access_token", "refresh_token", "expires_in", "token_type", "mfa_required", "mfa_token", "user_created", "linked_account")
    USER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    MFA_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    MFA_TOKEN_FIELD_NUMBER: _ClassVar[int]
    USER_CREATED_FIELD_NUMBER: _ClassVar[int]
    LINKED_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    user: _users_pb2.User
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    mfa_required: bool
    mfa_token: str
    user_created: bool
    linked_account: LinkedAccount
    def __init__(self, user: _Optional[_Union[_users_pb2.User, _Mapping]] = ..., access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., token_type: _Optional[str] = ..., mfa_required: _Optional[bool] = ..., mfa_token: _Optional[str] = ..., user_created: _Optional[bool] = ..., linked_account: _Optional[_Union[LinkedAccount, _Mapping]] = ...) -> None: ...

class ListLinkedAccountsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLinkedAccountsResponse(_message.Message):
    __slots__ = ("linked_accounts", "next_page_token")
    LINKED_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    linked_accounts: _containers.RepeatedCompositeFieldContainer[LinkedAccount]
    next_page_token: str
    def __init__(self, linked_accounts: _Optional[_Iterable[_Union[LinkedAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UnlinkAccountRequest(_message.Message):
    __slots__ = ("user_id", "linked_account_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LINKED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    linked_account_id: str
    def __init__(self, user_id: _Optional[str] = ..., linked_account_id: _Optional[str] = ...) -> None: ...

class UnlinkAccountResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
