"""The calculator built-in: arithmetic over a parsed expression tree, never ``eval``.

Only number literals, the arithmetic operators, parentheses, a few named constants
and math functions are accepted; anything else (names, attributes, calls of other
things, subscripts, comprehensions) is refused before evaluation. Powers and
intermediate results are bounded so an expression cannot exhaust memory or CPU.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from orchestrator.tools.errors import ToolError

__all__ = ["MAX_EXPRESSION_CHARS", "PARAMETERS", "evaluate", "run"]

MAX_EXPRESSION_CHARS = 500
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 10**300
MAX_DEPTH = 50

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "expression": {
            "type": "string",
            "description": "Arithmetic, e.g. '(2 + 3) * 4 / 7', 'sqrt(2) ** 3', '17 // 5', '2 % 3'.",
            "minLength": 1,
            "maxLength": MAX_EXPRESSION_CHARS,
        }
    },
    "required": ["expression"],
    "additionalProperties": False,
}

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "min": min,
    "max": max,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def _check_size(value: Number) -> Number:
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolError("the result is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise ToolError("the result is too large")
    return value


def _power(base: Number, exponent: Number) -> Number:
    if abs(exponent) > MAX_EXPONENT:
        raise ToolError(f"exponents are limited to ±{MAX_EXPONENT}")
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        if base not in (0, 1, -1) and exponent * math.log10(abs(base)) > 300:
            raise ToolError("the result is too large")
    try:
        return _check_size(operator.pow(base, exponent))
    except OverflowError:
        raise ToolError("the result is too large") from None


def _eval(node: ast.AST, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise ToolError("the expression is nested too deeply")
    if isinstance(node, ast.Expression):
        return _eval(node.body, depth + 1)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ToolError("only numbers are allowed")
        return _check_size(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, depth + 1))  # type: ignore[no-any-return]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, depth + 1), _eval(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        try:
            return _check_size(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ToolError("division by zero") from None
        except OverflowError:
            raise ToolError("the result is too large") from None
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        if node.keywords or not node.args or len(node.args) > 2:
            raise ToolError(f"{node.func.id}() takes one or two numbers")
        args = [_eval(a, depth + 1) for a in node.args]
        try:
            return _check_size(_FUNCTIONS[node.func.id](*args))
        except OverflowError:
            raise ToolError("the result is too large") from None
        except (ValueError, TypeError) as exc:
            raise ToolError(f"{node.func.id}(): {exc}") from None
    if isinstance(node, ast.Name):
        raise ToolError(f"unknown name {node.id!r}")
    raise ToolError(f"{type(node).__name__} is not allowed in an expression")


def evaluate(expression: str) -> Number:
    """The value of ``expression``, or ToolError saying what is wrong with it."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"expressions are limited to {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ToolError("not a valid arithmetic expression") from None
    return _eval(tree, 0)


def _format(value: Number) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


async def run(arguments: dict[str, Any]) -> str:
    expression = str(arguments["expression"])
    return f"{expression} = {_format(evaluate(expression))}"
