"""Typed reads from a decoded JSON request body, failing the way OpenAI's API does.

OpenAI answers a wrong parameter with a 400 naming its exact path ("messages[0].content")
and a code ("missing_required_parameter", "invalid_type", "invalid_value"); clients and
people debug by that path, so every read here knows where it is in the body. An explicit
``null`` counts as "not sent", as it does upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, overload

from gateway.compat.errors import ProblemError, invalid_request

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def describe(value: Any) -> str:
    """The JSON type of a value, worded as OpenAI words it ("an integer", "an array")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def invalid_type(param: str, expected: str, value: Any) -> ProblemError:
    message = f"Invalid type for '{param}': expected {expected}, but got {describe(value)} instead."
    return invalid_request(message, param=param, code="invalid_type")


def invalid_value(param: str, value: Any, supported: Iterable[str]) -> ProblemError:
    choices = ", ".join(f"'{choice}'" for choice in supported)
    message = f"Invalid value: '{value}'. Supported values are: {choices}."
    return invalid_request(message, param=param, code="invalid_value")


def missing(param: str) -> ProblemError:
    message = f"Missing required parameter: '{param}'."
    return invalid_request(message, param=param, code="missing_required_parameter")


class Fields:
    """One JSON object of the body and its path, with typed getters."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self.data = data
        self.path = path

    @classmethod
    def root(cls, body: Any) -> Fields:
        if not isinstance(body, dict):
            message = f"Invalid request body: expected a JSON object, but got {describe(body)} instead."
            raise invalid_request(message, code="invalid_type")
        return cls(body)

    def param(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _required(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise missing(self.param(key))
        return value

    @overload
    def string(self, key: str, *, required: Literal[True]) -> str: ...
    @overload
    def string(self, key: str, *, required: bool = False) -> str | None: ...
    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self._required(key, required)
        if value is None or isinstance(value, str):
            return value
        raise invalid_type(self.param(key), "a string", value)

    def integer(
        self, key: str, *, required: bool = False, minimum: int = INT32_MIN, maximum: int = INT32_MAX
    ) -> int | None:
        value = self._required(key, required)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid_type(self.param(key), "an integer", value)
        if not minimum <= value <= maximum:
            message = f"Invalid '{self.param(key)}': integer {value} is out of range [{minimum}, {maximum}]."
            raise invalid_request(message, param=self.param(key), code="integer_out_of_range")
        return value

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_type(self.param(key), "a number", value)
        return float(value)

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise invalid_type(self.param(key), "a boolean", value)

    def array(self, key: str, *, required: bool = False) -> list[Any] | None:
        value = self._required(key, required)
        if value is None or isinstance(value, list):
            return value
        raise invalid_type(self.param(key), "an array", value)

    @overload
    def mapping(self, key: str, *, required: Literal[True]) -> dict[str, Any]: ...
    @overload
    def mapping(self, key: str, *, required: bool = False) -> dict[str, Any] | None: ...
    def mapping(self, key: str, *, required: bool = False) -> dict[str, Any] | None:
        value = self._required(key, required)
        if value is None or isinstance(value, dict):
            return value
        raise invalid_type(self.param(key), "an object", value)

    @overload
    def object(self, key: str, *, required: Literal[True]) -> Fields: ...
    @overload
    def object(self, key: str, *, required: bool = False) -> Fields | None: ...
    def object(self, key: str, *, required: bool = False) -> Fields | None:
        value = self.mapping(key, required=required)
        return None if value is None else Fields(value, self.param(key))

    def objects(self, key: str, *, required: bool = False) -> list[Fields]:
        """An array of objects, each with its own path (``tools[2]``)."""
        items = self.array(key, required=required) or []
        found: list[Fields] = []
        for index, item in enumerate(items):
            path = f"{self.param(key)}[{index}]"
            if not isinstance(item, dict):
                raise invalid_type(path, "an object", item)
            found.append(Fields(item, path))
        return found

    def strings(self, key: str) -> list[str]:
        """An array of strings, or one string standing for a one-element array (OpenAI's `stop`)."""
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise invalid_type(self.param(key), "a string or an array of strings", value)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise invalid_type(f"{self.param(key)}[{index}]", "a string", item)
        return list(value)

    def string_map(self, key: str) -> dict[str, str]:
        value = self.mapping(key) or {}
        for name, item in value.items():
            if not isinstance(item, str):
                raise invalid_type(f"{self.param(key)}.{name}", "a string", item)
        return dict(value)

    def unknown(self, known: Iterable[str]) -> dict[str, Any]:
        """Members this gateway does not map, kept so they can travel upstream as they came."""
        names = set(known)
        return {name: value for name, value in self.data.items() if name not in names}
