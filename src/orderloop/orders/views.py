"""Back-office order pages: the list, the card with its actions, and manual (phone) order entry.

As thin as api.py: parse a form, call a selector or one service, render. Refusals (DomainError) are shown
on the page, next to the field they name where they name one; never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

import phonenumbers
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orderloop.backoffice import selectors as backoffice_selectors
from orderloop.backoffice import services as backoffice_services
from orderloop.core.errors import DomainError, InvalidInput, NotFound
from orderloop.core.htmx import HtmxHttpRequest
from orderloop.inventory.errors import InsufficientStock

from . import domain, editing, risk, selectors, services, sla
from .errors import OrderNotFound
from .forms import (
    ADDRESS_FIELDS,
    CANCEL_REASONS,
    CUSTOMER_FIELDS,
    DELIVERY_FIELDS,
    EDIT_DELIVERY_FIELDS,
    EDIT_FIELD_MAP,
    PLACE_FIELD_MAP,
    AssignForm,
    CancelForm,
    ConfirmForm,
    HoldForm,
    NoteForm,
    OrderEditForm,
    OrderFilterForm,
    PhoneOrderForm,
    ReleaseForm,
    ReviewRiskForm,
    SaveViewForm,
    TransitionForm,
    add_service_error,
    delivery_choices,
    quantity_field,
    remove_field,
)
from .models import Channel, DeliveryMethod, EventKind, OrderStatus, PaymentKind, Priority
from .related import order_related

PAGE_SIZE = 50
GROUP_SIZE = 25
SAVED_VIEW_AREA = "orders"
VIEW = "orders.view_order"


def _username(request: HttpRequest) -> str:
    return str(request.user.get_username())


def _staff(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast(User, request.user)


# --- The order list --------------------------------------------------------------------------------


def _list_query(request: HttpRequest) -> str:
    """The filters of the current page as a query string (no paging): what a saved view stores."""
    return backoffice_services.clean_query_string(request.GET.urlencode())


def _group_label(by: str, key: Any, delivery_names: dict[str, str]) -> str:
    if by == "status":
        return str(OrderStatus(key).label) if key in OrderStatus.values else str(key)
    if by == "channel":
        return str(Channel(key).label) if key in Channel.values else str(key)
    if by == "priority":
        return str(Priority(key).label) if key in Priority.values else str(key)
    if by == "delivery":
        return delivery_names.get(key, str(key))
    if by == "manager":
        return str(key) if key else _("Unassigned")
    return str(key)


def _group_link(by: str, key: Any, query: str) -> str:
    """The list filtered to one group (and no longer grouped)."""
    params = [(k, v) for k, v in _parse_query(query) if k != "group"]
    if by == "status":
        params = [(k, v) for k, v in params if k != "status"] + [("status", key)]
    elif by == "date":
        day = key.isoformat()
        params = [(k, v) for k, v in params if k not in {"created_from", "created_to"}]
        params += [("created_from", day), ("created_to", day)]
    else:
        value = key if key is not None else selectors.UNASSIGNED
        params = [(k, v) for k, v in params if k != by] + [(by, value)]
    return f"{reverse('orders:order_list')}?{urlencode(params)}"


def _parse_query(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=False)


def _list_context(request: HttpRequest) -> dict[str, Any]:
    form = OrderFilterForm(request.GET)
    form.is_valid()  # invalid fields are dropped from the filters and shown next to the field
    filters = form.filters(username=_username(request))
    matching = selectors.order_list(filters=filters)
    orders = selectors.with_list_annotations(matching)
    query = _list_query(request)
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "total": matching.count(),
        "has_sla": selectors.order_has_field("sla_breached_at"),
        "filtered": bool(query),
    }
    if context["has_sla"] and form.data_value("sla") != "yes":
        # Breached orders come first: a banner leads to them whatever the filters are.
        context["sla_breached_count"] = selectors.order_list(
            filters=selectors.OrderFilters(sla_breached=True)
        ).count()
    group = form.data_value("group")
    if group:
        delivery_names = {m.code: m.display_name for m in DeliveryMethod.objects.all()}
        context["groups"] = [
            {
                "label": _group_label(group, g.key, delivery_names),
                "count": g.count,
                "items": _decorate(g.items),
                "more": g.count > len(g.items),
                "link": _group_link(group, g.key, query),
            }
            for g in selectors.order_groups(orders, by=group, per_group=GROUP_SIZE)
        ]
        return context
    cursor = request.GET.get("cursor") or None
    paginate = selectors.express_first if form.data_value("sort") == "express" else selectors.newest_first
    try:
        page = paginate(orders, cursor=cursor, limit=PAGE_SIZE)
    except InvalidInput:  # a stale or edited cursor: start again from the top
        page = paginate(orders, cursor=None, limit=PAGE_SIZE)
        cursor = None
    context.update(items=_decorate(page.items), next_cursor=page.next_cursor, paged=bool(cursor))
    if page.next_cursor:
        context["next_query"] = urlencode([*_parse_query(query), ("cursor", page.next_cursor)])
    return context


@login_required
@permission_required(VIEW, raise_exception=True)
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    context = _list_context(request)
    if request.htmx and request.htmx.target == "order-results":
        return render(request, "orders/order_list.html#order-results", context)
    views = backoffice_selectors.saved_views(user=_staff(request), area=SAVED_VIEW_AREA)
    context.update(
        saved_views=views,
        save_form=SaveViewForm(initial={"query": context["query"]}),
    )
    return render(request, "orders/order_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    form = SaveViewForm(request.POST)
    query = str(request.POST.get("query") or "")
    if form.is_valid():
        try:
            view = backoffice_services.saved_view_save(
                user=_staff(request),
                area=SAVED_VIEW_AREA,
                name=form.cleaned_data["name"],
                query_string=form.cleaned_data["query"],
            )
        except DomainError as exc:
            messages.error(request, "; ".join(str(m) for m in exc.details.values()) or exc.message)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            query = view.query_string
    else:
        messages.error(request, _("Give the view a name."))
    return redirect(f"{reverse('orders:order_list')}{'?' + query if query else ''}")


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        backoffice_services.saved_view_delete(
            user=_staff(request),
            area=SAVED_VIEW_AREA,
            view_id=view_id,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("View deleted."))
    return redirect("orders:order_list")


# --- The order card ----------------------------------------------------------------------------------


@dataclass
class Action:
    permission: str
    form_class: Callable[..., forms.Form]
    run: Callable[[HttpRequest, int, dict[str, Any]], Any]
    extra_permissions: Callable[[dict[str, Any]], list[str]] = field(default=lambda data: [])


def _confirm(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_confirm(order_id=order_id, actor=request.user, note=data["note"])


def _cancel(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_cancel(
        order_id=order_id, actor=request.user, reason=data["reason"], note=data["note"]
    )


def _hold(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_hold(order_id=order_id, actor=request.user, reason=data["reason"])


def _release(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_release_hold(order_id=order_id, actor=request.user, note=data["note"])


def _assign(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_assign_manager(
        order_id=order_id, manager_username=data["manager"] or None, actor=request.user
    )


def _note(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_add_note(order_id=order_id, actor=request.user, text=data["text"])


def _review_risk(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_review_risk(order_id=order_id, actor=request.user, note=data["note"])


def _transition(request: HttpRequest, order_id: int, data: dict[str, Any]) -> Any:
    return services.order_transition(
        order_id=order_id, to=data["to"], actor=request.user, reason=data["reason"], note=data["note"]
    )


ACTIONS: dict[str, Action] = {
    "confirm": Action("orders.change_order", ConfirmForm, _confirm),
    "cancel": Action("orders.cancel_order", CancelForm, _cancel),
    "hold": Action("orders.hold_order", HoldForm, _hold),
    "release": Action("orders.hold_order", ReleaseForm, _release),
    "assign": Action("orders.assign_order", AssignForm, _assign),
    "note": Action("orders.note_order", NoteForm, _note),
    "review_risk": Action(risk.REVIEW_PERMISSION, ReviewRiskForm, _review_risk),
    "transition": Action(
        "orders.change_order",
        TransitionForm,
        _transition,
        # Cancelling through the generic move still needs the right to cancel.
        extra_permissions=lambda data: (
            ["orders.cancel_order"] if data.get("to") == OrderStatus.CANCELLED else []
        ),
    ),
}

ACTION_DONE = {
    "confirm": gettext_lazy("Order confirmed."),
    "cancel": gettext_lazy("Order cancelled; its reserved stock went back."),
    "hold": gettext_lazy("Order put on hold."),
    "release": gettext_lazy("Order released from hold."),
    "assign": gettext_lazy("Responsible manager saved."),
    "note": gettext_lazy("Note added."),
    "review_risk": gettext_lazy("Risk flags reviewed; the order may go to the warehouse."),
    "transition": gettext_lazy("Status changed."),
}


def _make_form(name: str, data: Any, card: selectors.OrderCardData) -> forms.Form:
    if name == "transition":
        # The form offers only what the order may do now (a hold hides its moves); a posted move the
        # table allows is still checked by the service, which says why it must wait (order_on_hold).
        allowed = card.allowed_next if data is None else domain.allowed_next(card.order.status)
        return TransitionForm(data, allowed=allowed, prefix=name)
    if name == "assign" and data is None:
        manager = card.order.manager
        return AssignForm(initial={"manager": manager.get_username() if manager else ""}, prefix=name)
    return ACTIONS[name].form_class(data, prefix=name)


def _card_data(number: str) -> selectors.OrderCardData:
    try:
        return selectors.order_card_data(number=number)
    except OrderNotFound as exc:
        raise Http404(exc.message) from exc


def _render_card(
    request: HttpRequest,
    card: selectors.OrderCardData,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    order = _decorate([card.order])[0]
    related = order_related(order)
    order.delivery_failed = bool(related.delivery_failures)
    forms_by_name = {name: _make_form(name, None, card) for name in ACTIONS}
    forms_by_name.update(bound or {})
    allowed = card.allowed_next
    context = {
        "card": card,
        "order": order,
        "related": related,
        "forms": forms_by_name,
        "action_error": action_error,
        "can": {name: user.has_perm(action.permission) for name, action in ACTIONS.items()},
        # A held order is not confirmed (the service refuses with order_on_hold): no button for it.
        "can_confirm": OrderStatus.CONFIRMED in allowed
        and domain.transition_blocker(
            current=order.status, to=OrderStatus.CONFIRMED, on_hold=order.on_hold, backordered=False
        )
        is None,
        "can_edit": user.has_perm(EDIT) and editing.is_editable(order.status),
        "can_cancel_now": domain.is_cancellable(order.status) and OrderStatus.CANCELLED in allowed,
        "is_final": order.status in domain.FINAL,
        "notes": [event for event in card.events if event.kind == EventKind.NOTE],
        "cancel_reasons": CANCEL_REASONS,
        "phone_display": _phone_display(order.customer_phone),
        "has_sla": selectors.order_has_field("sla_breached_at"),
        "sla_limit": _sla_limit(order),
        "payment_state": _payment_state(order),
    }
    return render(request, "orders/order_detail.html", context, status=status)


def _phone_display(e164: str) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _payment_state(order: Any) -> str:
    """The payment state the payments area keeps for the order (a one-to-one row, `payment_state`);
    "Unpaid" while it has none (a missing related row reads as AttributeError, hence getattr)."""
    state = getattr(order, "payment_state", None)
    display = getattr(state, "get_state_display", None)
    if display is not None:
        return str(display())
    if order.status in {OrderStatus.PAID, OrderStatus.PARTIALLY_PAID}:
        return str(order.get_status_display())
    return _("Unpaid")


def _sla_limit(order: Any) -> str:
    """The limit of the SLA rule the order breached, readable ("30 min", "24 h"), if it breached one."""
    rule = getattr(order, "sla_rule", "")
    limit = sla.sla_rules().get(rule) if rule else None
    return sla.format_limit(limit) if limit is not None else ""


RISK_LABELS = {
    risk.COD_WITH_REFUSALS: gettext_lazy("Refused parcels before"),
    risk.PHONE_COUNTRY_MISMATCH: gettext_lazy("Phone country"),
    risk.LARGE_FIRST_ORDER: gettext_lazy("Large first order"),
    risk.DUPLICATE_ORDER: gettext_lazy("Possible duplicate"),
}


def _risk_flags(order: Any) -> list[dict[str, Any]]:
    """The order's risk flags with a short label (badge) and the full message (title), if the order
    model keeps risk flags."""
    flags = getattr(order, "risk_flags", None) or []
    return [
        {**flag, "label": RISK_LABELS.get(str(flag.get("code")), flag.get("code"))}
        for flag in risk.flag_messages(flags)
    ]


def _decorate(orders: list[Any]) -> list[Any]:
    """Attach what the list's badges show (kept out of the templates' logic)."""
    for order in orders:
        order.risk_badges = _risk_flags(order)
        order.needs_risk_review = risk.needs_review(
            getattr(order, "risk_flags", None), getattr(order, "risk_reviewed_at", None)
        )
    return orders


@login_required
@permission_required(VIEW, raise_exception=True)
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_card(request, _card_data(number))


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def order_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    card = _card_data(number)
    form = _make_form(action, request.POST, card)
    if not form.is_valid():
        return _render_card(request, card, bound={action: form}, status=400)
    if any(not request.user.has_perm(p) for p in spec.extra_permissions(form.cleaned_data)):
        raise PermissionDenied
    try:
        spec.run(request, card.order.pk, form.cleaned_data)
    except DomainError as exc:
        add_service_error(form, exc)
        card = _card_data(number)
        return _render_card(
            request, card, bound={action: form}, action_error=exc.message, status=exc.http_status
        )
    messages.success(request, ACTION_DONE[action])
    return redirect("orders:order_detail", number=card.order.number)


# --- Manual (phone) order entry ----------------------------------------------------------------------


@dataclass
class LineRow:
    """One line of the entry form as typed, with its variant (if found) and its errors."""

    sku: str
    quantity: str
    note: str
    option: selectors.VariantOption | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def quantity_int(self) -> int | None:
        try:
            return int(self.quantity)
        except (TypeError, ValueError):
            return None


def _line_rows(request: HttpRequest) -> list[LineRow]:
    skus = request.POST.getlist("line_sku")
    quantities = request.POST.getlist("line_quantity")
    notes = request.POST.getlist("line_note")
    rows = []
    for index, sku in enumerate(skus):
        sku = sku.strip()
        if not sku:
            continue
        row = LineRow(
            sku=sku,
            quantity=(quantities[index] if index < len(quantities) else "1").strip(),
            note=(notes[index] if index < len(notes) else "").strip(),
        )
        row.option = selectors.variant_option(sku=sku)
        if row.quantity_int is None or row.quantity_int < 1:
            row.errors.append(_("Enter a whole number of at least 1."))
        rows.append(row)
    return rows


def _show_place_error(form: PhoneOrderForm, rows: list[LineRow], exc: DomainError) -> list[str]:
    """Spread order_place's refusal over the form fields and the lines; returns errors about all lines."""
    line_errors: list[str] = []
    if isinstance(exc, InsufficientStock):
        for short in exc.details.get("lines", []):
            index = int(short.get("index", -1))
            if 0 <= index < len(rows):
                rows[index].errors.append(
                    _("Not enough stock: %(requested)s requested, %(available)s available.")
                    % {"requested": short.get("requested"), "available": short.get("available")}
                )
        form.add_error(None, exc.message)
        return line_errors
    if isinstance(exc, InvalidInput):
        unplaced = {}
        for key, message in exc.details.items():
            key = str(key)
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
                rows[int(parts[1])].errors.append(str(message))
            elif key == "lines":
                line_errors.append(str(message))
            elif PLACE_FIELD_MAP.get(key) in form.fields:
                form.add_error(PLACE_FIELD_MAP[key], str(message))
            else:
                unplaced[key] = message
        if unplaced:
            form.add_error(None, "; ".join(str(m) for m in unplaced.values()))
        return line_errors
    form.add_error(None, exc.message)
    return line_errors


def _place(request: HttpRequest, form: PhoneOrderForm, rows: list[LineRow]) -> Any:
    data = form.cleaned_data
    preferred = None
    if data["preferred_date"] or data["preferred_time_from"] or data["preferred_time_to"]:
        preferred = domain.PreferredDelivery(
            date=data["preferred_date"],
            time_from=data["preferred_time_from"],
            time_to=data["preferred_time_to"],
        )
    return services.order_place(
        channel=Channel.PHONE,
        customer=domain.CustomerData(
            name=data["customer_name"],
            phone=data["customer_phone"],
            email=data["customer_email"],
            language=data["customer_language"],
        ),
        shipping_address=domain.AddressData(**{name: data[name] for name in ADDRESS_FIELDS}),
        delivery_method_code=data["delivery_method"],
        payment_method_code=data["payment_method"],
        lines=[domain.LineData(sku=row.sku, quantity=row.quantity_int or 0, note=row.note) for row in rows],
        priority=data["priority"],
        preferred_delivery=preferred,
        comment=data["comment"],
        actor=request.user,
    )


@login_required
@permission_required("orders.add_order", raise_exception=True)
def order_create(request: HttpRequest) -> HttpResponse:
    rows: list[LineRow] = []
    line_errors: list[str] = []
    if request.method == "POST":
        form = PhoneOrderForm(request.POST)
        rows = _line_rows(request)
        if not rows:
            line_errors.append(_("Add at least one product."))
        form_ok = form.is_valid()
        if form_ok and rows and not any(row.errors for row in rows):
            try:
                order = _place(request, form, rows)
            except DomainError as exc:
                line_errors += _show_place_error(form, rows, exc)
            else:
                if form.cleaned_data["assign_me"] and request.user.has_perm("orders.assign_order"):
                    try:
                        services.order_assign_manager(
                            order_id=order.pk, manager_username=_username(request), actor=request.user
                        )
                    except DomainError as exc:
                        messages.warning(request, exc.message)
                messages.success(request, _("Order %(number)s placed.") % {"number": order.number})
                return redirect("orders:order_detail", number=order.number)
    else:
        form = PhoneOrderForm()
    context = {
        "form": form,
        "rows": rows,
        "line_errors": line_errors,
        "customer_fields": [form[name] for name in CUSTOMER_FIELDS],
        "address_fields": [form[name] for name in ADDRESS_FIELDS],
        "delivery_fields": [form[name] for name in DELIVERY_FIELDS],
    }
    has_errors = bool(form.errors or line_errors or any(row.errors for row in rows))
    return render(request, "orders/order_form.html", context, status=400 if has_errors else 200)


@login_required
@permission_required("orders.add_order", raise_exception=True)
def product_search(request: HttpRequest) -> HttpResponse:
    text = str(request.GET.get("product_q") or request.GET.get("q") or "")
    options = selectors.variant_search(text=text)
    return render(request, "orders/_product_results.html", {"options": options, "text": text.strip()})


@login_required
@permission_required("orders.add_order", raise_exception=True)
def line_row(request: HttpRequest) -> HttpResponse:
    option = selectors.variant_option(sku=str(request.GET.get("sku") or ""))
    if option is None:
        raise Http404(_("No product for sale has this SKU."))
    row = LineRow(sku=option.variant.sku, quantity="1", note="", option=option)
    return render(request, "orders/_line_row.html", {"row": row})


@login_required
@permission_required("orders.add_order", raise_exception=True)
def customer_lookup(request: HttpRequest) -> HttpResponse:
    phone = str(request.GET.get("customer_phone") or "").strip()
    email = str(request.GET.get("customer_email") or "").strip()
    country = str(request.GET.get("country") or "").strip().upper()
    matches = selectors.customer_lookup(text=phone, country=country) if phone else []
    if not matches and email:
        matches = selectors.customer_lookup(text=email)
    return render(
        request, "orders/_customer_matches.html", {"matches": matches, "typed": bool(phone or email)}
    )


def _delivery_choice(country: str, wanted: str) -> dict[str, Any]:
    """The delivery options of `country` with the method staff had chosen still selected. When that
    method is not offered there, nothing is selected (a blank first option: the required select makes
    staff choose) and a note says so: the method never changes without a word."""
    choices = delivery_choices(country)
    offered = {code for code, _label in choices}
    context: dict[str, Any] = {"choices": choices, "selected": wanted if wanted in offered else ""}
    if wanted and wanted not in offered:
        method = DeliveryMethod.objects.filter(code=wanted).first()
        context["blank"] = True
        context["delivery_note"] = _(
            "%(method)s is not offered in %(country)s: choose another delivery method."
        ) % {"method": method.name if method else wanted, "country": country}
    return context


@login_required
@permission_required("orders.add_order", raise_exception=True)
def customer_fill(request: HttpRequest) -> HttpResponse:
    """The customer and address fields filled from an earlier order (the lookup's "Use" button). The
    delivery method staff chose stays (the earlier order's is only mentioned)."""
    try:
        order = selectors.order_by_number(str(request.GET.get("number") or ""))
    except OrderNotFound as exc:
        raise Http404(exc.message) from exc
    form = PhoneOrderForm(
        initial={
            "customer_phone": order.customer_phone,
            "customer_email": order.customer_email,
            "customer_name": order.customer_name,
            "customer_language": order.customer_language,
            "country": order.ship_country,
            "region": order.ship_region,
            "city": order.ship_city,
            "postal_code": order.ship_postal_code,
            "line1": order.ship_line1,
            "line2": order.ship_line2,
        }
    )
    # The form sends the method chosen so far; without one (no form), the earlier order's is taken.
    chosen = str(request.GET.get("delivery_method", order.delivery_method.code))
    context = {
        "form": form,
        "customer_fields": [form[name] for name in CUSTOMER_FIELDS],
        "address_fields": [form[name] for name in ADDRESS_FIELDS],
        "delivery_oob": True,
        **_delivery_choice(order.ship_country, chosen),
    }
    if order.delivery_method.code != chosen and "delivery_note" not in context:
        context["delivery_note"] = _("Their last order %(number)s went by %(method)s.") % {
            "number": order.number,
            "method": order.delivery_method.name,
        }
    return render(request, "orders/_customer_fields.html", context)


@login_required
@permission_required("orders.add_order", raise_exception=True)
def delivery_options(request: HttpRequest) -> HttpResponse:
    country = str(request.GET.get("country") or "").strip().upper()
    context = _delivery_choice(country, str(request.GET.get("delivery_method") or ""))
    context["delivery_oob_note"] = True
    return render(request, "orders/_delivery_options.html", context)


# --- Editing an order --------------------------------------------------------------------------------

EDIT = "orders.change_order"


@dataclass
class EditInput:
    """What the edit form asks to change, in order_edit's terms (only what differs from the order)."""

    quantities: dict[int, int] = field(default_factory=dict)
    remove_line_ids: list[int] = field(default_factory=list)
    add_lines: list[domain.LineData] = field(default_factory=list)
    shipping_address: domain.AddressData | None = None
    delivery_method_code: str | None = None
    preferred_delivery: domain.PreferredDelivery | None = None

    @property
    def is_empty(self) -> bool:
        return not any(self.arguments().values())

    def arguments(self) -> dict[str, Any]:
        return {
            "quantities": self.quantities,
            "remove_line_ids": self.remove_line_ids,
            "add_lines": self.add_lines,
            "shipping_address": self.shipping_address,
            "delivery_method_code": self.delivery_method_code,
            "preferred_delivery": self.preferred_delivery,
        }


def _edit_input(form: OrderEditForm, rows: list[LineRow]) -> EditInput:
    data = form.cleaned_data
    order = form.order
    found = EditInput()
    for line in form.lines:
        if data.get(remove_field(line.position)):
            found.remove_line_ids.append(line.pk)
        elif data[quantity_field(line.position)] != line.quantity:
            found.quantities[line.pk] = data[quantity_field(line.position)]
    found.add_lines = [
        domain.LineData(sku=row.sku, quantity=row.quantity_int or 0, note=row.note) for row in rows
    ]
    address = domain.AddressData(**{name: (data[name] or "").strip() for name in ADDRESS_FIELDS})
    now = domain.AddressData(
        country=order.ship_country,
        region=order.ship_region,
        city=order.ship_city,
        postal_code=order.ship_postal_code,
        line1=order.ship_line1,
        line2=order.ship_line2,
    )
    if address != now:
        found.shipping_address = address
    if data["delivery_method"] != order.delivery_method.code:
        found.delivery_method_code = data["delivery_method"]
    preferred = domain.PreferredDelivery(
        date=data["preferred_date"], time_from=data["preferred_time_from"], time_to=data["preferred_time_to"]
    )
    if preferred != editing.preferred_of(order):
        found.preferred_delivery = preferred
    return found


def _show_edit_error(form: OrderEditForm, rows: list[LineRow], exc: DomainError) -> list[str]:
    """Spread order_edit's refusal over the form's fields and the new lines; returns errors about the
    lines as a whole."""
    line_errors: list[str] = []
    positions = {line.position for line in form.lines}
    first_new = max(positions, default=0) + 1
    if isinstance(exc, InsufficientStock):
        for short in exc.details.get("lines", []):
            message = _("Not enough stock: %(requested)s requested, %(available)s available.") % {
                "requested": short.get("requested"),
                "available": short.get("available"),
            }
            position = int(short.get("position", 0))
            if position in positions:
                form.add_error(quantity_field(position), message)
            elif 0 <= position - first_new < len(rows):
                rows[position - first_new].errors.append(message)
            else:
                line_errors.append(message)
        form.add_error(None, exc.message)
        return line_errors
    if isinstance(exc, InvalidInput):
        unplaced = []
        for key, message in exc.details.items():
            parts = str(key).split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) in positions:
                form.add_error(quantity_field(int(parts[1])), str(message))
            elif (
                parts[0] == "add_lines"
                and len(parts) >= 2
                and parts[1].isdigit()
                and int(parts[1]) < len(rows)
            ):
                rows[int(parts[1])].errors.append(str(message))
            elif str(key) == "lines":
                line_errors.append(str(message))
            elif EDIT_FIELD_MAP.get(str(key)) in form.fields:
                form.add_error(EDIT_FIELD_MAP[str(key)], str(message))
            else:
                unplaced.append(str(message))
        if unplaced:
            form.add_error(None, "; ".join(unplaced))
        return line_errors
    form.add_error(None, exc.message)
    return line_errors


def _preferred_text(value: dict[str, Any]) -> str:
    if not value.get("date"):
        return _("Any time")
    text = date_format(date.fromisoformat(value["date"]), "SHORT_DATE_FORMAT")
    if value.get("time_from") or value.get("time_to"):
        text += f", {value.get('time_from') or '…'}–{value.get('time_to') or '…'}"
    return text


def _address_text(value: dict[str, str]) -> str:
    parts = [
        value.get("line1", ""),
        value.get("line2", ""),
        f"{value.get('postal_code', '')} {value.get('city', '')}".strip(),
        value.get("region", ""),
        value.get("country", ""),
    ]
    return ", ".join(part for part in parts if part)


def _sentence(message: str, **values: Any) -> SafeString:
    """A translated sentence with its values isolated (<bdi>), so an address or a SKU keeps its own
    direction inside an Arabic sentence."""
    return mark_safe(
        conditional_escape(message) % {k: format_html("<bdi>{}</bdi>", v) for k, v in values.items()}
    )


def _describe_changes(changes: list[dict[str, Any]]) -> list[SafeString]:
    """The edit's changes as sentences (the preview's list)."""
    methods = {m.code: m for m in selectors.delivery_methods(active_only=False)}
    described = []
    for change in changes:
        action = change["action"]
        if action == "remove_line":
            described.append(
                _sentence(
                    _("Line %(position)s (%(sku)s) is removed."),
                    position=change["position"],
                    sku=change["sku"],
                )
            )
        elif action == "quantity":
            described.append(
                _sentence(
                    _("Line %(position)s (%(sku)s): quantity %(old)s → %(new)s."),
                    position=change["position"],
                    sku=change["sku"],
                    old=change["from"],
                    new=change["to"],
                )
            )
        elif action == "add_line":
            described.append(
                _sentence(
                    _("New line %(position)s: %(sku)s × %(quantity)s."),
                    position=change["position"],
                    sku=change["sku"],
                    quantity=change["quantity"],
                )
            )
        elif action == "shipping_address":
            described.append(_sentence(_("Ship to: %(address)s."), address=_address_text(change["to"])))
        elif action == "delivery_method":
            old, new = methods.get(change["from"]), methods.get(change["to"])
            described.append(
                _sentence(
                    _("Delivery method: %(old)s → %(new)s."),
                    old=old.name if old else change["from"],
                    new=new.name if new else change["to"],
                )
            )
        elif action == "preferred_delivery":
            described.append(
                _sentence(
                    _("Preferred delivery: %(old)s → %(new)s."),
                    old=_preferred_text(change["from"]),
                    new=_preferred_text(change["to"]),
                )
            )
    return described


def _payment_outcome(preview: editing.EditPreview) -> str:
    """What saving does about money, in one sentence (the rule is payments' edit_difference)."""
    if preview.due.amount > 0:
        return _("The customer will be asked to pay %(amount)s more: saving creates a payment link.") % {
            "amount": preview.due
        }
    if preview.refund.amount > 0:
        return _("%(amount)s goes back to the customer: saving creates a refund for staff to confirm.") % {
            "amount": preview.refund
        }
    if not preview.difference.amount:
        return _("The total does not change.")
    if preview.payment_kind == PaymentKind.COD:
        return _("Cash on delivery: the courier collects the new total.")
    if preview.paid.amount <= 0:
        return _("Nothing has been paid yet: the customer pays the new total.")
    return _("What was paid covers what is due before delivery; the rest is collected on delivery.")


def _edit_context(
    request: HttpRequest,
    card: selectors.OrderCardData,
    form: OrderEditForm,
    rows: list[LineRow],
    *,
    line_errors: list[str] | None = None,
    preview: editing.EditPreview | None = None,
) -> dict[str, Any]:
    totals = []
    if preview is not None:
        labels = {
            "subtotal": _("Subtotal"),
            "discount": _("Discount"),
            "delivery": _("Delivery"),
            "total": _("Total"),
        }
        for key, label in labels.items():
            before, after = preview.totals_before[key], preview.totals_after[key]
            if key == "discount" and not (before.amount or after.amount):
                continue
            totals.append(
                {"key": key, "label": label, "before": before, "after": after, "change": after - before}
            )
    error_summary = [str(error) for error in form.non_field_errors()]
    error_summary += [
        f"{form.fields[name].label}: {error}"
        for name, errors in form.errors.items()
        if name != "__all__"
        for error in errors
    ]
    error_summary += [str(error) for error in line_errors or []]
    error_summary += [f"{row.sku}: {error}" for row in rows for error in row.errors]
    return {
        "card": card,
        "order": card.order,
        "form": form,
        "error_summary": error_summary,
        "rows": rows,
        "line_errors": line_errors or [],
        "edit_lines": [
            (item, form[quantity_field(item.line.position)], form[remove_field(item.line.position)])
            for item in card.lines
        ],
        "address_fields": [form[name] for name in ADDRESS_FIELDS],
        "delivery_fields": [form[name] for name in EDIT_DELIVERY_FIELDS],
        "preview": preview,
        "described": _describe_changes(preview.changes) if preview else [],
        "totals": totals,
        "payment_outcome": _payment_outcome(preview) if preview and preview.changes else "",
        "payment_state": _payment_state(card.order),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
@permission_required(EDIT, raise_exception=True)
def order_edit(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """The edit page: GET shows the form; a POST from htmx answers with the preview (the difference in
    stock and money, worked out by order_edit_preview); "save" runs order_edit; any other POST shows the
    whole page with the preview (without JavaScript)."""
    card = _card_data(number)
    order = card.order
    if not editing.is_editable(order.status):
        return render(request, "orders/order_edit.html", {"order": order, "refused": True}, status=409)
    lines = [item.line for item in card.lines]
    if request.method != "POST":
        form = OrderEditForm(order=order, lines=lines)
        return render(request, "orders/order_edit.html", _edit_context(request, card, form, []))

    form = OrderEditForm(request.POST, order=order, lines=lines)
    rows = _line_rows(request)
    line_errors: list[str] = []
    preview = None
    saving = "save" in request.POST and not request.htmx
    if form.is_valid() and not any(row.errors for row in rows):
        changes = _edit_input(form, rows)
        try:
            if saving:
                editing.order_edit(
                    order_id=order.pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    **changes.arguments(),
                )
                messages.success(request, _("Order changed."))
                return redirect("orders:order_detail", number=order.number)
            if not changes.is_empty:  # a form that says what the order says has nothing to preview
                preview = editing.order_edit_preview(order_id=order.pk, **changes.arguments())
        except editing.OrderNotEditable:
            order.refresh_from_db()
            return render(request, "orders/order_edit.html", {"order": order, "refused": True}, status=409)
        except DomainError as exc:
            line_errors = _show_edit_error(form, rows, exc)
    context = _edit_context(request, card, form, rows, line_errors=line_errors, preview=preview)
    if request.htmx:
        # The preview panel only; errors are listed there (htmx swaps only successful answers).
        return render(request, "orders/order_edit.html#edit-preview", context)
    has_errors = bool(form.errors or line_errors or any(row.errors for row in rows))
    return render(request, "orders/order_edit.html", context, status=400 if has_errors else 200)
