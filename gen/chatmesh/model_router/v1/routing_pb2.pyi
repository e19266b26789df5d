import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RoutingRule(_message.Message):
    __slots__ = ("id", "name", "model_alias", "arms", "sticky", "groups", "enabled", "priority", "description", "create_time", "update_time", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_ALIAS_FIELD_NUMBER: _ClassVar[int]
    ARMS_FIELD_NUMBER: _ClassVar[int]
    STICKY_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    model_alias: str
    arms: _containers.RepeatedCompositeFieldContainer[RouteArm]
    sticky: bool
    groups: _containers.RepeatedScalarFieldContainer[str]
    enabled: bool
    priority: int
    description: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., model_alias: _Optional[str] = ..., arms: _Optional[_Iterable[_Union[RouteArm, _Mapping]]] = ..., sticky: _Optional[bool] = ..., groups: _Optional[_Iterable[str]] = ..., enabled: _Optional[bool] = ..., priority: _Optional[int] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class RouteArm(_message.Message):
    __slots__ = ("name", "target_model", "percent", "channel_ids")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_IDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    target_model: str
    percent: int
    channel_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., target_model: _Optional[str] = ..., percent: _Optional[int] = ..., channel_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ModelPrice(_message.Message):
    __slots__ = ("id", "model", "input_price", "output_price", "cached_input_price", "request_price", "effective_time", "description", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INPUT_PRICE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PRICE_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_PRICE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_PRICE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    model: str
    input_price: int
    output_price: int
    cached_input_price: int
    request_price: int
    effective_time: _timestamp_pb2.Timestamp
    description: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., model: _Optional[str] = ..., input_price: _Optional[int] = ..., output_price: _Optional[int] = ..., cached_input_price: _Optional[int] = ..., request_price: _Optional[int] = ..., effective_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GroupMultiplier(_message.Message):
    __slots__ = ("id", "multiplier", "description", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    multiplier: float
    description: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., multiplier: _Optional[float] = ..., description: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateRoutingRuleRequest(_message.Message):
    __slots__ = ("routing_rule",)
    ROUTING_RULE_FIELD_NUMBER: _ClassVar[int]
    routing_rule: RoutingRule
    def __init__(self, routing_rule: _Optional[_Union[RoutingRule, _Mapping]] = ...) -> None: ...

class CreateRoutingRuleResponse(_message.Message):
    __slots__ = ("routing_rule",)
    ROUTING_RULE_FIELD_NUMBER: _ClassVar[int]
    routing_rule: RoutingRule
    def __init__(self, routing_rule: _Optional[_Union[RoutingRule, _Mapping]] = ...) -> None: ...

class GetRoutingRuleRequest(_message.Message):
    __slots__ = ("routing_rule_id",)
    ROUTING_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    routing_rule_id: str
    def __init__(self, routing_rule_id: _Optional[str] = ...) -> None: ...

class GetRoutingRuleResponse(_message.Message):
    __slots__ = ("routing_rule",)
    ROUTING_RULE_FIELD_NUMBER: _ClassVar[int]
    routing_rule: RoutingRule
    def __init__(self, routing_rule: _Optional[_Union[RoutingRule, _Mapping]] = ...) -> None: ...

class ListRoutingRulesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "model_alias")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODEL_ALIAS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    model_alias: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., model_alias: _Optional[str] = ...) -> None: ...

class ListRoutingRulesResponse(_message.Message):
    __slots__ = ("routing_rules", "next_page_token")
    ROUTING_RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    routing_rules: _containers.RepeatedCompositeFieldContainer[RoutingRule]
    next_page_token: str
    def __init__(self, routing_rules: _Optional[_Iterable[_Union[RoutingRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateRoutingRuleRequest(_message.Message):
    __slots__ = ("routing_rule_id", "routing_rule", "update_mask")
    ROUTING_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTING_RULE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    routing_rule_id: str
    routing_rule: RoutingRule
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, routing_rule_id: _Optional[str] = ..., routing_rule: _Optional[_Union[RoutingRule, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateRoutingRuleResponse(_message.Message):
    __slots__ = ("routing_rule",)
    ROUTING_RULE_FIELD_NUMBER: _ClassVar[int]
    routing_rule: RoutingRule
    def __init__(self, routing_rule: _Optional[_Union[RoutingRule, _Mapping]] = ...) -> None: ...

class DeleteRoutingRuleRequest(_message.Message):
    __slots__ = ("routing_rule_id",)
    ROUTING_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    routing_rule_id: str
    def __init__(self, routing_rule_id: _Optional[str] = ...) -> None: ...

class DeleteRoutingRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateModelPriceRequest(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPrice
    def __init__(self, model_price: _Optional[_Union[ModelPrice, _Mapping]] = ...) -> None: ...

class CreateModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPrice
    def __init__(self, model_price: _Optional[_Union[ModelPrice, _Mapping]] = ...) -> None: ...

class GetModelPriceRequest(_message.Message):
    __slots__ = ("model_price_id",)
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    model_price_id: str
    def __init__(self, model_price_id: _Optional[str] = ...) -> None: ...

class GetModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPrice
    def __init__(self, model_price: _Optional[_Union[ModelPrice, _Mapping]] = ...) -> None: ...

class ListModelPricesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "model")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    model: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class ListModelPricesResponse(_message.Message):
    __slots__ = ("model_prices", "next_page_token")
    MODEL_PRICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_prices: _containers.RepeatedCompositeFieldContainer[ModelPrice]
    next_page_token: str
    def __init__(self, model_prices: _Optional[_Iterable[_Union[ModelPrice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateModelPriceRequest(_message.Message):
    __slots__ = ("model_price_id", "model_price", "update_mask")
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    model_price_id: str
    model_price: ModelPrice
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, model_price_id: _Optional[str] = ..., model_price: _Optional[_Union[ModelPrice, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPrice
    def __init__(self, model_price: _Optional[_Union[ModelPrice, _Mapping]] = ...) -> None: ...

class DeleteModelPriceRequest(_message.Message):
    __slots__ = ("model_price_id",)
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    model_price_id: str
    def __init__(self, model_price_id: _Optional[str] = ...) -> None: ...

class DeleteModelPriceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelPriceHistoryRequest(_message.Message):
    __slots__ = ("model_price_id", "page_size", "page_token")
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_price_id: str
    page_size: int
    page_token: str
    def __init__(self, model_price_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListModelPriceHistoryResponse(_message.Message):
    __slots__ = ("model_prices", "next_page_token")
    MODEL_PRICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model_prices: _containers.RepeatedCompositeFieldContainer[ModelPrice]
    next_page_token: str
    def __init__(self, model_prices: _Optional[_Iterable[_Union[ModelPrice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListGroupMultipliersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGroupMultipliersResponse(_message.Message):
    __slots__ = ("group_multipliers", "next_page_token")
    GROUP_MULTIPLIERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    group_multipliers: _containers.RepeatedCompositeFieldContainer[GroupMultiplier]
    next_page_token: str
    def __init__(self, group_multipliers: _Optional[_Iterable[_Union[GroupMultiplier, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateGroupMultiplierRequest(_message.Message):
    __slots__ = ("group_id", "group_multiplier", "update_mask", "allow_missing")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    group_multiplier: GroupMultiplier
    update_mask: _field_mask_pb2.FieldMask
    allow_missing: bool
    def __init__(self, group_id: _Optional[str] = ..., group_multiplier: _Optional[_Union[GroupMultiplier, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class UpdateGroupMultiplierResponse(_message.Message):
    __slots__ = ("group_multiplier",)
    GROUP_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    group_multiplier: GroupMultiplier
    def __init__(self, group_multiplier: _Optional[_Union[GroupMultiplier, _Mapping]] = ...) -> None: ...

class DeleteGroupMultiplierRequest(_message.Message):
    __slots__ = ("group_id",)
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    def __init__(self, group_id: _Optional[str] = ...) -> None: ...

class DeleteGroupMultiplierResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
