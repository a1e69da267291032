"""Storefront forms: shapes and lengths only; the rules are the services' (their errors are mapped back
onto these fields by `apply_errors`)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from orderloop.inventory.selectors import country_choices

# Service error keys (orders.services) → the checkout form's fields.
CHECKOUT_FIELDS = {
    "customer.email": "email",
    "customer.phone": "phone",
    "customer.name": "name",
    "customer.language": None,
    "shipping_address.country": "country",
    "shipping_address.region": "region",
    "shipping_address.city": "city",
    "shipping_address.postal_code": "postal_code",
    "shipping_address.line1": "line1",
    "shipping_address.line2": "line2",
    "delivery_method": "delivery_method",
    "payment_method": "payment_method",
    "coupon_code": "coupon_code",
    "comment": "comment",
    "preferred_delivery.date": "preferred_date",
    "preferred_delivery.time_from": "preferred_time_from",
    "preferred_delivery.time_to": "preferred_time_to",
}


def apply_errors(form: forms.Form, details: Mapping[str, object], mapping: Mapping[str, str | None]) -> None:
    """Put a service's field errors next to the fields they name; the rest above the form."""
    for key, message in details.items():
        if not isinstance(message, str):
            continue
        field = mapping.get(key, key if key in form.fields else None)
        if field and field in form.fields:
            form.add_error(field, message)
        elif key != "reason":
            form.add_error(None, message)


class CheckoutForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40)
    name = forms.CharField(label=_("Full name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=())
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    line1 = forms.CharField(label=_("Street and house number"), max_length=200, required=False)
    line2 = forms.CharField(label=_("Apartment, floor (optional)"), max_length=200, required=False)
    delivery_method = forms.CharField(label=_("Delivery"), max_length=40, required=False)
    # The imported pickup point chosen for a pickup-point option (shipping.PickupPoint id).
    pickup_point = forms.IntegerField(label=_("Pickup point"), required=False, min_value=1)
    payment_method = forms.CharField(label=_("Payment"), max_length=40, required=False)
    coupon_code = forms.CharField(label=_("Coupon code"), max_length=40, required=False)
    # The preferred delivery window (door delivery only); the rules are in checkout_place.
    preferred_date = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    preferred_time_from = forms.TimeField(
        label=_("From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 1800}, format="%H:%M"),
    )
    preferred_time_to = forms.TimeField(
        label=_("Until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 1800}, format="%H:%M"),
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    save_address = forms.BooleanField(
        label=_("Save this address for next time"), required=False, initial=True
    )
    checkout_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["country"].choices = country_choices()  # type: ignore[attr-defined]
        self.fields["email"].widget.attrs.update(autocomplete="email", inputmode="email")
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["name"].widget.attrs.update(autocomplete="name")
        self.fields["country"].widget.attrs.update(autocomplete="country")
        self.fields["region"].widget.attrs.update(autocomplete="address-level1")
        self.fields["city"].widget.attrs.update(autocomplete="address-level2")
        self.fields["postal_code"].widget.attrs.update(autocomplete="postal-code")
        self.fields["line1"].widget.attrs.update(autocomplete="address-line1")
        self.fields["line2"].widget.attrs.update(autocomplete="address-line2")


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class AddressForm(forms.Form):
    name = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=())
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    line1 = forms.CharField(label=_("Street and house number"), max_length=200, required=False)
    line2 = forms.CharField(label=_("Apartment, floor (optional)"), max_length=200, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["country"].choices = country_choices()  # type: ignore[attr-defined]
