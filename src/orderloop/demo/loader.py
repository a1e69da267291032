"""Load the demo shop once: staff users for every role, a translated catalogue, three warehouses with
bin locations, opening stock, and purchasing (suppliers with price lists, reorder rules on low rows, one
purchase order on its way).

The plan (`plan_catalog`, `plan_stock`) is pure and deterministic (a seeded random generator), so every
machine gets the same shop. Catalog rows are written with bulk_create (they carry no history); warehouses,
bins, users and every unit of stock go through the areas' services, so the stock ledger matches the stock
rows exactly (`check_stock_ledger` passes).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from orderloop.catalog import images as image_files
from orderloop.catalog import services as catalog
from orderloop.catalog.domain import ean13_with_check_digit
from orderloop.catalog.models import BarcodeType, Category, Product, Variant
from orderloop.core.services import roles_sync, staff_user_get_or_create
from orderloop.fulfillment import selectors as fulfillment_selectors
from orderloop.fulfillment import services as fulfillment
from orderloop.fulfillment.models import PickList
from orderloop.inventory import services as inventory
from orderloop.inventory.models import BinLocation, MovementReason, Warehouse
from orderloop.orders import services as orders
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.locks import order_for_update
from orderloop.orders.shipout import order_lines_ship_out
from orderloop.payments import services as payments
from orderloop.promotions.services import coupon_create
from orderloop.purchasing import services as purchasing
from orderloop.purchasing.models import ReorderMethod, ReorderRule, SupplierItem
from orderloop.returns import services as returns
from orderloop.shipping.models import Carrier, PickupPoint

from . import tables
from .tables import ProductType, WarehouseRow

SEED = 20240601


@dataclass(frozen=True)
class PlannedVariant:
    sku: str
    barcode: str
    attributes: dict[str, str]
    price_amount: Decimal
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class PlannedProduct:
    handle: str
    name: str
    name_translations: dict[str, str]
    category: str
    description: str
    zone: str
    stock_max: int
    variants: list[PlannedVariant] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedStock:
    sku: str
    warehouse: str
    quantity: int
    bin_slot: int  # which bin of the product's zone (modulo the number of bins there)


@dataclass(frozen=True)
class DemoSummary:
    users: int
    categories: int
    products: int
    variants: int
    warehouses: int
    bins: int
    stock_rows: int
    units: int
    seconds: float
    orders: int = 0
    pictures: int = 0


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def _size_window(rng: random.Random, sizes: tuple[str, ...]) -> list[tuple[int, str]]:
    """The consecutive sizes one product is made in (shoes come in a longer run than clothes)."""
    if len(sizes) <= 3:
        return list(enumerate(sizes))
    count = rng.choice((4, 5)) if len(sizes) >= 8 else rng.choice((3, 4))
    start = rng.randint(0, len(sizes) - count)
    return [(index, sizes[index]) for index in range(start, start + count)]


def _price_choices(kind: ProductType) -> list[int]:
    return [price for price in range(kind.price_from, kind.price_to + 1) if price % 50 == 49] or [
        kind.price_from
    ]


def plan_catalog(seed: int = SEED) -> list[PlannedProduct]:
    """Every demo product with its variants: ~200 products, ~1,300 variants, unique SKUs and EAN-13s."""
    rng = random.Random(seed)
    products: list[PlannedProduct] = []
    item_number = 0
    for type_index, kind in enumerate(tables.PRODUCT_TYPES):
        models = [
            tables.MODEL_NAMES[(type_index + offset) % len(tables.MODEL_NAMES)]
            for offset in range(tables.MODELS_PER_TYPE)
        ]
        for model in models:
            one_size = len(kind.sizes) == 1
            wanted = rng.randint(2, 4) if one_size else rng.choice((2, 2, 2, 3))
            colours = rng.sample(kind.palette, min(wanted, len(kind.palette)))
            sizes = _size_window(rng, kind.sizes)
            price = Decimal(rng.choice(_price_choices(kind))).quantize(Decimal("0.01"))
            middle = (len(kind.sizes) - 1) / 2
            product = PlannedProduct(
                handle=f"{_slug(kind.en)}-{_slug(model)}",
                name=f"{kind.en} {model}",
                name_translations=kind.translations(model),
                category=kind.category,
                description=kind.description,
                zone=tables.CATEGORY_ZONE[kind.category],
                stock_max=kind.stock_max,
            )
            for colour in colours:
                for size_index, size in sizes:
                    item_number += 1
                    scale = 1 + 0.05 * (size_index - middle)
                    size_code = "OS" if one_size else size
                    product.variants.append(
                        PlannedVariant(
                            sku=f"{kind.code}-{model.upper()}-{tables.COLOURS[colour]}-{size_code}",
                            barcode=ean13_with_check_digit(f"{tables.EAN_PREFIX}{item_number:05d}"),
                            attributes={"size": size, "colour": colour},
                            price_amount=price,
                            weight_g=_round_to(kind.weight_g * scale, 5),
                            length_mm=_round_to(kind.length_mm * min(scale, 1.1), 5),
                            width_mm=kind.width_mm,
                            height_mm=kind.height_mm,
                        )
                    )
            products.append(product)
    return products


def plan_stock(products: Iterable[PlannedProduct], seed: int = SEED) -> list[PlannedStock]:
    """Where each variant is kept and how many: every variant in one to three warehouses, some rows
    empty and some low, so the stock pages have something to highlight."""
    rng = random.Random(seed + 1)
    plan: list[PlannedStock] = []
    for product_number, product in enumerate(products):
        for variant in product.variants:
            chosen = [row for row in tables.WAREHOUSES if rng.random() < row.stocked_share]
            for row in chosen or [tables.WAREHOUSES[0]]:
                roll = rng.random()
                if roll < 0.06:
                    quantity = 0
                elif roll < 0.16:
                    quantity = rng.randint(1, 5)
                else:
                    quantity = rng.randint(6, max(6, int(product.stock_max * row.stock_scale)))
                plan.append(PlannedStock(variant.sku, row.code, quantity, product_number * 7))
    return plan


def demo_data_present() -> bool:
    """The marker: the first demo product exists (so a second run changes nothing)."""
    first = plan_first_handle()
    return Product.objects.filter(handle=first).exists()


def plan_first_handle() -> str:
    kind = tables.PRODUCT_TYPES[0]
    return f"{_slug(kind.en)}-{_slug(tables.MODEL_NAMES[0])}"


def _users() -> int:
    """A staff user per role. The password is hashed once and shared (hashing is deliberately slow, and
    the demo password is public anyway); an existing user keeps its password."""
    roles_sync()
    password_hash = make_password(tables.DEMO_PASSWORD)
    for username, role in tables.DEMO_USERS.items():
        user, created = staff_user_get_or_create(username=username, role=role)
        if created:
            user.password = password_hash
            user.save(update_fields=["password"])
    return len(tables.DEMO_USERS)


def _categories() -> dict[str, Category]:
    existing = set(Category.objects.values_list("slug", flat=True))
    missing = [
        Category(slug=row.slug, name=row.en, name_translations=row.translations())
        for row in tables.CATEGORIES
        if row.slug not in existing
    ]
    Category.objects.bulk_create(missing)
    slugs = [row.slug for row in tables.CATEGORIES]
    return {category.slug: category for category in Category.objects.filter(slug__in=slugs)}


def _catalog(products: list[PlannedProduct], categories: dict[str, Category]) -> dict[str, Variant]:
    Product.objects.bulk_create(
        Product(
            handle=planned.handle,
            name=planned.name,
            name_translations=planned.name_translations,
            description=planned.description,
            category=categories[planned.category],
        )
        for planned in products
    )
    ids = dict(
        Product.objects.filter(handle__in=[planned.handle for planned in products]).values_list(
            "handle", "id"
        )
    )
    Variant.objects.bulk_create(
        (
            Variant(
                product_id=ids[planned.handle],
                sku=variant.sku,
                barcode=variant.barcode,
                barcode_type=BarcodeType.EAN13,
                attributes=variant.attributes,
                price_amount=variant.price_amount,
                currency=tables.CURRENCY,
                weight_g=variant.weight_g,
                length_mm=variant.length_mm,
                width_mm=variant.width_mm,
                height_mm=variant.height_mm,
            )
            for planned in products
            for variant in planned.variants
        ),
        batch_size=500,
    )
    skus = [variant.sku for planned in products for variant in planned.variants]
    return Variant.objects.in_bulk(skus, field_name="sku")


# How the demo draws each colour of tables.COLOURS.
DRAWN_COLOURS = {
    "Black": "#23262b",
    "White": "#f2f1ec",
    "Grey": "#8d939b",
    "Navy": "#243b63",
    "Red": "#b3282d",
    "Burgundy": "#6d1f33",
    "Olive": "#6b6e35",
    "Green": "#2f7a4b",
    "Beige": "#d8c7a6",
    "Sand": "#c9b18a",
    "Brown": "#6b4a32",
    "Cognac": "#9a5a2c",
    "Blue": "#2f5fa8",
    "Light blue": "#8fb8de",
    "Pink": "#e3a3b5",
    "Mustard": "#c99a2e",
    "Natural": "#e6dcc4",
}
PICTURE_EDGE = 480


def demo_picture(initial: str, colour: str) -> bytes:
    """A demo product picture drawn with Pillow (nothing is downloaded): a square in the product's
    colour with the product's initial."""
    fill = DRAWN_COLOURS.get(colour, "#8d939b")
    red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    ink = "#1b1f24" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"
    image = Image.new("RGB", (PICTURE_EDGE, PICTURE_EDGE), "#f6f4ef")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((36, 36, PICTURE_EDGE - 36, PICTURE_EDGE - 36), radius=48, fill=fill)
    font = ImageFont.load_default(size=240)
    draw.text((PICTURE_EDGE / 2, PICTURE_EDGE / 2), initial[:1].upper(), font=font, anchor="mm", fill=ink)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# Which demo products get pictures: the catalogue's first page, the first model of every product type,
# and every variant of the first product (in its colour, so choosing a colour changes the picture).
DEMO_PICTURED_FIRST_PAGE = 24


def _demo_pictures(products: list[PlannedProduct]) -> int:

    def add(product: Product, colour: str, variant_id: int | None = None) -> None:
        picture = demo_picture(product.name, colour)
        catalog.product_images_add(
            product_id=product.pk,
            images=image_files.prepare_images([image_files.ImageUpload(f"{product.handle}.png", picture)]),
            variant_id=variant_id,
            alt_text=f"{product.name}, {colour}" if variant_id else product.name,
        )

    first_handle = plan_first_handle()
    first_of_type: dict[str, str] = {}
    for planned in products:
        first_of_type.setdefault(planned.variants[0].sku.split("-")[0], planned.handle)
    first_page = Product.objects.order_by("name", "id")[:DEMO_PICTURED_FIRST_PAGE]
    chosen = [*first_page, *Product.objects.filter(handle__in=first_of_type.values()).order_by("name")]
    count = 0
    for product in {product.pk: product for product in chosen if product.handle != first_handle}.values():
        variant = product.variants.order_by("id").first()
        add(product, str((variant.attributes if variant else {}).get("colour", "")))
        count += 1
    first = Product.objects.get(handle=first_handle)
    for variant in first.variants.order_by("id"):
        add(first, str(variant.attributes.get("colour", "")), variant.pk)
        count += 1
    return count


def _walk(row: WarehouseRow) -> Iterable[tuple[str, str, str, str]]:
    """Bin positions in the order a picker walks them: zone by zone, up one aisle and down the next."""
    for zone in tables.ZONES:
        for aisle in range(1, row.aisles + 1):
            positions = range(1, row.bins + 1)
            for position in positions if aisle % 2 else reversed(positions):
                for shelf in range(1, row.shelves + 1):
                    yield zone, str(aisle), str(shelf), str(position)


def _warehouses() -> tuple[dict[str, Warehouse], dict[tuple[str, str], list[BinLocation]], int]:
    """The demo warehouses (an existing warehouse with the same code is reused) and their bins by
    (warehouse code, zone), in pick-route order."""
    warehouses: dict[str, Warehouse] = {}
    zone_bins: dict[tuple[str, str], list[BinLocation]] = {}
    created_bins = 0
    for row in tables.WAREHOUSES:
        warehouse = Warehouse.objects.filter(code=row.code).first() or inventory.warehouse_create(
            code=row.code,
            name=row.name,
            country=row.country,
            address_line=row.address_line,
            city=row.city,
            postal_code=row.postal_code,
            priority=row.priority,
            actor=None,
        )
        warehouses[row.code] = warehouse
        existing = {found.code: found for found in BinLocation.objects.filter(warehouse=warehouse)}
        for step, (zone, aisle, shelf, position) in enumerate(_walk(row), start=1):
            code = inventory.bin_code_for(zone=zone, aisle=aisle, shelf=shelf, bin=position)
            found = existing.get(code)
            if found is None:
                found = inventory.bin_create(
                    warehouse=warehouse,
                    zone=zone,
                    aisle=aisle,
                    shelf=shelf,
                    bin=position,
                    route_order=step * 10,
                    actor=None,
                )
                created_bins += 1
            zone_bins.setdefault((row.code, zone), []).append(found)
    return warehouses, zone_bins, created_bins


def _storefront_extras(
    warehouses: dict[str, Warehouse], categories: dict[str, Category], gift_bin: BinLocation
) -> int:
    """The free gift of the order rules (settings FREE_GIFT), two coupons, and each warehouse's cut-off."""
    tote = Product.objects.create(
        handle="gift-tote-bag",
        name="Canvas tote bag",
        name_translations={
            "uk": "Полотняна сумка-шопер",
            "ru": "Холщовая сумка-шопер",
            "sv": "Tygkasse",
            "ar": "حقيبة قماشية",
        },
        description="Our thank-you gift for larger orders.",
        category=categories["bags"],
    )
    gift = Variant.objects.create(
        product=tote,
        sku="GIFT-TOTE",
        barcode=ean13_with_check_digit(tables.EAN_PREFIX + "99999"),
        barcode_type=BarcodeType.EAN13,
        attributes={"colour": "Natural"},
        price_amount=Decimal("190.00"),
        currency=tables.CURRENCY,
        weight_g=120,
        length_mm=380,
        width_mm=320,
        height_mm=5,
    )
    inventory.stock_assign_bin(variant=gift, warehouse=warehouses["kyiv"], bin=gift_bin, actor=None)
    inventory.stock_adjust(
        variant=gift,
        warehouse=warehouses["kyiv"],
        delta=200,
        reason=MovementReason.RECEIPT,
        actor=None,
        reference=tables.OPENING_REFERENCE,
        note="Opening stock of the demo shop",
    )
    coupon_create(code="WELCOME10", kind="percent", value="10", max_uses_per_customer=1)
    coupon_create(
        code="MINUS200",
        kind="fixed",
        value="200",
        currency=tables.CURRENCY,
        min_subtotal="1500",
        max_uses=100,
    )
    # The EU hub ships a day later than the Ukrainian warehouses.
    Warehouse.objects.filter(code="stockholm").update(handling_days=2, cutoff_time="12:00")
    return 200


def _purchasing(
    products: list[PlannedProduct],
    variants: dict[str, Variant],
    warehouses: dict[str, Warehouse],
    stock_plan: list[PlannedStock],
) -> None:
    """Suppliers through the service; price lists and rules in bulk (they carry no history); one
    purchase order sent through the services (its units become incoming, its email is queued)."""
    suppliers = {}
    for row in tables.SUPPLIERS:
        suppliers[row.code] = purchasing.supplier_create(
            code=row.code,
            name=row.name,
            contact_name=row.contact_name,
            email=row.email,
            phone=row.phone,
            address=row.address,
            language=row.language,
            currency=row.currency,
            lead_time_days=row.lead_time_days,
            min_order_quantity=row.min_order_quantity,
            pack_size=row.pack_size,
            buyer_username="manager" if "manager" in tables.DEMO_USERS else None,
            actor=None,
        )
    items = []
    for planned in products:
        for row in tables.SUPPLIERS:
            preferred = planned.category in row.categories
            if not preferred and planned.category not in row.also:
                continue
            factor = Decimal(row.price_factor) * (1 if preferred else Decimal("1.08"))
            for variant in planned.variants:
                items.append(
                    SupplierItem(
                        supplier=suppliers[row.code],
                        variant=variants[variant.sku],
                        supplier_sku=f"{row.code[:3].upper()}-{variant.barcode[-5:]}",
                        currency=row.currency,
                        price_amount=(variant.price_amount * factor).quantize(Decimal("0.01")),
                        is_preferred=preferred,
                    )
                )
    SupplierItem.objects.bulk_create(items, batch_size=500)

    main = tables.WAREHOUSES[0].code
    low_rows = sorted(p.sku for p in stock_plan if p.warehouse == main and p.quantity <= 5)
    supplier = suppliers[tables.DEMO_SENT_PO_SUPPLIER]
    theirs = set(
        SupplierItem.objects.filter(supplier=supplier, is_preferred=True).values_list(
            "variant__sku", flat=True
        )
    )
    on_the_way = [sku for sku in low_rows if sku in theirs][: tables.DEMO_SENT_PO_LINES]
    step = max(1, len(low_rows) // tables.DEMO_RULES_MAX)
    spread = [sku for sku in low_rows[::step] if sku not in on_the_way]
    low = (on_the_way + spread)[: tables.DEMO_RULES_MAX]
    low_min, low_max = tables.DEMO_RULE_MIN_MAX
    ReorderRule.objects.bulk_create(
        ReorderRule(
            variant=variants[sku],
            warehouse=warehouses[main],
            method=ReorderMethod.MIN_MAX if index % 2 == 0 else ReorderMethod.REORDER_POINT,
            min_quantity=low_min if index % 2 == 0 else None,
            max_quantity=low_max if index % 2 == 0 else None,
            safety_stock=0 if index % 2 == 0 else tables.DEMO_RULE_SAFETY_STOCK,
        )
        for index, sku in enumerate(low)
    )
    if on_the_way:
        po = purchasing.purchase_order_create(
            supplier=supplier,
            warehouse=warehouses[main],
            lines=[purchasing.LineInput(sku=sku, quantity=12) for sku in on_the_way],
            note="Demo: already on its way",
            actor=None,
        )
        purchasing.purchase_order_send(po_id=po.pk, actor=None)


def _demo_orders(stock_plan: list[PlannedStock]) -> int:
    """A few orders ready for the warehouse (so the fulfilment queue has something to show), placed
    through the order and payment services: cash on delivery confirmed (one express), one paid by bank
    transfer (its invoice goes in the parcel), and one still new (not ready yet)."""
    kyiv = [row.sku for row in stock_plan if row.warehouse == "kyiv" and row.quantity >= 6]
    address = AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 22")
    today = timezone.localdate()
    placed = 0
    for index, (customer, skus, payment, priority, promised, confirm) in enumerate(tables.DEMO_ORDERS):
        name, phone, language = customer
        order = orders.order_place(
            channel="web",
            customer=CustomerData(name=name, phone=phone, email="", language=language),
            shipping_address=address,
            delivery_method_code="express" if priority == "express" else "door_delivery",
            payment_method_code=payment,
            lines=[
                LineData(sku=kyiv[(index * 37 + n * 11) % len(kyiv)], quantity=q) for n, q in enumerate(skus)
            ],
            priority=priority,
            actor=None,
        )
        if promised is not None:
            # The checkout sets the promise; the demo states it the same way for a mixed queue.
            type(order).objects.filter(pk=order.pk).update(promised_date=today + timedelta(days=promised))
        if confirm:
            orders.order_confirm(order_id=order.pk, actor=None)
        if payment == "bank_transfer":
            payments.invoice_issue(order_id=order.pk, actor=None)
            payments.payment_record_transfer(order_id=order.pk, amount=str(order.total_amount), actor=None)
        placed += 1
    return placed


def _demo_returns(stock_plan: list[PlannedStock]) -> int:
    """Return policies (the shop's default: 30 days, and Sweden: the customer pays 59 for the return
    label) and one delivered order with a return waiting for its parcel, through the services."""
    returns.policy_save(data=returns.PolicyInput(country="", window_days=30), actor=None)
    returns.policy_save(
        data=returns.PolicyInput(
            country="SE",
            window_days=30,
            return_shipping_paid_by="customer",
            return_shipping_fee="59",
            refund_delivery="never",
        ),
        actor=None,
    )
    sku = next(row.sku for row in stock_plan if row.warehouse == "kyiv" and row.quantity >= 8)
    order = orders.order_place(
        channel="web",
        customer=CustomerData(
            name="Kateryna Hnatiuk", phone="+380501110099", email="kateryna@example.com", language="uk"
        ),
        shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 5"),
        delivery_method_code="door_delivery",
        payment_method_code="cod",
        lines=[LineData(sku=sku, quantity=2)],
        actor=None,
    )
    if order.risk_flags:
        manager = get_user_model().objects.filter(username="manager").first()
        orders.order_review_risk(order_id=order.pk, actor=manager)
    for status in ("confirmed", "picking", "packed", "shipped", "delivered"):
        order = orders.order_transition(order_id=order.pk, to=status, actor=None)
        locked = order_for_update(order.pk) if status == "shipped" else None
        if locked is not None:  # the parcel left: its units leave stock
            order_lines_ship_out(order=locked, actor=None)
    payments.payment_record_cod_collected(order_id=order.pk, amount=str(order.total_amount), actor=None)
    returns.return_open(
        order_id=order.pk,
        lines=[returns.LineInput(order_line_id=order.lines.get().pk, quantity=1, reason="wrong_size")],
        method="post",
        channel="portal",
        actor=None,
        note="Too small",
    )
    return 1


def _demo_shipping(stock_plan: list[PlannedStock]) -> int:
    """Pickup points for the checkout's chooser (bulk: they carry no history) and two orders packed
    through the order and fulfilment services, waiting at the shipping desk for their labels."""
    carriers = {c.code: c for c in Carrier.objects.all()}
    now = timezone.now()
    PickupPoint.objects.bulk_create(
        PickupPoint(
            carrier=carriers[carrier],
            external_id=ref,
            number=number,
            name=name,
            address=street,
            city=city,
            postal_code=postal,
            country=country,
            opening_hours=hours,
            imported_at=now,
        )
        for carrier, ref, number, name, street, city, postal, country, hours in tables.DEMO_PICKUP_POINTS
        if carrier in carriers
    )
    kyiv = [row.sku for row in stock_plan if row.warehouse == "kyiv" and row.quantity >= 6]
    packed = 0
    for index, (customer, method, line1, units) in enumerate(tables.DEMO_PACKED_ORDERS):
        name, phone, language = customer
        order = orders.order_place(
            channel="web",
            customer=CustomerData(name=name, phone=phone, email="", language=language),
            shipping_address=AddressData(
                country="UA",
                city="Київ" if method == "pickup_point" else "Kyiv",
                postal_code="" if method == "pickup_point" else "01001",
                line1=line1,
            ),
            delivery_method_code=method,
            payment_method_code="cod",
            lines=[
                LineData(sku=kyiv[(index * 53 + n * 17 + 5) % len(kyiv)], quantity=q)
                for n, q in enumerate(units)
            ],
            actor=None,
        )
        orders.order_confirm(order_id=order.pk, actor=None)
        wave = fulfillment.wave_release(
            method="single", warehouse_code="kyiv", order_numbers=[order.number], actor=None
        )
        for pick_list in PickList.objects.filter(wave=wave):
            for row in fulfillment_selectors.pick_rows(pick_list):
                if row.remaining:
                    fulfillment.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=None)
        parcel = fulfillment.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
        weight = 150
        for line in order.lines.select_related("variant"):
            for _unit in range(line.quantity):
                fulfillment.parcel_scan(
                    parcel_id=parcel.pk, code=line.variant.barcode or line.sku, actor=None
                )
                weight += line.variant.weight_g or 200
        box = parcel.suggested_box.code if parcel.suggested_box else "l"
        fulfillment.parcel_pack(parcel_id=parcel.pk, box_code=box, weight_g=weight, actor=None)
        packed += 1
    return packed


def load_demo_data() -> DemoSummary | None:
    """Load the demo shop; None (and nothing written) when it is already there."""
    started = time.perf_counter()
    with transaction.atomic():
        if demo_data_present():
            return None
        users = _users()
        categories = _categories()
        products = plan_catalog()
        variants = _catalog(products, categories)
        warehouses, zone_bins, bins = _warehouses()
        zone_of = {variant.sku: planned.zone for planned in products for variant in planned.variants}
        units = 0
        stock_plan = plan_stock(products)
        for planned in stock_plan:
            variant = variants[planned.sku]
            warehouse = warehouses[planned.warehouse]
            candidates = zone_bins[(planned.warehouse, zone_of[planned.sku])]
            inventory.stock_assign_bin(
                variant=variant,
                warehouse=warehouse,
                bin=candidates[planned.bin_slot % len(candidates)],
                actor=None,
            )
            if planned.quantity:
                inventory.stock_adjust(
                    variant=variant,
                    warehouse=warehouse,
                    delta=planned.quantity,
                    reason=MovementReason.RECEIPT,
                    actor=None,
                    reference=tables.OPENING_REFERENCE,
                    note="Opening stock of the demo shop",
                )
                units += planned.quantity
        units += _storefront_extras(warehouses, categories, zone_bins[("kyiv", "C")][0])
        pictures = _demo_pictures(products)
        _purchasing(products, variants, warehouses, stock_plan)
        orders = _demo_orders(stock_plan)
        orders += _demo_returns(stock_plan)
        orders += _demo_shipping(stock_plan)
    return DemoSummary(
        users=users,
        categories=len(categories),
        products=len(products),
        variants=len(variants),
        warehouses=len(warehouses),
        bins=bins,
        stock_rows=len(stock_plan),
        units=units,
        seconds=time.perf_counter() - started,
        orders=orders,
        pictures=pictures,
    )
