"""Back-office order forms. They parse and check input shape; the services apply the rules and the views
turn a service's DomainError back into errors next to the fields it names (`add_service_error`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import DomainError, InvalidInput
from orderloop.inventory.selectors import country_choices, warehouses

from . import selectors
from .models import Channel, OrderStatus, Priority
from .selectors import FIRST_BUYER, GROUPINGS, REPEAT_BUYER, UNASSIGNED, OrderFilters

MINE = "mine"
YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def add_service_error(form: forms.Form, exc: DomainError, field_map: Mapping[str, str] | None = None) -> None:
    """Show a service's refusal on `form`: each detail next to the field it names (service keys are
    translated through `field_map`, e.g. "customer.phone" → "customer_phone"), else as a form error."""
    placed = False
    if isinstance(exc, InvalidInput):
        for key, message in exc.details.items():
            name = (field_map or {}).get(str(key), str(key))
            if name in form.fields:
                form.add_error(name, str(message))
                placed = True
    if not placed:
        form.add_error(None, exc.message)


def _choices_with_blank(choices: Any, blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *choices]


# --- The order list --------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    """The list's query string. Every field is optional; an invalid one is ignored (and shown)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(label=_("Status"), required=False, choices=OrderStatus.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    manager = forms.ChoiceField(label=_("Manager"), required=False)
    delivery = forms.ChoiceField(label=_("Delivery method"), required=False)
    buyer = forms.ChoiceField(
        label=_("Buyer"),
        required=False,
        choices=[("", _("Any")), (FIRST_BUYER, _("First order")), (REPEAT_BUYER, _("Repeat buyer"))],
    )
    on_hold = forms.ChoiceField(label=_("On hold"), required=False, choices=YES_NO)
    sla = forms.ChoiceField(label=_("SLA breached"), required=False, choices=YES_NO)
    delivery_failed = forms.ChoiceField(label=_("Delivery failed"), required=False, choices=YES_NO)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=DATE_INPUT)
    created_to = forms.DateField(label=_("Created until"), required=False, widget=DATE_INPUT)
    closed_from = forms.DateField(label=_("Closed from"), required=False, widget=DATE_INPUT)
    closed_to = forms.DateField(label=_("Closed until"), required=False, widget=DATE_INPUT)
    country = forms.ChoiceField(label=_("Country"), required=False)
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=_("Order by"),
        required=False,
        choices=[("", _("Newest first")), ("express", _("Express first, then oldest"))],
    )
    group = forms.ChoiceField(label=_("Group by"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["channel"].choices = _choices_with_blank(Channel.choices, _("All channels"))
        fields["priority"].choices = _choices_with_blank(Priority.choices, _("Any priority"))
        fields["manager"].choices = [
            ("", _("Anyone")),
            (MINE, _("Mine")),
            (UNASSIGNED, _("Unassigned")),
            *[(user.get_username(), user.get_username()) for user in selectors.order_managers()],
        ]
        fields["delivery"].choices = _choices_with_blank(
            [(m.code, m.display_name) for m in selectors.delivery_methods(active_only=False)],
            _("Any delivery"),
        )
        fields["country"].choices = _choices_with_blank(country_choices(), _("Any country"))
        labels = {
            "status": _("Status"),
            "channel": _("Channel"),
            "delivery": _("Delivery method"),
            "manager": _("Manager"),
            "priority": _("Priority"),
            "date": _("Date"),
        }
        fields["group"].choices = _choices_with_blank([(g, labels[g]) for g in GROUPINGS], _("No grouping"))
        if not selectors.order_has_field("sla_breached_at"):
            del fields["sla"]

    def data_value(self, name: str) -> Any:
        """A cleaned value, or empty when the field is missing or invalid."""
        cleaned = getattr(self, "cleaned_data", {})
        return cleaned.get(name) or None

    def filters(self, *, username: str) -> OrderFilters:
        value = self.data_value
        manager = value("manager")
        yes_no = {"yes": True, "no": False}
        return OrderFilters(
            statuses=list(value("status") or []),
            channel=value("channel"),
            priority=value("priority"),
            manager=username if manager == MINE else manager,
            on_hold=yes_no.get(value("on_hold") or ""),
            created_from=value("created_from"),
            created_to=value("created_to"),
            q=value("q"),
            delivery_methods=[value("delivery")] if value("delivery") else [],
            buyer=value("buyer"),
            closed_from=value("closed_from"),
            closed_to=value("closed_to"),
            country=value("country"),
            region=value("region"),
            sla_breached=yes_no.get(value("sla") or ""),
            delivery_failed=yes_no.get(value("delivery_failed") or ""),
        )


class SaveViewForm(forms.Form):
    name = forms.CharField(label=_("View name"), max_length=100)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)


# --- The order card ----------------------------------------------------------------------------------

CANCEL_REASONS = [
    _("Customer asked to cancel"),
    _("Customer unreachable"),
    _("Out of stock"),
    _("Duplicate order"),
    _("Suspected fraud"),
]


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.TextInput(attrs={"list": "cancel-reasons", "autocomplete": "off"}),
        error_messages={"required": _("A reason is required to cancel an order.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)


class ReleaseForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class AssignForm(forms.Form):
    manager = forms.ChoiceField(label=_("Responsible manager"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["manager"]
        field.choices = [
            ("", _("Nobody")),
            *[(user.get_username(), user.get_username()) for user in selectors.order_managers()],
        ]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewRiskForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(OrderStatus.choices)
        field: Any = self.fields["to"]
        field.choices = [(status, labels[status]) for status in allowed]


# --- Manual (phone) order entry ----------------------------------------------------------------------

# Service error keys → form fields (order_place names fields as the API does).
PLACE_FIELD_MAP = {
    "customer.name": "customer_name",
    "customer.phone": "customer_phone",
    "customer.email": "customer_email",
    "customer.language": "customer_language",
    "shipping_address.country": "country",
    "shipping_address.region": "region",
    "shipping_address.city": "city",
    "shipping_address.postal_code": "postal_code",
    "shipping_address.line1": "line1",
    "shipping_address.line2": "line2",
    "delivery_method": "delivery_method",
    "payment_method": "payment_method",
    "priority": "priority",
    "preferred_delivery.date": "preferred_date",
    "preferred_delivery.time_from": "preferred_time_from",
    "preferred_delivery.time_to": "preferred_time_to",
    "comment": "comment",
}

CUSTOMER_FIELDS = ("customer_phone", "customer_email", "customer_name", "customer_language")
ADDRESS_FIELDS = ("country", "region", "city", "postal_code", "line1", "line2")
DELIVERY_FIELDS = (
    "delivery_method",
    "payment_method",
    "priority",
    "preferred_date",
    "preferred_time_from",
    "preferred_time_to",
)


def default_country() -> str:
    first = warehouses(active_only=True).values_list("country", flat=True).first()
    return first or "UA"


class PhoneOrderForm(forms.Form):
    customer_phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        help_text=_("Type a phone number to find the customer's earlier orders."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    customer_email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    customer_name = forms.CharField(label=_("Name"), max_length=200)
    customer_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    country = forms.ChoiceField(label=_("Country"))
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    line1 = forms.CharField(label=_("Address line 1"), required=False, max_length=200)
    line2 = forms.CharField(label=_("Address line 2"), required=False, max_length=200)
    delivery_method = forms.ChoiceField(label=_("Delivery method"))
    payment_method = forms.ChoiceField(label=_("Payment method"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    preferred_date = forms.DateField(label=_("Preferred delivery date"), required=False, widget=DATE_INPUT)
    preferred_time_from = forms.TimeField(label=_("From"), required=False, widget=TIME_INPUT)
    preferred_time_to = forms.TimeField(label=_("Until"), required=False, widget=TIME_INPUT)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    assign_me = forms.BooleanField(label=_("Make me the responsible manager"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["country"].choices = country_choices()
        fields["country"].initial = default_country()
        fields["customer_language"].initial = settings.LANGUAGE_CODE
        fields["payment_method"].choices = [(m.code, m.display_name) for m in selectors.payment_methods()]
        fields["delivery_method"].choices = delivery_choices(self.country_value())
        lookup = reverse("orders:customer_lookup")
        for name in ("customer_phone", "customer_email"):
            fields[name].widget.attrs.update(
                {
                    "hx-get": lookup,
                    "hx-trigger": "input changed delay:400ms",
                    "hx-target": "#customer-matches",
                    "hx-include": "[name=country]",
                }
            )
        fields["country"].widget.attrs.update(
            {
                "hx-get": reverse("orders:delivery_options"),
                # The method chosen so far stays selected where the new country offers it.
                "hx-include": "[name=delivery_method]",
                "hx-target": "#id_delivery_method",
                "hx-swap": "innerHTML",
                "hx-trigger": "change",
            }
        )

    def country_value(self) -> str:
        if self.is_bound:
            return str(self.data.get("country") or "").strip().upper()
        return str(self.initial.get("country") or self.fields["country"].initial or "").upper()


def delivery_choices(country: str) -> list[tuple[str, str]]:
    return [
        (m.code, f"{m.display_name} ({m.price})") for m in selectors.delivery_methods(country=country or None)
    ]


# --- Editing an order ----------------------------------------------------------------------------------

# Service error keys of order_edit → the edit form's fields (lines are `lines.<position>.quantity`).
EDIT_FIELD_MAP = {
    **{f"shipping_address.{name}": name for name in ADDRESS_FIELDS},
    "delivery_method": "delivery_method",
    "preferred_delivery.date": "preferred_date",
    "preferred_delivery.time_from": "preferred_time_from",
    "preferred_delivery.time_to": "preferred_time_to",
}
EDIT_DELIVERY_FIELDS = ("delivery_method", "preferred_date", "preferred_time_from", "preferred_time_to")


def quantity_field(position: int) -> str:
    return f"qty_{position}"


def remove_field(position: int) -> str:
    return f"remove_{position}"


class OrderEditForm(forms.Form):
    """An order's lines (a quantity and a remove box per line, by position), its address, delivery method
    and preferred window, prefilled with what the order says now. New lines come as the phone order
    form's `line_sku` / `line_quantity` / `line_note` lists. The rules are order_edit's."""

    country = forms.ChoiceField(label=_("Country"))
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    line1 = forms.CharField(label=_("Address line 1"), required=False, max_length=200)
    line2 = forms.CharField(label=_("Address line 2"), required=False, max_length=200)
    delivery_method = forms.ChoiceField(label=_("Delivery method"))
    preferred_date = forms.DateField(label=_("Preferred delivery date"), required=False, widget=DATE_INPUT)
    preferred_time_from = forms.TimeField(label=_("From"), required=False, widget=TIME_INPUT)
    preferred_time_to = forms.TimeField(label=_("Until"), required=False, widget=TIME_INPUT)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=255,
        help_text=_("Kept on the order's timeline, e.g. “customer called”."),
    )

    def __init__(self, *args: Any, order: Any, lines: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "country": order.ship_country,
                "region": order.ship_region,
                "city": order.ship_city,
                "postal_code": order.ship_postal_code,
                "line1": order.ship_line1,
                "line2": order.ship_line2,
                "delivery_method": order.delivery_method.code,
                "preferred_date": order.preferred_date,
                "preferred_time_from": order.preferred_time_from,
                "preferred_time_to": order.preferred_time_to,
                **{quantity_field(line.position): line.quantity for line in lines},
            },
        )
        super().__init__(*args, **kwargs)
        self.order = order
        self.lines = lines
        fields: Any = self.fields
        for line in lines:
            fields[quantity_field(line.position)] = forms.IntegerField(
                label=_("Quantity of line %(position)s") % {"position": line.position},
                widget=forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"}),
            )
            fields[remove_field(line.position)] = forms.BooleanField(
                label=_("Remove line %(position)s") % {"position": line.position}, required=False
            )
        fields["country"].choices = country_choices()
        choices = delivery_choices(self.country_value())
        if order.delivery_method.code not in {code for code, _label in choices}:
            # The order's own method stays selectable, or saving anything else would change it silently.
            method = order.delivery_method
            choices.insert(0, (method.code, f"{method.display_name} ({method.price})"))
        fields["delivery_method"].choices = choices
        fields["country"].widget.attrs.update(
            {
                "hx-get": reverse("orders:delivery_options"),
                "hx-target": "#id_delivery_method",
                "hx-swap": "innerHTML",
                "hx-trigger": "change",
                "hx-include": "[name=delivery_method]",
            }
        )

    def country_value(self) -> str:
        if self.is_bound:
            return str(self.data.get("country") or "").strip().upper()
        return str(self.initial.get("country") or "").upper()
