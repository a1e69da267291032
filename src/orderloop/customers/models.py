"""Customer accounts of the storefront: sign-in, saved addresses, and which orders are theirs.

Customers are not staff users: they sign in on the shop's pages (their own session key, see
customers/auth.py) and never reach the back office. Guests check out without an account. Only
customers/services.py writes these rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    # Stored lower-case: one account per address.
    email = models.EmailField(_("email"), unique=True)
    password = models.CharField(_("password"), max_length=128)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +380501234567"))
    language = models.CharField(_("language"), max_length=8)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_login = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.email


class Address(models.Model):
    """A saved delivery address; the default one fills in the next checkout."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer")
    )
    name = models.CharField(_("recipient"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="address_one_default_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.line1, self.city, self.country) if part)


class CustomerOrder(models.Model):
    """An order placed while signed in belongs to that account (guests' orders belong to nobody)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="order_links")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="customer_link")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer order")
        verbose_name_plural = _("customer orders")

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.order_id}"
