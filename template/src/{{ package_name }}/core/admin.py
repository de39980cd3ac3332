"""The admin API: spend reports and budget limits (``admin`` role).

``GET /admin/usage`` reports the current day's or month's spend by tenant, user, key and
model from the cost ledger; ``GET /admin/budgets`` lists budget limits; ``PUT /admin/budgets``
creates or changes one. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .budgets import Period, Scope, list_budgets, period_start, set_budget
from .cost import UsageRow, usage_report
from .pipeline import Services
from .principal import Principal, principal_of


def admin(request: Request) -> Principal:
    principal = principal_of(request)
    if "admin" not in principal.roles:
        raise HTTPException(403, "The admin role is required.")
    return principal


AdminDep = Annotated[Principal, Depends(admin)]
router = APIRouter(prefix="/admin", tags=["admin"])


class UsageReport(BaseModel):
    period: Period
    since: datetime
    total_usd: Decimal
    unpriced_requests: int
    rows: list[UsageRow]


class BudgetIn(BaseModel):
    scope: Scope = "tenant"
    tenant: str = Field(min_length=1, max_length=100)
    # The user or key id; for a tenant budget, the tenant itself (may be left out).
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    period: Period = "month"
    limit_usd: Decimal = Field(gt=0)


class BudgetOut(BaseModel):
    scope: Scope
    tenant: str
    subject: str
    period: Period
    limit_usd: Decimal


def report(services: Services, period: Period, tenant: str | None) -> UsageReport:
    since = period_start(period, datetime.now(UTC))
    rows = usage_report(services.engine, since, tenant)
    return UsageReport(
        period=period,
        since=since,
        total_usd=sum((row.cost_usd for row in rows), Decimal(0)),
        unpriced_requests=sum(row.unpriced_requests for row in rows),
        rows=rows,
    )


@router.get("/usage")
async def get_usage(
    request: Request,
    _admin: AdminDep,
    tenant: str | None = None,
    period: Annotated[Period, Query()] = "month",
) -> UsageReport:
    services: Services = request.app.state.services
    return await run_in_threadpool(report, services, period, tenant)


@router.get("/budgets")
async def get_budgets(
    request: Request, _admin: AdminDep, tenant: str | None = None
) -> list[BudgetOut]:
    services: Services = request.app.state.services
    budgets = await run_in_threadpool(list_budgets, services.engine, tenant)
    return [BudgetOut(**vars(budget)) for budget in budgets]


@router.put("/budgets")
async def put_budget(request: Request, _admin: AdminDep, body: BudgetIn) -> BudgetOut:
    services: Services = request.app.state.services
    subject = body.subject or body.tenant
    if body.scope != "tenant" and body.subject is None:
        raise HTTPException(422, f"subject is required for a {body.scope} budget.")
    await run_in_threadpool(
        lambda: set_budget(
            services.engine,
            scope=body.scope,
            tenant=body.tenant,
            subject=subject,
            period=body.period,
            limit_usd=body.limit_usd,
        )
    )
    return BudgetOut(
        scope=body.scope,
        tenant=body.tenant,
        subject=subject,
        period=body.period,
        limit_usd=body.limit_usd,
    )
