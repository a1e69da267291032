"""Returns through the services, against the real database: the window and the legal minimum, what can
be returned, restock / quarantine / write-off through the stock ledger, refund amounts (partial, coupon,
delivery and return shipping per policy), card refunds at the fake Stripe, refunds by bank transfer,
exchanges that reserve stock, the refund SLA flag, refused parcels and credit notes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from orderloop.inventory.models import StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.notifications.models import CustomerMessage, StaffNotification
from orderloop.orders.errors import InvalidTransition
from orderloop.orders.models import Order, OrderStatus
from orderloop.orders.services import order_transition
from orderloop.payments.models import Refund
from orderloop.returns import selectors, services
from orderloop.returns.errors import (
    BankDetailsRequired,
    InvalidReturnTransition,
    LinesNotReturnable,
    NothingToRefund,
    OrderNotDelivered,
    ReturnWindowClosed,
)
from orderloop.returns.models import CreditNote, ImmutableCreditNote, ReturnEvent, ReturnRequest, ReturnStatus
from orderloop.returns.services import InspectionInput, LineInput, PolicyInput
from tests.conftest import run_tasks

from .conftest import ship

pytestmark = pytest.mark.django_db(transaction=True)


def _lines(order: Order, *items: tuple[str, int, str]) -> list[LineInput]:
    by_sku = {line.sku: line for line in order.lines.all()}
    return [LineInput(order_line_id=by_sku[sku].pk, quantity=q, reason=reason) for sku, q, reason in items]


def _open(order: Order, *items: tuple[str, int, str], method: str = "post", **kwargs: Any) -> ReturnRequest:
    return services.return_open(
        order_id=order.pk,
        lines=_lines(order, *(items or (("TEE-S", 1, "wrong_size"),))),
        method=method,
        channel="portal",
        actor=None,
        **kwargs,
    )


def _received(rma: ReturnRequest) -> ReturnRequest:
    services.return_label_create(rma_id=rma.pk)
    return services.return_receive(rma_id=rma.pk, actor=None)


def _inspect_all(rma: ReturnRequest, grade: str = "as_new", **kwargs: Any) -> ReturnRequest:
    return services.return_inspect(
        rma_id=rma.pk,
        items=[
            InspectionInput(line_id=line.pk, quantity=line.quantity, grade=grade, **kwargs)
            for line in rma.lines.all()
        ],
        actor=None,
    )


def _policy(**values: Any) -> None:
    services.policy_save(data=PolicyInput(**{"country": "UA", "window_days": 14, **values}), actor=None)


# --- Window and legal minimum --------------------------------------------------------------------------


def test_a_policy_below_the_countrys_legal_minimum_is_refused(settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "RETURN_LEGAL_MINIMUM_DAYS": {"*": 14, "SE": 14, "UA": 14}}
    from orderloop.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        services.policy_save(data=PolicyInput(country="SE", window_days=10), actor=None)
    assert "window_days" in refused.value.details
    services.policy_save(data=PolicyInput(country="SE", window_days=30), actor=None)
    assert selectors.policy_terms_for("SE").window_days == 30


def test_the_legal_minimum_applies_even_when_the_configured_policy_is_shorter(
    delivered: Any, settings: Any
) -> None:
    # A default policy in settings of 7 days in a country whose law says 14: customers get 14.
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "RETURN_POLICY": {"window_days": 7},
        "RETURN_LEGAL_MINIMUM_DAYS": {"*": 14},
    }
    assert selectors.policy_terms_for("UA").window_days == 14
    inside = delivered(days_ago=13)
    rma = _open(inside)
    assert rma.status == ReturnStatus.APPROVED  # the default policy approves at once
    outside = delivered(days_ago=15)
    with pytest.raises(ReturnWindowClosed) as closed:
        _open(outside)
    assert closed.value.code == "return_window_closed"
    assert closed.value.details["window_days"] == 14
    assert not ReturnRequest.objects.filter(order=outside).exists()


def test_a_longer_policy_window_is_honoured(delivered: Any) -> None:
    _policy(window_days=30)
    rma = _open(delivered(days_ago=29))
    assert rma.policy["window_days"] == 30


def test_an_order_that_was_not_delivered_cannot_be_returned(shop: Any) -> None:
    from tests.orders.helpers import place

    order = ship(place(("TEE-S", 1), channel="phone"))  # shipped, not delivered
    with pytest.raises(OrderNotDelivered):
        _open(order)


def test_non_returnable_categories_and_too_many_units_are_refused_per_line(delivered: Any) -> None:
    _policy(non_returnable_categories=["jewellery"])
    order = delivered(("TEE-S", 2), ("EAR-1", 1))
    with pytest.raises(LinesNotReturnable) as refused:
        _open(order, ("TEE-S", 3, "wrong_size"), ("EAR-1", 1, "changed_mind"))
    assert set(refused.value.details) == {"lines.0.quantity", "lines.1.quantity"}
    assert "cannot be returned" in refused.value.details["lines.1.quantity"]
    first = _open(order, ("TEE-S", 1, "wrong_size"))
    # The unit in the first return cannot be asked for again; the other one can.
    with pytest.raises(LinesNotReturnable):
        _open(order, ("TEE-S", 2, "wrong_size"))
    second = _open(order, ("TEE-S", 1, "damaged"))
    assert first.number != second.number
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURN_REQUESTED


# --- Statuses and events ----------------------------------------------------------------------------


def test_every_status_change_is_an_event_with_from_and_to(delivered: Any, make_staff: Any) -> None:
    _policy(auto_approve=False)
    manager = make_staff("Manager")
    rma = _open(delivered())
    assert rma.status == ReturnStatus.REQUESTED
    services.return_approve(rma_id=rma.pk, actor=manager)
    services.return_label_create(rma_id=rma.pk)
    services.return_mark_in_transit(rma_id=rma.pk, actor=manager, tracking_ref="CARRIER-1")
    services.return_receive_scan(code=rma.number.lower(), actor=manager)
    moves = list(
        ReturnEvent.objects.filter(request=rma, kind="status_change").values_list(
            "from_status", "to_status", "actor"
        )
    )
    assert moves == [
        ("requested", "approved", manager.pk),
        ("approved", "in_transit", manager.pk),
        ("in_transit", "received", manager.pk),
    ]
    with pytest.raises(InvalidReturnTransition):
        services.return_approve(rma_id=rma.pk, actor=manager)


def test_a_rejected_return_tells_the_customer_and_completes_the_order(delivered: Any) -> None:
    _policy(auto_approve=False)
    order = delivered()
    rma = _open(order)
    services.return_reject(rma_id=rma.pk, actor=None, reason="Worn")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    run_tasks()  # notifications answer the return's event
    message = CustomerMessage.objects.get(event_key=f"return:{rma.pk}:return_rejected")
    assert "Worn" in message.body and message.language == "uk"


def test_the_label_carries_the_rma_number_as_tracking(delivered: Any) -> None:
    rma = services.return_label_create(rma_id=_open(delivered()).pk)
    assert rma.tracking_ref == rma.number
    assert rma.label_file.read(4) == b"%PDF"


# --- Inspection: restock, quarantine, write-off through the ledger ---------------------------------------


def _stock(sku: str, code: str = "kyiv") -> StockLevel:
    return StockLevel.objects.get(variant__sku=sku, warehouse__code=code)


def test_resellable_units_go_back_to_available_stock_through_the_ledger(delivered: Any) -> None:
    order = delivered(("TEE-S", 2))
    assert (_stock("TEE-S").on_hand, _stock("TEE-S").reserved) == (8, 0)
    rma = _received(_open(order, ("TEE-S", 2, "wrong_size")))
    services.return_inspect(
        rma_id=rma.pk,
        items=[InspectionInput(line_id=rma.lines.get().pk, quantity=2, grade="good")],
        actor=None,
    )
    stock = _stock("TEE-S")
    assert (stock.on_hand, stock.available) == (10, 10)
    movement = StockMovement.objects.filter(stock=stock).order_by("-id").first()
    assert (movement.reason, movement.on_hand_delta, movement.reference) == (
        "return",
        2,
        f"return {rma.number}",
    )
    assert ledger_mismatches() == []


def test_damaged_units_go_to_quarantine_or_are_written_off_never_to_available_stock(delivered: Any) -> None:
    order = delivered(("TEE-S", 3))
    rma = _received(_open(order, ("TEE-S", 3, "damaged")))
    line = rma.lines.get()
    with pytest.raises(Exception) as refused:
        services.return_inspect(
            rma_id=rma.pk,
            items=[InspectionInput(line_id=line.pk, quantity=3, grade="damaged", disposition="restock")],
            actor=None,
        )
    assert getattr(refused.value, "code", "") == "validation_error"
    services.return_inspect(
        rma_id=rma.pk,
        items=[
            InspectionInput(line_id=line.pk, quantity=1, grade="damaged"),  # default: quarantine
            InspectionInput(line_id=line.pk, quantity=1, grade="damaged", disposition="write_off"),
            InspectionInput(line_id=line.pk, quantity=1, grade="as_new"),
        ],
        actor=None,
    )
    assert _stock("TEE-S").on_hand == 7 + 1  # only the resellable unit is back for sale
    quarantine = Warehouse.objects.get(code="QUARANTINE")
    assert not quarantine.is_active  # never allocated, sold or picked
    assert _stock("TEE-S", "QUARANTINE").on_hand == 1
    written_off = StockMovement.objects.filter(stock=_stock("TEE-S"), note__startswith="write-off")
    assert [(m.reason, m.on_hand_delta) for m in written_off] == [("adjustment", -1)]
    assert ledger_mismatches() == []


def test_every_unit_must_be_graded_and_missing_units_are_not_refunded(delivered: Any) -> None:
    order = delivered(("TEE-S", 2), method="bank_transfer")
    rma = _received(_open(order, ("TEE-S", 2, "changed_mind")))
    line = rma.lines.get()
    from orderloop.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.return_inspect(
            rma_id=rma.pk, items=[InspectionInput(line_id=line.pk, quantity=1, grade="good")], actor=None
        )
    services.return_inspect(
        rma_id=rma.pk,
        items=[
            InspectionInput(line_id=line.pk, quantity=1, grade="good"),
            InspectionInput(line_id=line.pk, quantity=1, grade="missing"),
        ],
        actor=None,
    )
    assert _stock("TEE-S").on_hand == 9
    assert selectors.refund_quote(ReturnRequest.objects.get(pk=rma.pk)).quote.goods == Decimal("100.00")


def test_units_still_reserved_when_they_come_back_are_shipped_out_first(shop: Any) -> None:
    """A refused parcel whose handover was never recorded: its units leave reserved stock, then return."""
    from tests.orders.helpers import place

    order = place(("TEE-M", 2), channel="phone")
    for to in ("confirmed", "picking", "packed", "shipped", "refused"):
        order = order_transition(order_id=order.pk, to=to, actor=None)
    assert (_stock("TEE-M").on_hand, _stock("TEE-M").reserved) == (10, 2)
    rma = services.return_open_for_refused(order_id=order.pk, actor=None)
    assert services.return_open_for_refused(order_id=order.pk, actor=None).pk == rma.pk  # once
    assert (rma.status, rma.method, rma.lines.get().reason) == ("approved", "carrier_return", "refused")
    services.return_receive(rma_id=rma.pk, actor=None)
    _inspect_all(ReturnRequest.objects.get(pk=rma.pk))
    assert (_stock("TEE-M").on_hand, _stock("TEE-M").reserved) == (10, 0)
    assert ledger_mismatches() == []
    # Nothing was paid (cash on delivery, refused): nothing to refund, the return is closed.
    with pytest.raises(NothingToRefund):
        services.return_refund(rma_id=rma.pk, actor=None)
    services.return_close(rma_id=rma.pk, actor=None, reason="nothing paid")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUSED


def test_only_a_refused_order_opens_a_refused_return(delivered: Any) -> None:
    from orderloop.returns.errors import OrderNotRefused

    with pytest.raises(OrderNotRefused):
        services.return_open_for_refused(order_id=delivered().pk, actor=None)


# --- Refund amounts ---------------------------------------------------------------------------------------


def test_a_partial_return_refunds_the_units_without_delivery(delivered: Any) -> None:
    order = delivered(("TEE-S", 2), ("TEE-M", 1), method="bank_transfer")  # 300 + 120 delivery
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    quote = selectors.refund_quote(rma).quote
    assert (quote.goods, quote.delivery, quote.fee, quote.due) == (Decimal("100.00"), 0, 0, Decimal("100.00"))


def test_the_whole_order_returned_gets_the_delivery_back_once(delivered: Any) -> None:
    order = delivered(("TEE-S", 2), method="bank_transfer")  # 200 + 120
    first = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    services.return_refund(
        rma_id=first.pk, actor=None, bank_iban="SE45 5000 0000 0583 9825 7466", bank_holder="Olena"
    )
    # The first refund is still on its way (not confirmed): its unit is not refunded twice anyway.
    second = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    quote = selectors.refund_quote(second).quote
    assert (quote.goods, quote.delivery, quote.due) == (
        Decimal("100.00"),
        Decimal("120.00"),
        Decimal("220.00"),
    )
    services.return_refund(
        rma_id=second.pk, actor=None, bank_iban="SE4550000000058398257466", bank_holder="Olena"
    )
    assert sum(r.amount for r in Refund.objects.filter(order=order)) == order.total_amount
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURN_REQUESTED  # money not moved yet
    services.return_bank_refund_confirm(rma_id=first.pk, actor=None, reference="OUT-1")
    services.return_bank_refund_confirm(rma_id=second.pk, actor=None, reference="OUT-2")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURNED


def test_the_coupon_share_is_not_refunded_and_parts_add_up_to_what_was_paid(delivered: Any) -> None:
    from orderloop.promotions.models import Coupon

    Coupon.objects.create(code="TEN", kind="percent", value=Decimal("10"))
    order = delivered(("TEE-S", 3), method="bank_transfer", coupon_code="TEN")  # 300 − 30 + 120
    assert order.discount_amount == Decimal("30.00")
    _policy(refund_delivery="never")
    amounts = []
    for _n in range(3):
        rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "changed_mind"))))
        amounts.append(selectors.refund_quote(rma).quote.due)
        services.return_refund(
            rma_id=rma.pk, actor=None, bank_iban="SE4550000000058398257466", bank_holder="O"
        )
    assert amounts == [Decimal("90.00")] * 3 and sum(amounts) == Decimal("270.00")


def test_the_customer_pays_the_return_shipping_unless_the_shop_is_at_fault(delivered: Any) -> None:
    _policy(return_shipping_paid_by="customer", return_shipping_fee="50.00", refund_delivery="never")
    order = delivered(("TEE-S", 2), method="bank_transfer")
    changed_mind = _inspect_all(_received(_open(order, ("TEE-S", 1, "changed_mind"))))
    assert selectors.refund_quote(changed_mind).quote.due == Decimal("50.00")
    damaged = _inspect_all(_received(_open(order, ("TEE-S", 1, "damaged"))), grade="damaged")
    assert selectors.refund_quote(damaged).quote.due == Decimal("100.00")


def test_a_deduction_lowers_the_refund_and_never_raises_it(delivered: Any) -> None:
    order = delivered(("TEE-S", 1), method="bank_transfer")
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "changed_mind"))))
    from orderloop.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.return_refund(
            rma_id=rma.pk, actor=None, deduction="20", bank_iban="SE4550000000058398257466", bank_holder="O"
        )
    with pytest.raises(InvalidInput):
        services.return_refund(rma_id=rma.pk, actor=None, deduction="-5", deduction_reason="x")
    rma = services.return_refund(
        rma_id=rma.pk,
        actor=None,
        deduction="20",
        deduction_reason="Tag removed",
        bank_iban="SE4550000000058398257466",
        bank_holder="Olena",
    )
    assert rma.refund_amount == Decimal("200.00")  # 100 + 120 delivery (whole order) − 20
    assert CreditNote.objects.get(request=rma).total_amount == Decimal("200.00")


def test_a_card_refund_reaches_stripe(card_delivered: Any, fake_stripe: Any) -> None:
    order = card_delivered(("TEE-S", 2))
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    rma = services.return_refund(rma_id=rma.pk, actor=None)
    (refund,) = selectors.refund_rows(rma)
    assert (refund.status, refund.amount) == ("succeeded", Decimal("100.00"))
    (call,) = fake_stripe.calls("POST", "/v1/refunds")
    assert call.params["amount"] == "10000"  # minor units
    assert rma.status == ReturnStatus.REFUNDED and selectors.refund_completed(rma)
    run_tasks()  # notifications answer the return's event
    assert CustomerMessage.objects.filter(event_key=f"return:{rma.pk}:refund_sent").exists()


def test_a_cash_on_delivery_refund_is_a_bank_transfer_with_recorded_details(delivered: Any) -> None:
    order = delivered(("TEE-S", 1))
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    with pytest.raises(BankDetailsRequired) as missing:
        services.return_refund(rma_id=rma.pk, actor=None, bank_iban="SE00 1234", bank_holder="")
    assert set(missing.value.details) == {"bank_iban", "bank_holder"}
    assert not Refund.objects.filter(order=order).exists()  # nothing half-written
    rma = services.return_refund(
        rma_id=rma.pk, actor=None, bank_iban="se45 5000 0000 0583 9825 7466", bank_holder="Olena Shevchenko"
    )
    assert (rma.bank_iban, rma.bank_holder) == ("SE4550000000058398257466", "Olena Shevchenko")
    (refund,) = selectors.refund_rows(rma)
    assert refund.status == "pending" and not selectors.refund_completed(rma)
    services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-42")
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("succeeded", "OUT-42")


# --- Exchanges --------------------------------------------------------------------------------------------


def test_an_exchange_places_a_linked_replacement_order_that_reserves_stock(delivered: Any) -> None:
    # The customer pays the return shipping under this policy: the replacement's delivery is charged.
    _policy(return_shipping_paid_by="customer", return_shipping_fee="0")
    order = delivered(("TEE-S", 1), method="bank_transfer")  # 100 + 120
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    rma = services.return_exchange(
        rma_id=rma.pk, items=[services.ExchangeItem(sku="TEE-M", quantity=1)], actor=None
    )
    replacement = rma.exchange_order
    assert replacement is not None and replacement.external_ref == rma.number
    assert _stock("TEE-M").reserved == 1
    line = replacement.lines.get()
    assert line.allocations.get().quantity == 1
    # The returned units' value (100 + the whole order's delivery 120) pays the replacement (220).
    from orderloop.payments.selectors import payment_sums

    assert payment_sums(replacement).net_paid == replacement.total_amount
    assert rma.status == ReturnStatus.EXCHANGED and rma.refund_amount == 0
    assert CreditNote.objects.get(request=rma).settlement == "exchange"


def test_an_exchange_without_stock_is_refused_and_nothing_is_written(delivered: Any) -> None:
    order = delivered(("TEE-S", 1), method="bank_transfer")
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    from orderloop.inventory.errors import InsufficientStock

    orders_before = Order.objects.count()
    with pytest.raises(InsufficientStock):
        services.return_exchange(
            rma_id=rma.pk, items=[services.ExchangeItem(sku="TEE-M", quantity=11)], actor=None
        )
    assert Order.objects.count() == orders_before
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.INSPECTED
    assert _stock("TEE-M").reserved == 0


# --- The refund SLA -------------------------------------------------------------------------------------


def test_an_overdue_refund_is_flagged_once_and_managers_are_notified(delivered: Any, make_staff: Any) -> None:
    _policy(refund_due_days=7)
    manager = make_staff("Manager")
    rma = _received(_open(delivered()))
    assert rma.refund_due_at == rma.received_at + timedelta(days=7)
    assert services.returns_check_refund_sla(now=timezone.now() + timedelta(days=6)).overdue == []
    later = timezone.now() + timedelta(days=8)
    report = services.returns_check_refund_sla(now=later)
    assert report.overdue == [rma.number] and report.notified == 1
    assert services.returns_check_refund_sla(now=later).overdue == []  # once
    note = StaffNotification.objects.get(recipient=manager)
    assert rma.number in note.text
    assert ReturnRequest.objects.get(pk=rma.pk).refund_overdue_at is not None


def test_a_refund_made_in_time_is_not_flagged(card_delivered: Any) -> None:
    rma = _inspect_all(_received(_open(card_delivered())))
    services.return_refund(rma_id=rma.pk, actor=None)
    assert services.returns_check_refund_sla(now=timezone.now() + timedelta(days=30)).overdue == []


def test_a_bank_refund_not_paid_in_time_is_flagged(delivered: Any) -> None:
    rma = _inspect_all(_received(_open(delivered())))
    services.return_refund(rma_id=rma.pk, actor=None, bank_iban="SE4550000000058398257466", bank_holder="O")
    assert services.returns_check_refund_sla(now=timezone.now() + timedelta(days=15)).overdue == [rma.number]


# --- Credit notes --------------------------------------------------------------------------------------


def test_credit_notes_are_numbered_without_gaps_and_immutable(delivered: Any) -> None:
    numbers = []
    for _n in range(2):
        order = delivered(("TEE-S", 1), method="bank_transfer")
        rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
        services.return_refund(
            rma_id=rma.pk, actor=None, bank_iban="SE4550000000058398257466", bank_holder="O"
        )
        numbers.append(CreditNote.objects.get(request=rma).number)
    year = timezone.localdate().year
    assert numbers == [f"CN{year}-000001", f"CN{year}-000002"]
    note = CreditNote.objects.get(number=numbers[0])
    with pytest.raises(ImmutableCreditNote):
        note.save()
    with pytest.raises(ImmutableCreditNote):
        CreditNote.objects.filter(pk=note.pk).update(total_amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("UPDATE returns_creditnote SET total_amount = 1 WHERE id = %s", [note.pk])
    from orderloop.returns.documents import render_credit_note_pdf

    assert render_credit_note_pdf(note).startswith(b"%PDF")


def test_photos_are_checked_before_anything_is_stored(delivered: Any) -> None:
    import io

    from PIL import Image

    from orderloop.returns.errors import PhotoInvalid
    from orderloop.returns.photos import PhotoUpload

    order = delivered()
    with pytest.raises(PhotoInvalid):
        _open(order, photos=[PhotoUpload(name="x.jpg", content=b"<?php echo 1; ?>")])
    assert not ReturnRequest.objects.filter(order=order).exists()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    rma = _open(order, photos=[PhotoUpload(name="stain.png", content=buffer.getvalue())])
    photo = rma.photos.get()
    assert (photo.content_type, photo.size) == ("image/png", len(buffer.getvalue()))


def test_order_transition_still_guards_the_order(delivered: Any) -> None:
    with pytest.raises(InvalidTransition):
        order_transition(order_id=delivered().pk, to="returned", actor=None)
