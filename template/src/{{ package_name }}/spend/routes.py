"""The spend admin API (RFC 9457 problem errors), inside the caller's tenant.

``GET /admin/usage`` reports the current day's or month's spend by user, key and model from the
cost ledger; ``GET /admin/budgets`` lists budget limits; ``PUT /admin/budgets`` creates or
changes one, audited in the same transaction; this replica applies it from its next request,
the others within ``BUDGET_REFRESH_S``. Across tenants, operators use the CLI (``usage``,
``budgets``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ..audit import trail as audit
from ..foundation.inputs import RequiredLabel, Usd
from ..identity.access import TenantScope, own_tenant, require
from ..identity.principal import Principal
from ..services import Services, ServicesDep
from .budgets import Period, Scope, list_budgets, period_start, set_budget
from .cost import UsageRow, usage_report

router = APIRouter(prefix="/admin", tags=["admin"])


class UsageReport(BaseModel):
    period: Period
    since: datetime
    total_usd: Decimal
    unpriced_requests: int
    rows: list[UsageRow]


class BudgetIn(BaseModel):
    scope: Scope = "tenant"
    tenant: RequiredLabel
    # The user or key id; for a tenant budget, the tenant itself (may be left out).
    subject: RequiredLabel | None = None
    period: Period = "month"
    limit_usd: Usd


class BudgetOut(BaseModel):
    scope: Scope
    tenant: str
    subject: str
    period: Period
    limit_usd: Decimal


def report(services: Services, period: Period, tenant: str) -> UsageReport:
    since = period_start(period, datetime.now(UTC))
    rows = usage_report(services.engine, since, TenantScope(tenant))
    return UsageReport(
        period=period,
        since=since,
        total_usd=sum((row.cost_usd for row in rows), Decimal(0)),
        unpriced_requests=sum(row.unpriced_requests for row in rows),
        rows=rows,
    )


@router.get("/usage")
async def get_usage(
    services: ServicesDep,
    principal: Annotated[Principal, require("usage:read")],
    tenant: str | None = None,
    period: Annotated[Period, Query()] = "month",
) -> UsageReport:
    own = own_tenant(principal, tenant)
    return await run_in_threadpool(report, services, period, own)


@router.get("/budgets")
async def get_budgets(
    services: ServicesDep,
    principal: Annotated[Principal, require("budgets:manage")],
    tenant: str | None = None,
) -> list[BudgetOut]:
    own = own_tenant(principal, tenant)
    budgets = await run_in_threadpool(list_budgets, services.engine, TenantScope(own))
    return [BudgetOut(**vars(budget)) for budget in budgets]


@router.put("/budgets")
def put_budget(
    request: Request,
    services: ServicesDep,
    principal: Annotated[Principal, require("budgets:manage")],
    body: BudgetIn,
) -> BudgetOut:
    own_tenant(principal, body.tenant)
    subject = body.subject or body.tenant
    if body.scope != "tenant" and body.subject is None:
        raise HTTPException(422, f"subject is required for a {body.scope} budget.")
    budget = BudgetOut(
        scope=body.scope,
        tenant=body.tenant,
        subject=subject,
        period=body.period,
        limit_usd=body.limit_usd,
    )
    with audit.transaction(services.engine, body.tenant) as session:
        set_budget(session, **vars(budget))
        details = budget.model_dump(mode="json", exclude={"tenant"})
        audit.append(
            session, audit.admin_entry(request, principal, "budgets.set", **details), services.audit
        )
    services.limits.budgets.forget(body.tenant)  # this replica applies it from the next request
    return budget
