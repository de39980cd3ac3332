"""Cost: what a request costs in USD, from the provider's token usage and the target's prices.

Prices come from the target in ``config/models.yaml`` or, when it sets none, from the dated
table in ``config/prices.yaml``. Prompt tokens served from the provider's cache are billed at
the cached price (the input price when none is known); reasoning tokens are part of the
completion tokens and billed as output. A target with no known price costs ``None``: the
ledger, the log and ``llm_unpriced_requests_total`` flag it instead of counting $0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, func, select

from ..foundation.configfile import invalid, read_yaml
from ..gateway.catalog import Catalog, FakeTarget, ProviderTarget
from ..gateway.providers.base import TokenUsage
from ..identity.access import Tenancy
from ..spend.models import LedgerEntry

MILLION = Decimal(1_000_000)
NANO = Decimal("0.000000001")


class _ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    output: float = Field(ge=0)


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date
    models: dict[str, dict[str, _ModelPrice]]


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input: Decimal
    cached_input: Decimal
    output: Decimal


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def load_price_table(path: Path) -> PriceTable:
    """Read and validate the price table; raise ConfigError naming the file and the field."""
    data = read_yaml(path, "price table")
    try:
        return PriceTable.model_validate(data)
    except ValidationError as exc:
        raise invalid(path, exc) from exc


class PriceBook:
    """Resolves a target's price: its own prices first, then the table."""

    def __init__(self, catalog: Catalog, table: PriceTable) -> None:
        self.table = table
        self._prices = {name: self._resolve(target) for name, target in catalog.targets.items()}

    def _resolve(self, target: FakeTarget | ProviderTarget) -> Price | None:
        listed = self.table.models.get(target.provider, {}).get(target.model)
        input_price = target.input_price_per_1m
        output_price = target.output_price_per_1m
        cached_price = target.cached_input_price_per_1m
        if listed is not None:
            input_price = listed.input if input_price is None else input_price
            output_price = listed.output if output_price is None else output_price
            if cached_price is None and target.input_price_per_1m is None:
                cached_price = listed.cached_input
        if input_price is None or output_price is None:
            return None
        cached = input_price if cached_price is None else cached_price
        return Price(_decimal(input_price), _decimal(cached), _decimal(output_price))

    def price(self, target: str) -> Price | None:
        return self._prices.get(target)

    def unpriced(self) -> list[str]:
        return sorted(name for name, price in self._prices.items() if price is None)


def cost_usd(price: Price | None, usage: TokenUsage) -> Decimal | None:
    """The request's cost, exact to the nano-dollar; None when the price is unknown."""
    if price is None:
        return None
    cached = min(usage.cached, usage.prompt)
    total = (
        (usage.prompt - cached) * price.input
        + cached * price.cached_input
        + usage.completion * price.output
    ) / MILLION
    return total.quantize(NANO)


def max_cost_usd(price: Price | None, prompt_tokens: int, output_tokens: int) -> Decimal:
    """The most a call can cost: every prompt token uncached, every output token used."""
    if price is None:
        return Decimal(0)
    total = (prompt_tokens * price.input + output_tokens * price.output) / MILLION
    return total.quantize(NANO, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class UsageRow:
    tenant: str
    user: str
    key_id: str | None
    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    unpriced_requests: int


def usage_report(engine: Engine, since: datetime, within: Tenancy) -> list[UsageRow]:
    """Spend since ``since`` by tenant, user, key and model, from the cost ledger: of one
    tenant, or of every tenant for the operator (``AllTenants``)."""
    keys = (LedgerEntry.tenant_id, LedgerEntry.user, LedgerEntry.key_id, LedgerEntry.model)
    query = (
        select(
            *keys,
            func.count(),
            func.coalesce(func.sum(LedgerEntry.prompt_tokens), 0),
            func.coalesce(func.sum(LedgerEntry.completion_tokens), 0),
            func.coalesce(func.sum(LedgerEntry.cost_usd), 0),
            func.count() - func.count(LedgerEntry.cost_usd),
        )
        .where(within.where(LedgerEntry), LedgerEntry.created_at >= since)
        .group_by(*keys)
        .order_by(*keys)
    )
    with within.session(engine) as session:
        rows = session.execute(query).all()
    return [
        UsageRow(
            tenant=row[0],
            user=row[1],
            key_id=row[2],
            model=row[3],
            requests=int(row[4]),
            prompt_tokens=int(row[5]),
            completion_tokens=int(row[6]),
            cost_usd=Decimal(row[7] or 0).quantize(NANO),
            unpriced_requests=int(row[8]),
        )
        for row in rows
    ]
