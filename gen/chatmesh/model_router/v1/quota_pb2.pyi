import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QuotaAccountKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTA_ACCOUNT_KIND_UNSPECIFIED: _ClassVar[QuotaAccountKind]
    QUOTA_ACCOUNT_KIND_TENANT: _ClassVar[QuotaAccountKind]
    QUOTA_ACCOUNT_KIND_API_KEY: _ClassVar[QuotaAccountKind]
    QUOTA_ACCOUNT_KIND_USER: _ClassVar[QuotaAccountKind]

class QuotaReservationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTA_RESERVATION_STATE_UNSPECIFIED: _ClassVar[QuotaReservationState]
    QUOTA_RESERVATION_STATE_RESERVED: _ClassVar[QuotaReservationState]
    QUOTA_RESERVATION_STATE_SETTLED: _ClassVar[QuotaReservationState]
    QUOTA_RESERVATION_STATE_REFUNDED: _ClassVar[QuotaReservationState]
    QUOTA_RESERVATION_STATE_EXPIRED: _ClassVar[QuotaReservationState]

class LedgerEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_ENTRY_KIND_UNSPECIFIED: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_RESERVE: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_SETTLE: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REFUND: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_EXPIRE: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_ADJUST: _ClassVar[LedgerEntryKind]
QUOTA_ACCOUNT_KIND_UNSPECIFIED: QuotaAccountKind
QUOTA_ACCOUNT_KIND_TENANT: QuotaAccountKind
QUOTA_ACCOUNT_KIND_API_KEY: QuotaAccountKind
QUOTA_ACCOUNT_KIND_USER: QuotaAccountKind
QUOTA_RESERVATION_STATE_UNSPECIFIED: QuotaReservationState
QUOTA_RESERVATION_STATE_RESERVED: QuotaReservationState
QUOTA_RESERVATION_STATE_SETTLED: QuotaReservationState
QUOTA_RESERVATION_STATE_REFUNDED: QuotaReservationState
QUOTA_RESERVATION_STATE_EXPIRED: QuotaReservationState
LEDGER_ENTRY_KIND_UNSPECIFIED: LedgerEntryKind
LEDGER_ENTRY_KIND_RESERVE: LedgerEntryKind
LEDGER_ENTRY_KIND_SETTLE: LedgerEntryKind
LEDGER_ENTRY_KIND_REFUND: LedgerEntryKind
LEDGER_ENTRY_KIND_EXPIRE: LedgerEntryKind
LEDGER_ENTRY_KIND_ADJUST: LedgerEntryKind

class QuotaAccount(_message.Message):
    __slots__ = ("id", "kind", "owner_id", "tenant_id", "balance", "reserved", "used", "unlimited", "low_balance_threshold", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    UNLIMITED_FIELD_NUMBER: _ClassVar[int]
    LOW_BALANCE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: QuotaAccountKind
    owner_id: str
    tenant_id: str
    balance: int
    reserved: int
    used: int
    unlimited: bool
    low_balance_threshold: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[QuotaAccountKind, str]] = ..., owner_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., balance: _Optional[int] = ..., reserved: _Optional[int] = ..., used: _Optional[int] = ..., unlimited: _Optional[bool] = ..., low_balance_threshold: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class QuotaReservation(_message.Message):
    __slots__ = ("id", "request_id", "tenant_id", "api_key_id", "user_id", "account_ids", "reserved_amount", "settled_amount", "refunded_amount", "state", "model", "create_time", "expire_time", "close_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_IDS_FIELD_NUMBER: _ClassVar[int]
    RESERVED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    tenant_id: str
    api_key_id: str
    user_id: str
    account_ids: _containers.RepeatedScalarFieldContainer[str]
    reserved_amount: int
    settled_amount: int
    refunded_amount: int
    state: QuotaReservationState
    model: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., user_id: _Optional[str] = ..., account_ids: _Optional[_Iterable[str]] = ..., reserved_amount: _Optional[int] = ..., settled_amount: _Optional[int] = ..., refunded_amount: _Optional[int] = ..., state: _Optional[_Union[QuotaReservationState, str]] = ..., model: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class QuotaLedgerEntry(_message.Message):
    __slots__ = ("id", "account_id", "kind", "amount", "balance_after", "reservation_id", "request_id", "reason", "actor_user_id", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    account_id: str
    kind: LedgerEntryKind
    amount: int
    balance_after: int
    reservation_id: str
    request_id: str
    reason: str
    actor_user_id: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., account_id: _Optional[str] = ..., kind: _Optional[_Union[LedgerEntryKind, str]] = ..., amount: _Optional[int] = ..., balance_after: _Optional[int] = ..., reservation_id: _Optional[str] = ..., request_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor_user_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetQuotaAccountRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class GetQuotaAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: QuotaAccount
    def __init__(self, account: _Optional[_Union[QuotaAccount, _Mapping]] = ...) -> None: ...

class ListQuotaAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "kind", "tenant_id", "low_balance_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    LOW_BALANCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    kind: QuotaAccountKind
    tenant_id: str
    low_balance_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[QuotaAccountKind, str]] = ..., tenant_id: _Optional[str] = ..., low_balance_only: _Optional[bool] = ...) -> None: ...

class ListQuotaAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[QuotaAccount]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[QuotaAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateQuotaAccountRequest(_message.Message):
    __slots__ = ("account_id", "account", "update_mask")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    account: QuotaAccount
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, account_id: _Optional[str] = ..., account: _Optional[_Union[QuotaAccount, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateQuotaAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: QuotaAccount
    def __init__(self, account: _Optional[_Union[QuotaAccount, _Mapping]] = ...) -> None: ...

class AdjustQuotaRequest(_message.Message):
    __slots__ = ("account_id", "amount", "reason", "idempotency_key")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    amount: int
    reason: str
    idempotency_key: str
    def __init__(self, account_id: _Optional[str] = ..., amount: _Optional[int] = ..., reason: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class AdjustQuotaResponse(_message.Message):
    __slots__ = ("account", "entry")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    account: QuotaAccount
    entry: QuotaLedgerEntry
    def __init__(self, account: _Optional[_Union[QuotaAccount, _Mapping]] = ..., entry: _Optional[_Union[QuotaLedgerEntry, _Mapping]] = ...) -> None: ...

class ListQuotaLedgerEntriesRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token", "start_time", "end_time")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListQuotaLedgerEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[QuotaLedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[QuotaLedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReserveQuotaRequest(_message.Message):
    __slots__ = ("request_id", "tenant_id", "api_key_id", "user_id", "amount", "model", "ttl")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    tenant_id: str
    api_key_id: str
    user_id: str
    amount: int
    model: str
    ttl: _duration_pb2.Duration
    def __init__(self, request_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount: _Optional[int] = ..., model: _Optional[str] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ReserveQuotaResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: QuotaReservation
    def __init__(self, reservation: _Optional[_Union[QuotaReservation, _Mapping]] = ...) -> None: ...

class SettleQuotaRequest(_message.Message):
    __slots__ = ("reservation_id", "amount")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    amount: int
    def __init__(self, reservation_id: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...

class SettleQuotaResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: QuotaReservation
    def __init__(self, reservation: _Optional[_Union[QuotaReservation, _Mapping]] = ...) -> None: ...

class RefundQuotaRequest(_message.Message):
    __slots__ = ("reservation_id", "reason")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    reason: str
    def __init__(self, reservation_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RefundQuotaResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: QuotaReservation
    def __init__(self, reservation: _Optional[_Union[QuotaReservation, _Mapping]] = ...) -> None: ...

class GetQuotaReservationRequest(_message.Message):
    __slots__ = ("reservation_id",)
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    def __init__(self, reservation_id: _Optional[str] = ...) -> None: ...

class GetQuotaReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: QuotaReservation
    def __init__(self, reservation: _Optional[_Union[QuotaReservation, _Mapping]] = ...) -> None: ...
