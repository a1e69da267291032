"""Reads of customer accounts. Never write."""

from __future__ import annotations

from django.db.models import QuerySet

from orderloop.orders.models import Order

from .models import Address, Customer


def customer_by_id(customer_id: object) -> Customer | None:
    if not isinstance(customer_id, int):
        return None
    return Customer.objects.filter(pk=customer_id, is_active=True).first()


def customer_addresses(*, customer: Customer) -> QuerySet[Address]:
    return Address.objects.filter(customer=customer).order_by("-is_default", "-id")


def default_address(*, customer: Customer) -> Address | None:
    return customer_addresses(customer=customer).first()


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    return (
        Order.objects.filter(customer_link__customer=customer)
        .select_related("delivery_method", "payment_method")
        .order_by("-id")
    )
