"""Bounded input types: what a client may send, limited to what storage and arithmetic hold.

Every route's request model is built from these, so bad input is a 4xx naming the field before
any provider call, charge or write: text must be valid Unicode (no lone surrogates, which cannot
be encoded), labels (names, ids, subjects) are short and free of control characters such as
NUL (which PostgreSQL cannot store), numbers fit their columns, JSON documents nested in a
request are bounded in depth and size.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

#: Largest token count a request may ask for (above every model's context window).
MAX_TOKENS = 1_000_000
#: Largest money amount: what a ``Numeric(18, 9)`` column holds, rounded down.
MAX_USD = Decimal("999999999")
#: Longest key lifetime, budget window and similar durations, in days.
MAX_DAYS = 36_500
#: Depth and number of values of a JSON document inside a request (tool parameters, schemas).
MAX_DEPTH = 32
MAX_VALUES = 10_000

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def checked_text(value: str) -> str:
    """``value`` when it is valid Unicode text; raises ValueError on a lone surrogate."""
    if not value.isascii() and _SURROGATE.search(value):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    return value


def checked_label(value: str) -> str:
    """``value`` when it is printable text; raises ValueError on control characters."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters such as NUL or newlines")
    return checked_text(value)


def checked_document(value: Any) -> Any:
    """``value`` when it is a bounded JSON document of valid text, else ValueError."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    seen = 0
    while pending:
        node, depth = pending.pop()
        seen += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"must not be nested deeper than {MAX_DEPTH} levels")
        if seen > MAX_VALUES:
            raise ValueError(f"must hold at most {MAX_VALUES} values")
        if isinstance(node, dict):
            for key, item in node.items():
                checked_text(key)
                pending.append((item, depth + 1))
        elif isinstance(node, list):
            pending.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            checked_text(node)
    return value


#: Free text: message content, descriptions, stop sequences.
Text = Annotated[str, AfterValidator(checked_text)]
#: A short printable string: names, ids, subjects, tenants.
Label = Annotated[str, StringConstraints(max_length=200), AfterValidator(checked_label)]
#: A non-empty label.
RequiredLabel = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(checked_label)
]
#: A JSON object a client sends for the service to pass on or interpret.
Document = Annotated[dict[str, Any], AfterValidator(checked_document)]
TokenCount = Annotated[int, Field(ge=1, le=MAX_TOKENS)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
#: A positive amount of US dollars with at most nine decimal places.
Usd = Annotated[Decimal, Field(gt=0, le=MAX_USD, decimal_places=9, allow_inf_nan=False)]
#: A 64-bit signed integer, what providers accept for ``seed``.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
