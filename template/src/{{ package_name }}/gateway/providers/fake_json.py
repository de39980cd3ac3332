"""JSON documents valid against a client's JSON schema, for the offline provider.

``instance(schema, seed)`` builds one from the schema's keywords (types, properties, items,
bounds, lengths, formats, patterns, enum/const, ``anyOf``/``oneOf``/``allOf``, local ``$ref``s)
with values drawn from ``seed``: the same schema and seed give the same document. Optional
fields are filled in near the root only and recursive references are followed a few levels
deep, so recursive schemas end. Values are checked with jsonschema's draft 2020-12 validator;
of ``anyOf``/``oneOf`` the first branch that yields a valid value wins. A schema it cannot
satisfy (a ``pattern`` with lookarounds, say) yields its best attempt, which the output
guardrail then refuses as it would a real model's wrong answer.
"""

from __future__ import annotations

import importlib
import math
import random
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from jsonschema import Draft202012Validator

# Deeper than this, objects get their required properties only and arrays their minItems.
FULL_DEPTH = 3
# How often one $ref may appear on the path from the root: bounds recursive schemas.
MAX_REF_REPEATS = 3
MAX_DEPTH = 32
ATTEMPTS = 4
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
# `re`'s own parser, to build strings that match a `pattern` (it has no public equivalent).
_sre: Any = importlib.import_module("re._parser")


class UnsatisfiableError(Exception):
    """No value found for this (sub)schema: the caller tries its next option."""


def instance(schema: dict[str, Any] | bool, seed: int) -> Any:
    """A document valid against ``schema`` when one is found, derived from ``seed``."""
    validator = Draft202012Validator(schema)
    value: Any = {}
    for attempt in range(ATTEMPTS):
        builder = _Builder(validator, random.Random(seed + attempt))  # noqa: S311
        try:
            value = builder.value(schema)
        except (UnsatisfiableError, RecursionError):
            continue
        if builder.valid(value, schema):
            break
    return value


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """One schema asking for what both ask for, as far as this module reads them."""
    merged = dict(base)
    for key, value in extra.items():
        if key not in merged:
            merged[key] = value
        elif key == "properties":
            both = merged[key].keys() & value.keys()
            merged[key] = {**merged[key], **value}
            for name in both:
                merged[key][name] = {"allOf": [base[key][name], value[name]]}
        elif key == "required":
            merged[key] = [*merged[key], *(name for name in value if name not in merged[key])]
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            merged[key] = max(merged[key], value)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            merged[key] = min(merged[key], value)
        elif key == "type":
            mine, theirs = _numbers(_types(merged)), _numbers(_types({"type": value}))
            merged[key] = [kind for kind in TYPES if kind in mine and kind in theirs]
        elif key in ("allOf", "anyOf", "oneOf"):
            merged["allOf"] = [*merged.get("allOf", []), {key: value}]
        else:
            merged[key] = value
    return merged


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", list(TYPES))
    return [kind] if isinstance(kind, str) else list(kind)


def _numbers(types: list[str]) -> set[str]:
    """The types, with ``integer`` added where ``number`` allows it."""
    return {*types, "integer"} if "number" in types else set(types)


class _Builder:
    def __init__(self, validator: Draft202012Validator, rng: random.Random) -> None:
        self.validator = validator
        self.root = validator.schema
        self.rng = rng
        self.refs: list[str] = []

    def valid(self, value: Any, schema: dict[str, Any] | bool) -> bool:
        try:
            return self.validator.evolve(schema=schema).is_valid(value)
        except re.error:  # a pattern Python's `re` does not read: this value is unconfirmed
            return False

    def value(self, schema: dict[str, Any] | bool, name: str = "value", depth: int = 0) -> Any:
        if schema is False or depth > MAX_DEPTH:
            raise UnsatisfiableError
        if schema is True or not schema:
            return f"{name}-{self.rng.randrange(16**4):04x}"
        assert isinstance(schema, dict)  # noqa: S101 - narrowed for mypy
        if "$ref" in schema:
            return self._ref(schema, name, depth)
        if "allOf" in schema:
            merged = {key: value for key, value in schema.items() if key != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, self._resolve(part))
            return self.value(merged, name, depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._branch(schema, key, name, depth)
        if "const" in schema:
            return schema["const"]
        for example in schema.get("examples", []):
            if self.valid(example, schema):
                return example
        if "enum" in schema:
            allowed = [item for item in schema["enum"] if self.valid(item, schema)]
            if not allowed:
                raise UnsatisfiableError
            return allowed[self.rng.randrange(len(allowed))]
        for kind in self._kinds(schema):
            try:
                return self._typed(kind, schema, name, depth)
            except UnsatisfiableError:
                continue
        raise UnsatisfiableError

    def _resolve(self, schema: dict[str, Any] | bool) -> dict[str, Any]:
        """A schema with its top-level ``$ref`` replaced by what it points at."""
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if "$ref" not in schema:
            return schema
        target = self._pointer(schema["$ref"])
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        return _merge(self._resolve(target), rest) if rest else self._resolve(target)

    def _pointer(self, ref: str) -> dict[str, Any] | bool:
        if not ref.startswith("#"):
            raise UnsatisfiableError
        node: Any = self.root
        for part in ref[1:].lstrip("/").split("/") if ref[1:] else []:
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise UnsatisfiableError from None
        if not isinstance(node, dict | bool):
            raise UnsatisfiableError
        return node

    def _ref(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        ref = schema["$ref"]
        if self.refs.count(ref) >= MAX_REF_REPEATS:
            raise UnsatisfiableError
        self.refs.append(ref)
        try:
            return self.value(self._resolve(schema), name, depth + 1)
        finally:
            self.refs.pop()

    def _branch(self, schema: dict[str, Any], key: str, name: str, depth: int) -> Any:
        rest = {k: v for k, v in schema.items() if k != key}
        branches = schema[key]
        for branch in branches:
            try:
                value = self.value(_merge(rest, self._resolve(branch)), name, depth + 1)
            except UnsatisfiableError:
                continue
            if not self.valid(value, schema):
                continue
            if key == "oneOf" and sum(self.valid(value, other) for other in branches) != 1:
                continue
            return value
        raise UnsatisfiableError

    def _kinds(self, schema: dict[str, Any]) -> list[str]:
        if "type" in schema:
            return sorted(_types(schema), key=lambda kind: kind == "null")
        if {"properties", "required", "additionalProperties"} & schema.keys():
            return ["object"]
        if {"items", "prefixItems", "minItems", "maxItems"} & schema.keys():
            return ["array"]
        if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & schema.keys():
            return ["integer" if float(schema.get("multipleOf", 1)).is_integer() else "number"]
        return ["string"]

    def _typed(self, kind: str, schema: dict[str, Any], name: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "string":
            return self._string(schema, name)
        if kind in ("integer", "number"):
            return self._number(schema, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        raise UnsatisfiableError

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required: list[str] = schema.get("required", [])
        extra = schema.get("additionalProperties", True)
        full = self._full(depth)
        limit = schema.get("maxProperties", math.inf)
        result: dict[str, Any] = {}
        for key in required:
            if key in properties:
                result[key] = self.value(properties[key], key, depth + 1)
            elif extra is not False:
                result[key] = self.value(extra, key, depth + 1)
            else:
                raise UnsatisfiableError
        for key, sub in properties.items():
            if key in result or not full or len(result) >= limit:
                continue
            try:
                result[key] = self.value(sub, key, depth + 1)
            except UnsatisfiableError:
                continue
        count = 0
        while len(result) < schema.get("minProperties", 0) and extra is not False:
            count += 1
            key = f"extra_{count}"
            if key not in result:
                result[key] = self.value(extra, key, depth + 1)
        return result

    def _full(self, depth: int) -> bool:
        """Near the root and outside recursion: fill optional fields, not just required ones."""
        return depth <= FULL_DEPTH and len(set(self.refs)) == len(self.refs)

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        prefix: list[Any] = schema.get("prefixItems", [])
        items = schema.get("items", True)
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", math.inf)
        if items is False:
            high = min(high, len(prefix))
        target = max(2, len(prefix)) if self._full(depth) else 0
        count = max(low, min(target, high))
        if count > high:
            raise UnsatisfiableError
        item = name[:-1] if name.endswith("s") and len(name) > 1 else "item"
        result: list[Any] = []
        if "contains" in schema and count > 0:
            result.append(
                self.value(
                    _merge(self._resolve(items), self._resolve(schema["contains"])), item, depth + 1
                )
            )
        while len(result) < count:
            index = len(result)
            sub = prefix[index] if index < len(prefix) else items
            value = self.value(sub, item, depth + 1)
            if schema.get("uniqueItems") and value in result:
                raise UnsatisfiableError
            result.append(value)
        return result

    def _string(self, schema: dict[str, Any], name: str) -> str:
        low: int = schema.get("minLength", 0)
        high: float = schema.get("maxLength", math.inf)
        if low > high:
            raise UnsatisfiableError
        pattern = schema.get("pattern")
        if pattern is not None:
            for _ in range(ATTEMPTS):
                text = _matching(pattern, self.rng)
                if text is not None and low <= len(text) <= high:
                    return text
            raise UnsatisfiableError
        word = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "value"
        text = self._formatted(schema.get("format"), word)
        if text is not None and low <= len(text) <= high:
            return text
        text = f"{word}-{self.rng.randrange(16**4):04x}"
        if len(text) > high:
            text = text[: int(high)].rstrip("-")
        return text + "x" * (low - len(text))

    def _formatted(self, kind: Any, name: str) -> str | None:
        moment = EPOCH + timedelta(seconds=self.rng.randrange(365 * 24 * 3600))
        number = self.rng.randrange(1, 255)
        formats = {
            "date": moment.date().isoformat(),
            "date-time": moment.isoformat().replace("+00:00", "Z"),
            "time": moment.time().isoformat() + "Z",
            "email": f"{name}.{number}@example.com",
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "uri": f"https://example.com/{name}/{number}",
            "hostname": f"host-{number}.example.com",
            "ipv4": f"192.0.2.{number}",
            "ipv6": f"2001:db8::{number:x}",
        }
        return formats.get(kind) if isinstance(kind, str) else None

    def _number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        step = Fraction(str(schema.get("multipleOf", 1 if integer else "0.01")))
        if integer and step.denominator != 1:
            step = Fraction(step.numerator)  # the least integer multiple of the step
        lows = [Fraction(str(schema[k])) for k in ("minimum", "exclusiveMinimum") if k in schema]
        highs = [Fraction(str(schema[k])) for k in ("maximum", "exclusiveMaximum") if k in schema]
        low = max(lows) if lows else None
        high = min(highs) if highs else None
        if low is None:
            low = Fraction(0) if high is None or high > 0 else high - 100 * step
        if high is None:
            high = (low if low > 0 else Fraction(0)) + 100 * step
        if not integer and "multipleOf" not in schema and 0 < high - low < 100 * step:
            step = (high - low) / 100
        first, last = math.ceil(low / step), math.floor(high / step)
        start = first + self.rng.randrange(max(1, last - first - 62))
        candidates = list(range(start, min(last, start + 63) + 1))
        self.rng.shuffle(candidates)
        for multiple in candidates:
            picked = step * multiple
            value: int | float = int(picked) if integer else float(picked)
            if self.valid(value, schema):
                return value
        raise UnsatisfiableError


_CATEGORIES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "CATEGORY_DIGIT": ("0123456789", str.isdigit),
    "CATEGORY_NOT_DIGIT": ("a", lambda char: not char.isdigit()),
    "CATEGORY_WORD": ("abcxyz", lambda char: char.isalnum() or char == "_"),
    "CATEGORY_NOT_WORD": ("-", lambda char: not (char.isalnum() or char == "_")),
    "CATEGORY_SPACE": (" ", str.isspace),
    "CATEGORY_NOT_SPACE": ("a", lambda char: not char.isspace()),
}


def _matching(pattern: str, rng: random.Random) -> str | None:
    """A string ``re.search(pattern, ...)`` finds, or None for a pattern this cannot follow."""
    try:
        text = _sample(_sre.parse(pattern), rng, {})
    except (UnsatisfiableError, re.error, RecursionError):
        return None
    return text if re.search(pattern, text) else None


def _sample(parsed: Any, rng: random.Random, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, arg in parsed:
        kind = str(op)
        if kind == "LITERAL":
            out.append(chr(arg))
        elif kind == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif kind == "ANY":
            out.append("a")
        elif kind == "IN":
            out.append(_in_class(arg, rng))
        elif kind == "CATEGORY":
            out.append(_category_char(str(arg), rng))
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = rng.randint(low, min(high, low + 3)) if low < 8 else low
            out.extend(_sample(sub, rng, groups) for _ in range(count))
        elif kind == "SUBPATTERN":
            text = _sample(arg[-1], rng, groups)
            if arg[0] is not None:
                groups[arg[0]] = text
            out.append(text)
        elif kind == "ATOMIC_GROUP":
            out.append(_sample(arg, rng, groups))
        elif kind == "BRANCH":
            out.append(_sample(arg[1][rng.randrange(len(arg[1]))], rng, groups))
        elif kind == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif kind != "AT":
            raise UnsatisfiableError
    return "".join(out)


def _category_char(category: str, rng: random.Random) -> str:
    if category not in _CATEGORIES:
        raise UnsatisfiableError
    chars = _CATEGORIES[category][0]
    return chars[rng.randrange(len(chars))]


def _in_class(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    """A character of a ``[...]`` class."""
    if items and str(items[0][0]) == "NEGATE":
        for char in "aZ0_-x ":
            if not any(_in_item(char, op, arg) for op, arg in items[1:]):
                return char
        raise UnsatisfiableError
    op, arg = items[rng.randrange(len(items))]
    kind = str(op)
    if kind == "LITERAL":
        return chr(arg)
    if kind == "RANGE":
        low, high = max(arg[0], 0x21), min(arg[1], 0x7E)  # printable ASCII where it can
        return chr(rng.randint(low, high) if low <= high else arg[0])
    if kind == "CATEGORY":
        return _category_char(str(arg), rng)
    raise UnsatisfiableError


def _in_item(char: str, op: Any, arg: Any) -> bool:
    kind = str(op)
    if kind == "LITERAL":
        return char == chr(arg)
    if kind == "RANGE":
        return bool(arg[0] <= ord(char) <= arg[1])
    if kind == "CATEGORY" and str(arg) in _CATEGORIES:
        return _CATEGORIES[str(arg)][1](char)
    return True
