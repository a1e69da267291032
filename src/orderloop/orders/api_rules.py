"""API of the order rules: risk flags and their review, SLA state.

Mount with `api.add_router("/orders", rules_router)` (api/main.py):
- GET  /api/v1/orders/{number}/risk         → flags (code, params, message), review and SLA state
- POST /api/v1/orders/{number}/review-risk  → a manager accepts the flags; 409 risk_not_flagged /
  risk_already_reviewed, 403 for roles that may not review
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from orderloop.core.api_auth import require_perm

from . import risk, selectors, services
from .models import Order

router = Router(tags=["orders"])


class RiskFlagOut(Schema):
    code: str
    params: dict[str, Any]
    message: str


class OrderRulesOut(Schema):
    number: str
    status: str
    risk_flags: list[RiskFlagOut]
    risk_review_required: bool
    risk_reviewed_at: datetime | None
    risk_reviewed_by: str | None
    sla_breached_at: datetime | None
    sla_rule: str | None


class ReviewRiskIn(Schema):
    note: str = ""


def rules_out(order: Order) -> OrderRulesOut:
    return OrderRulesOut(
        number=order.number,
        status=order.status,
        risk_flags=[RiskFlagOut(**flag) for flag in risk.flag_messages(order.risk_flags)],
        risk_review_required=risk.needs_review(order.risk_flags, order.risk_reviewed_at),
        risk_reviewed_at=order.risk_reviewed_at,
        risk_reviewed_by=order.risk_reviewed_by.get_username() if order.risk_reviewed_by else None,
        sla_breached_at=order.sla_breached_at,
        sla_rule=order.sla_rule or None,
    )


def _rules(order_id: int) -> OrderRulesOut:
    return rules_out(Order.objects.select_related("risk_reviewed_by").get(pk=order_id))


@router.get("/{number}/risk", response=OrderRulesOut, summary="Risk flags and SLA state of an order")
def order_rules(request: HttpRequest, number: str) -> OrderRulesOut:
    require_perm(request, "orders.view_order")
    return _rules(selectors.order_id_by_number(number))


@router.post(
    "/{number}/review-risk",
    response=OrderRulesOut,
    summary="Review an order's risk flags",
    description="A manager confirms a flagged order may go to the warehouse; recorded on the timeline.",
)
def order_review_risk(request: HttpRequest, number: str, payload: ReviewRiskIn) -> OrderRulesOut:
    require_perm(request, "orders.view_order")
    order = services.order_review_risk(
        order_id=selectors.order_id_by_number(number), actor=request.user, note=payload.note
    )
    return _rules(order.pk)
