"""Reads of the storefront: the catalogue, a product with live availability, the cart, the checkout
quote (delivery options with price and expected date, coupon, totals). Never write. The signed order
links live in `orders/links.py`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from orderloop.catalog.domain import main_image
from orderloop.catalog.models import Category, Product, ProductImage, Variant
from orderloop.catalog.selectors import images_of_products, product_main_images, variant_images
from orderloop.core.money import Money
from orderloop.inventory.models import StockLevel
from orderloop.orders.allocation import LineDemand, options_from_rows, plan_allocation

# The signed order links moved down to orders (emails and labels need them too); the storefront's pages
# and the tests still reach them here.
from orderloop.orders.links import TRACK_SALT as TRACK_SALT
from orderloop.orders.links import card_payments_enabled as card_payments_enabled
from orderloop.orders.links import order_from_tracking_token as order_from_tracking_token
from orderloop.orders.links import order_pay_url as order_pay_url
from orderloop.orders.links import tracking_token as tracking_token
from orderloop.orders.links import tracking_url as tracking_url
from orderloop.orders.models import (
    Channel,
    DeliveryKind,
    DeliveryMethod,
    Order,
    OrderEvent,
    PaymentKind,
    PaymentMethod,
)

# Still to untangle: two reads that live in orders' services (docs/architecture.md).
from orderloop.orders.services import gift_candidate, promised_delivery_date
from orderloop.payments.selectors import PaymentSplit, payment_split
from orderloop.promotions import domain as promotions
from orderloop.promotions.selectors import CouponQuote, coupon_quote

from . import domain
from .models import Cart, CartLine

PAGE_SIZE = 24


# --- Catalogue --------------------------------------------------------------------------------------


def available_by_variant(variant_ids: Iterable[int]) -> dict[int, int]:
    """Units that can still be ordered now, per variant, over every active warehouse."""
    rows = (
        StockLevel.objects.filter(variant_id__in=set(variant_ids), warehouse__is_active=True)
        .values("variant_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    )
    return {row["variant_id"]: max((row["on_hand"] or 0) - (row["reserved"] or 0), 0) for row in rows}


def _for_sale() -> Q:
    return Q(is_active=True, variants__is_active=True)


def categories() -> QuerySet[Category]:
    return (
        Category.objects.filter(products__is_active=True, products__variants__is_active=True)
        .distinct()
        .order_by("name")
    )


@dataclass
class ProductCard:
    product: Product
    min_price: Money
    max_price: Money
    in_stock: bool
    image: ProductImage | None = None


def catalogue(*, query: str = "", category: str = "", page: int = 1) -> tuple[list[ProductCard], bool]:
    """Products for sale (search in names, SKUs and translated names), `PAGE_SIZE` a page; and whether
    there is a next page."""
    matching = Product.objects.filter(_for_sale())
    text = query.strip()
    if text:
        matching = matching.filter(
            Q(name__icontains=text)
            | Q(name_translations__icontains=text)
            | Q(variants__sku__iexact=text)
            | Q(category__name__icontains=text)
        )
    if category:
        matching = matching.filter(category__slug=category)
    products = (
        Product.objects.filter(pk__in=matching.values("pk"))
        .annotate(
            min_price=Min("variants__price_amount", filter=Q(variants__is_active=True)),
            max_price=Max("variants__price_amount", filter=Q(variants__is_active=True)),
        )
        .select_related("category")
        .order_by("name", "id")
    )
    start = (max(page, 1) - 1) * PAGE_SIZE
    chunk = list(products[start : start + PAGE_SIZE + 1])
    has_next = len(chunk) > PAGE_SIZE
    chunk = chunk[:PAGE_SIZE]
    currency_of = dict(
        Variant.objects.filter(product__in=chunk, is_active=True)
        .values_list("product_id", "currency")
        .distinct()
    )
    variant_ids = Variant.objects.filter(product__in=chunk, is_active=True).values_list("id", "product_id")
    available = available_by_variant(vid for vid, _pid in variant_ids)
    stocked_products = {pid for vid, pid in variant_ids if available.get(vid, 0) > 0}
    images = product_main_images(product.pk for product in chunk)
    cards = []
    for product in chunk:
        currency = currency_of.get(product.pk, settings.ORDERLOOP["DEFAULT_CURRENCY"])
        cards.append(
            ProductCard(
                product=product,
                min_price=Money.of(product.min_price or 0, currency),  # type: ignore[attr-defined]
                max_price=Money.of(product.max_price or 0, currency),  # type: ignore[attr-defined]
                in_stock=product.pk in stocked_products or product.allow_backorder,
                image=images.get(product.pk),
            )
        )
    return cards, has_next


@dataclass
class VariantChoice:
    variant: Variant
    available: int
    orderable: bool

    @property
    def label(self) -> str:
        return self.variant.attributes_label or self.variant.sku


@dataclass
class PickerOptionView:
    option: domain.PickerOption
    target: VariantChoice

    @property
    def value(self) -> str:
        return self.option.value


@dataclass
class PickerView:
    name: str
    label: str
    options: list[PickerOptionView]


@dataclass
class ProductPage:
    product: Product
    variants: list[VariantChoice]
    selected: VariantChoice
    # One picker per attribute (size, colour, …); empty when the variants are listed one by one.
    pickers: list[PickerView] = field(default_factory=list)
    # The chosen variant's picture, and the pictures shown with it (`product_page`).
    image: ProductImage | None = None
    gallery: list[ProductImage] = field(default_factory=list)


def product_page(
    *, handle: str, sku: str = "", attributes: dict[str, str] | None = None
) -> ProductPage | None:
    """A product for sale with its variants and their availability. The chosen variant is the one with
    `sku`, else the one the `attributes` choice lands on (`domain.resolve_combination`), else the first
    that can be ordered."""
    product = Product.objects.filter(handle=handle, is_active=True).select_related("category").first()
    if product is None:
        return None
    variants = list(product.variants.filter(is_active=True).order_by("id"))
    if not variants:
        return None
    available = available_by_variant(v.pk for v in variants)
    choices = [
        VariantChoice(
            variant=v,
            available=available.get(v.pk, 0),
            orderable=available.get(v.pk, 0) > 0 or product.allow_backorder,
        )
        for v in variants
    ]
    combinations = [
        domain.StockedCombination(
            attributes={str(k): str(value) for k, value in (c.variant.attributes or {}).items()},
            available=c.available,
            orderable=c.orderable,
        )
        for c in choices
    ]
    axes = domain.picker_axes(combinations)
    selected = next((c for c in choices if sku and c.variant.sku == sku), None)
    if selected is None and axes and attributes:
        selected = choices[domain.resolve_combination(axes, combinations, attributes)]
    if selected is None:
        selected = next((c for c in choices if c.orderable), choices[0])
    pickers = []
    if axes:
        for picker in domain.attribute_pickers(axes, combinations, choices.index(selected)):
            pickers.append(
                PickerView(
                    name=picker.name,
                    label=domain.attribute_label(picker.name),
                    options=[PickerOptionView(option=o, target=choices[o.target]) for o in picker.options],
                )
            )
    pictures = images_of_products([product.pk]).get(product.pk, [])
    image = main_image(pictures, selected.variant.pk)
    # The gallery: the chosen variant's own pictures and the whole product's, not the other variants'.
    gallery = [p for p in pictures if p.variant_id in (None, selected.variant.pk)]
    if image is not None and image not in gallery:
        gallery.insert(0, image)
    return ProductPage(
        product=product,
        variants=choices,
        selected=selected,
        pickers=pickers,
        image=image,
        gallery=gallery,
    )


def variant_for_attributes(*, handle: str, attributes: dict[str, str]) -> Variant | None:
    """The active variant of a product for sale with exactly these attribute values (the add-to-cart
    form's pickers without JavaScript), or None when that combination does not exist."""
    wanted = {str(k): str(v) for k, v in attributes.items()}
    for variant in Variant.objects.filter(
        product__handle=handle, product__is_active=True, is_active=True
    ).order_by("id"):
        if {str(k): str(v) for k, v in (variant.attributes or {}).items()} == wanted:
            return variant
    return None


# --- The cart ---------------------------------------------------------------------------------------


@dataclass
class CartLineView:
    line: CartLine
    variant: Variant
    unit_price: Money
    total: Money
    available: int
    # Why the line cannot be ordered as it is ("" when it can).
    problem: str = ""
    image: ProductImage | None = None


@dataclass
class CartView:
    cart: Cart | None
    lines: list[CartLineView] = field(default_factory=list)
    currency: str = ""

    @property
    def count(self) -> int:
        return sum(line.line.quantity for line in self.lines)

    @property
    def subtotal(self) -> Money:
        total = Money.of(0, self.currency or settings.ORDERLOOP["DEFAULT_CURRENCY"])
        for line in self.lines:
            total = total + line.total
        return total

    @property
    def orderable(self) -> bool:
        return bool(self.lines) and not any(line.problem for line in self.lines)


def cart_view(cart: Cart | None) -> CartView:
    from django.utils.translation import gettext as _

    if cart is None:
        return CartView(cart=None)
    lines = list(
        CartLine.objects.filter(cart=cart).select_related("variant__product").order_by("added_at", "id")
    )
    available = available_by_variant(line.variant_id for line in lines)
    images = variant_images(line.variant_id for line in lines)
    view = CartView(cart=cart, currency=lines[0].variant.currency if lines else "")
    for line in lines:
        variant = line.variant
        units = available.get(variant.pk, 0)
        problem = ""
        if not (variant.is_active and variant.product.is_active):
            problem = _("No longer for sale.")
        elif variant.currency != view.currency:
            problem = _("Priced in another currency; order it separately.")
        elif units < line.quantity and not variant.product.allow_backorder:
            problem = _("Only %(n)s left.") % {"n": units} if units > 0 else _("Out of stock.")
        view.lines.append(
            CartLineView(
                line=line,
                variant=variant,
                unit_price=variant.price,
                total=variant.price * line.quantity,
                available=units,
                problem=problem,
                image=images.get(variant.pk),
            )
        )
    return view


# --- Checkout ---------------------------------------------------------------------------------------


@dataclass
class DeliveryOption:
    method: DeliveryMethod
    price: Money
    expected: date | None

    @property
    def is_express(self) -> bool:
        return self.method.kind == DeliveryKind.EXPRESS


@dataclass
class CheckoutQuote:
    subtotal: Money
    discount: Money
    coupon: CouponQuote | None
    delivery_options: list[DeliveryOption]
    selected_delivery: DeliveryOption | None
    payment_methods: list[PaymentMethod]
    gift: Variant | None = None
    selected_payment: PaymentMethod | None = None

    @property
    def payment_split(self) -> PaymentSplit | None:
        """What the chosen payment method asks now and at the door (payments' own rule)."""
        if self.selected_payment is None:
            return None
        return payment_split(kind=self.selected_payment.kind, total=self.total)

    @property
    def delivery_price(self) -> Money:
        if self.selected_delivery is None:
            return Money.of(0, self.subtotal.currency)
        return self.selected_delivery.price

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount + self.delivery_price


def storefront_payment_methods() -> list[PaymentMethod]:
    """The methods a customer may choose: card only where a card provider is configured."""
    methods = list(PaymentMethod.objects.filter(is_active=True).order_by("sort_order", "code"))
    if not card_payments_enabled():
        methods = [m for m in methods if m.kind != PaymentKind.CARD]
    return methods


def _expected_handover_warehouses(view: CartView) -> list[Any]:
    """The warehouses that would reserve this cart now (the shop's allocation strategy, unlocked read:
    a preview; placing the order decides for real)."""
    variant_ids = [line.variant.pk for line in view.lines]
    rows = list(
        StockLevel.objects.select_related("warehouse").filter(
            variant_id__in=variant_ids, warehouse__is_active=True
        )
    )
    options = options_from_rows(rows)
    plans = plan_allocation(
        [LineDemand(variant_id=line.variant.pk, quantity=line.line.quantity) for line in view.lines],
        options,
        str(settings.ORDERLOOP.get("ALLOCATION_STRATEGY", "priority")),
    )
    warehouse_of = {row.pk: row.warehouse for row in rows}
    used = {
        warehouse_of[stock_id].pk: warehouse_of[stock_id] for plan in plans for stock_id, _q in plan.takes
    }
    if any(plan.short for plan in plans):
        return []
    return list(used.values())


def expected_dates(view: CartView, methods: list[DeliveryMethod]) -> dict[int, date | None]:
    """Each method's expected date for this cart, by the rule placing the order promises with."""
    warehouses = _expected_handover_warehouses(view) if view.lines else []
    now = timezone.now()
    return {
        method.pk: promised_delivery_date(warehouses=warehouses, transit_days=method.transit_days, now=now)
        for method in methods
    }


def checkout_quote(
    *,
    view: CartView,
    country: str,
    delivery_code: str = "",
    coupon_code: str = "",
    email: str = "",
    phone: str = "",
    payment_code: str = "",
) -> CheckoutQuote:
    subtotal = view.subtotal
    currency = subtotal.currency
    methods = [
        m
        for m in DeliveryMethod.objects.filter(is_active=True, currency=currency).order_by(
            "sort_order", "code"
        )
        if not country or m.serves(country)
    ]
    dates = expected_dates(view, methods)
    options = [DeliveryOption(method=m, price=m.price, expected=dates.get(m.pk)) for m in methods]
    selected = next((o for o in options if o.method.code == delivery_code), None)
    coupon = (
        coupon_quote(code=coupon_code, subtotal=subtotal, email=email, phone=phone)
        if coupon_code.strip()
        else None
    )
    discount = (
        coupon.discount if coupon is not None and coupon.discount is not None else Money.of(0, currency)
    )
    gift = _gift_preview(view, subtotal - discount)
    payment_methods = storefront_payment_methods()
    return CheckoutQuote(
        subtotal=subtotal,
        discount=discount,
        coupon=coupon,
        delivery_options=options,
        selected_delivery=selected,
        payment_methods=payment_methods,
        gift=gift,
        # The method the customer chose; the page checks the first one until they choose.
        selected_payment=next(
            (m for m in payment_methods if m.code == payment_code),
            payment_methods[0] if payment_methods else None,
        ),
    )


def _gift_preview(view: CartView, goods_total: Money) -> Variant | None:
    """The gift placing this cart would add: the orders service's own rule, and a unit available now."""
    rule = settings.ORDERLOOP.get("FREE_GIFT") or {}
    if not promotions.gift_applies(thresholds=rule.get("min_total"), goods_total=goods_total):
        return None
    gift = gift_candidate(Channel.WEB, goods_total.currency, ordered={line.variant.pk for line in view.lines})
    if gift is None or available_by_variant([gift.pk]).get(gift.pk, 0) < 1:
        return None
    return gift


def gift_threshold_left(goods_total: Money) -> Money | None:
    """How much more the customer would spend to get the free gift (None: no gift rule, or reached)."""
    rule = settings.ORDERLOOP.get("FREE_GIFT") or {}
    threshold = (
        promotions.gift_threshold(rule.get("min_total"), goods_total.currency) if rule.get("sku") else None
    )
    if threshold is None or goods_total.amount >= threshold:
        return None
    return Money.of(threshold - goods_total.amount, goods_total.currency)


# --- Following an order ------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    time: Any
    label: str


def customer_timeline(order: Order) -> list[TimelineEntry]:
    from django.utils.translation import gettext as _

    entries = []
    for event in OrderEvent.objects.filter(order=order).order_by("id"):
        if event.kind == "placed":
            entries.append(TimelineEntry(event.created_at, _("Order placed")))
        elif event.kind == "status_change":
            label = domain.timeline_label(event.to_status, event.reason)
            if label:
                entries.append(TimelineEntry(event.created_at, label))
    return entries


def customer_status_of(order: Order, *, paid: bool) -> domain.CustomerStatus:
    return domain.customer_status(
        order.status,
        payment_kind=order.payment_method.kind,
        paid=paid,
        delivery_kind=order.delivery_method.kind,
    )


def zero(currency: str) -> Money:
    return Money.of(Decimal(0), currency)
