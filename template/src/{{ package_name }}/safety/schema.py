"""JSON schemas a client sends (``response_format``, tool parameters): vetted, then linear.

A schema is checked once, before any provider call: it must be a valid draft 2020-12 schema
whose ``$ref`` s point inside it and resolve, with no cycle of references that never reaches the
data (``{"$ref": "#"}`` would recurse forever), and whose regular expressions RE2 accepts.
Validation then matches every regular expression with RE2, whose time is linear in the input:
a pattern such as ``^(a+)+$`` cannot hold the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError

from ..foundation.errors import InvalidRequestError

# Keywords whose value is a schema, a list of schemas or a map of names to schemas.
_ONE = (
    *("additionalProperties", "items", "additionalItems", "contains", "propertyNames", "not"),
    *("if", "then", "else", "unevaluatedItems", "unevaluatedProperties"),
)
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keywords that apply their subschemas to the same value: a cycle through these alone (and
# $ref) never consumes data.
_IN_PLACE = frozenset({"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas"})
# Keywords that change how references resolve; refused so a $ref means one thing.
_RESOLUTION = ("$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef")

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


def _subschemas(schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str, Any]]:
    """(keyword, pointer, subschema) for every direct subschema of ``schema``."""
    for keyword in _ONE:
        if keyword in schema and isinstance(schema[keyword], dict | bool):
            yield keyword, f"{pointer}/{keyword}", schema[keyword]
    for keyword in (*_LIST, "items"):
        if isinstance(schema.get(keyword), list):
            for index, item in enumerate(schema[keyword]):
                yield keyword, f"{pointer}/{keyword}/{index}", item
    for keyword in _MAP:
        if isinstance(schema.get(keyword), dict):
            for name, item in schema[keyword].items():
                yield keyword, f"{pointer}/{keyword}/{_escape(name)}", item


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _resolve(root: Any, ref: str) -> Any:
    """The subschema a local ``$ref`` names; KeyError when it names nothing."""
    node = root
    for part in ref.removeprefix("#").split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(ref)
    return node


def vet(schema: dict[str, Any], param: str) -> None:
    """Refuse ``schema`` with an InvalidRequestError naming ``param`` and the reason."""

    def refuse(reason: str) -> InvalidRequestError:
        return InvalidRequestError(f"{param} {reason}", param=param)

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise refuse(f"is not a valid JSON schema: {exc.message}") from exc
    # Edges between schemas that apply to the same value, by JSON pointer.
    in_place: dict[str, list[str]] = {}
    pending: list[tuple[str, Any]] = [("#", schema)]
    while pending:
        pointer, node = pending.pop()
        if not isinstance(node, dict):
            continue
        edges = in_place.setdefault(pointer, [])
        for keyword in _RESOLUTION:
            if keyword in node:
                raise refuse(f"uses {keyword} at {pointer}; only local $ref (#/...) is supported")
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref != "#" and not ref.startswith("#/"):
                raise refuse(f"has $ref {ref!r} at {pointer}; only local references (#/...) work")
            try:
                _resolve(schema, ref)
            except KeyError:
                raise refuse(f"has $ref {ref!r} at {pointer}, which names nothing") from None
            edges.append(ref)
        patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        patterns += list(node.get("patternProperties") or {})
        for pattern in patterns:
            try:
                _regex(pattern)
            except re2.error as exc:
                raise refuse(
                    f"has pattern {pattern!r} at {pointer} that RE2 rejects: {exc}"
                ) from exc
        if "unevaluatedProperties" in node and "patternProperties" in node:
            raise refuse(f"combines unevaluatedProperties with patternProperties at {pointer}")
        for keyword, child_pointer, child in _subschemas(node, pointer):
            if keyword in _IN_PLACE:
                edges.append(child_pointer)
            pending.append((child_pointer, child))
    cycle = _cycle(in_place)
    if cycle is not None:
        raise refuse(f"has a $ref cycle that never reaches the data: {' -> '.join(cycle)}")


def _cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in the graph, as the pointers along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        if start in state:
            continue
        path = [start]
        iterators = [iter(edges.get(start, ()))]
        state[start] = 1
        while iterators:
            step = next(iterators[-1], None)
            if step is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(step) == 1:
                return [*path[path.index(step) :], step]
            elif step not in state:
                state[step] = 1
                path.append(step)
                iterators.append(iter(edges.get(step, ())))
    return None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _regex(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_ADDITIONAL = Draft202012Validator.VALIDATORS["additionalProperties"]


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if "patternProperties" not in schema or not validator.is_type(instance, "object"):
        yield from _ADDITIONAL(validator, additional, instance, schema)
        return
    known = schema.get("properties", {})
    regexes = [_regex(pattern) for pattern in schema["patternProperties"]]
    extras = [
        key
        for key in instance
        if key not in known and not any(regex.search(key) for regex in regexes)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        yield ValidationError(f"{', '.join(map(repr, sorted(extras)))} not allowed here")


#: Draft 2020-12 with every regular expression matched by RE2.
LinearValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def first_error(schema: dict[str, Any], document: Any) -> str | None:
    """Where and how ``document`` breaks ``schema`` (vetted), or None when it is valid."""
    try:
        error = next(iter(LinearValidator(schema).iter_errors(document)), None)
    except RecursionError:
        return "the document is nested too deeply to check"
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"
