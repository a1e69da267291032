"""Shipping: carriers and their services, which service each delivery method uses, pickup points,
shipments (one per packed parcel), their tracking events, handoff manifests, and the cash couriers
collect on delivery.

Only shipping/services/ writes these rows; the shipment status changes only through the rules in
domain.py (a monotonic rank: never backwards). Orders move only through
`orders.services.order_transition`, stock only through the inventory services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orderloop.core.i18n import pick_translation
from orderloop.core.money import Money


class AdapterKind(models.TextChoices):
    OWN_COURIER = "own_courier", _("Own courier")
    STORE_PICKUP = "store_pickup", _("Store / warehouse pickup")
    NOVA_POSHTA = "nova_poshta", _("Nova Poshta")
    POSTNORD = "postnord", _("PostNord")


class ServiceKind(models.TextChoices):
    DOOR = "door", _("To the door")
    PICKUP_POINT = "pickup_point", _("To a pickup point")
    EXPRESS = "express", _("Express")
    STORE_PICKUP = "store_pickup", _("Pickup in store")


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", _("Waiting for the carrier")
    LABEL_CREATED = "label_created", _("Label created")
    HANDED_OVER = "handed_over", _("Handed over")
    IN_TRANSIT = "in_transit", _("In transit")
    AT_HUB = "at_hub", _("Arrived at a transit city or hub")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    FAILED_ATTEMPT = "failed_attempt", _("Delivery attempt failed")
    DELIVERED = "delivered", _("Delivered")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")
    CANCELLED = "cancelled", _("Cancelled")


class EventSource(models.TextChoices):
    WEBHOOK = "webhook", _("Carrier webhook")
    POLL = "poll", _("Tracking poll")
    COURIER = "courier", _("Courier")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class FailureReason(models.TextChoices):
    NOT_HOME = "not_home", _("Nobody at the address")
    NO_ANSWER = "no_answer", _("The customer does not answer the phone")
    WRONG_ADDRESS = "wrong_address", _("Wrong or incomplete address")
    REFUSED = "refused", _("The customer refused the parcel")
    NO_CASH = "no_cash", _("The customer could not pay")
    OTHER = "other", _("Other")


class Carrier(models.Model):
    """A way parcels leave: a carrier company (through its adapter) or the shop's own courier/store."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # {"uk": "...", ...} as the catalog's names; `name` is the English/default text.
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    adapter = models.CharField(_("adapter"), max_length=20, choices=AdapterKind.choices)
    # `{number}` is replaced by the tracking number; empty: the shop's own tracking page only.
    tracking_url_template = models.CharField(_("tracking link"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (English when it has no translation)."""
        return pick_translation(self.name, self.name_translations)

    def tracking_url(self, number: str) -> str:
        if not self.tracking_url_template or not number:
            return ""
        return self.tracking_url_template.replace("{number}", number)


class CarrierService(models.Model):
    """One product of a carrier (Nova Poshta WarehouseWarehouse, PostNord 19 MyPack Collect, ...)."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="services")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    # The carrier's own code of this service (sent to its API).
    carrier_code = models.CharField(_("carrier's service code"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["carrier_id", "code"]
        verbose_name = _("carrier service")
        verbose_name_plural = _("carrier services")
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="carrier_service_unique")]

    def __str__(self) -> str:
        return f"{self.carrier.display_name}: {self.display_name}"

    @property
    def display_name(self) -> str:
        """The name in the active language (English when it has no translation)."""
        return pick_translation(self.name, self.name_translations)

    @property
    def needs_pickup_point(self) -> bool:
        return self.kind == ServiceKind.PICKUP_POINT


class DeliveryMethodService(models.Model):
    """Which carrier service a delivery option uses, per destination country (empty: any country)."""

    delivery_method = models.ForeignKey(
        "orders.DeliveryMethod", on_delete=models.CASCADE, related_name="carrier_services"
    )
    country = models.CharField(_("country"), max_length=2, blank=True)
    service = models.ForeignKey(CarrierService, on_delete=models.PROTECT, related_name="mappings")

    class Meta:
        ordering = ["delivery_method_id", "-country"]
        verbose_name = _("delivery option mapping")
        verbose_name_plural = _("delivery option mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_method", "country"], name="delivery_method_service_unique_per_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_method_id}/{self.country or '*'} → {self.service_id}"


class PickupPoint(models.Model):
    """A carrier's branch, locker or service point, imported from the carrier (or the shop's store)."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="pickup_points")
    # The carrier's id of the point (Nova Poshta Ref, PostNord servicePointId).
    external_id = models.CharField(_("carrier's id"), max_length=64)
    number = models.CharField(_("number"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    opening_hours = models.CharField(_("opening hours"), max_length=255, blank=True)
    # Carrier-specific extras (Nova Poshta CityRef, coordinates, ...).
    data = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    imported_at = models.DateTimeField(_("imported"))

    class Meta:
        ordering = ["carrier_id", "city", "number", "name"]
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "external_id"], name="pickup_point_unique_per_carrier")
        ]
        indexes = [models.Index(fields=["carrier", "country", "city"], name="pickup_point_city_idx")]
        permissions = [("import_pickup_points", "Can import pickup points from carriers")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The point as the customer reads it (and as the order's address line 1 carries it)."""
        head = (
            f"{self.name}" if not self.number or self.number in self.name else f"{self.name} №{self.number}"
        )
        return f"{head}, {self.address}" if self.address else head


class Manifest(models.Model):
    """The handoff list of one carrier's parcels leaving one warehouse on one day."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="manifests")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "carrier_id"]
        verbose_name = _("manifest")
        verbose_name_plural = _("manifests")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "warehouse", "date"], name="manifest_one_per_carrier_warehouse_day"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"M{self.date:%Y%m%d}-{self.carrier.code}-{self.warehouse.code}"


class Shipment(models.Model):
    """One packed parcel on its way: the carrier, service, tracking number, label and status."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    parcel = models.ForeignKey("fulfillment.Parcel", on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    service = models.ForeignKey(CarrierService, on_delete=models.PROTECT, related_name="shipments")
    pickup_point = models.ForeignKey(
        PickupPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="shipments"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    # When the event that set the current status happened (the carrier's time): ordering within a stage.
    status_event_at = models.DateTimeField(_("status event time"), null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    # The carrier's id of the shipment (Nova Poshta document Ref, PostNord booking id).
    carrier_reference = models.CharField(_("carrier reference"), max_length=100, blank=True)
    carrier_label = models.BinaryField(_("carrier's label"), null=True, blank=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"))
    currency = models.CharField(_("currency"), max_length=3)
    cod_amount = models.DecimalField(_("cash on delivery"), max_digits=12, decimal_places=2, default=0)
    declared_value = models.DecimalField(_("declared value"), max_digits=12, decimal_places=2, default=0)
    carrier_cost = models.DecimalField(
        _("carrier's price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    # Own courier: who delivers, on which day, and where in the route (empty: route order by rule).
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("courier"),
    )
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    route_position = models.PositiveIntegerField(_("route position"), null=True, blank=True)
    manifest = models.ForeignKey(
        Manifest, on_delete=models.PROTECT, null=True, blank=True, related_name="shipments"
    )
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=20, blank=True)
    failure_note = models.CharField(_("failure note"), max_length=255, blank=True)
    # An event with a carrier code we do not know arrived: someone should look.
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    last_error = models.CharField(_("last carrier error"), max_length=500, blank=True)
    last_polled_at = models.DateTimeField(_("last tracking poll"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            # A parcel leaves once: one shipment per parcel that is not cancelled.
            models.UniqueConstraint(
                fields=["parcel"], condition=~Q(status="cancelled"), name="shipment_one_active_per_parcel"
            ),
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_number_unique_per_carrier",
            ),
            models.CheckConstraint(condition=Q(cod_amount__gte=0), name="shipment_cod_not_negative"),
            models.CheckConstraint(condition=Q(weight_g__gt=0), name="shipment_weight_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="shipment_status_idx"),
            models.Index(fields=["courier", "delivery_date"], name="shipment_courier_day_idx"),
            models.Index(fields=["tracking_number"], name="shipment_tracking_idx"),
        ]
        permissions = [
            ("manage_shipments", "Can create labels, hand over and cancel shipments"),
            ("deliver_shipments", "Can mark own deliveries delivered or failed and record cash"),
            ("reconcile_cod", "Can reconcile cash collected by couriers"),
        ]

    def __str__(self) -> str:
        return self.tracking_number or f"S{self.pk}"

    @property
    def cod(self) -> Money:
        return Money.of(self.cod_amount, self.currency)

    @property
    def tracking_url(self) -> str:
        return self.carrier.tracking_url(self.tracking_number)

    @property
    def is_own_courier(self) -> bool:
        return self.carrier.adapter == AdapterKind.OWN_COURIER


class ShipmentEvent(models.Model):
    """One fact about a shipment: a carrier event (webhook or poll, mapped or not), a courier's or
    staff's action. Kept even when it does not move the shipment (older than the current status) or its
    carrier code is unknown (`status` empty, `is_unknown`)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    source = models.CharField(_("source"), max_length=10, choices=EventSource.choices)
    # The carrier's code and text as received (Nova Poshta StatusCode, PostNord event status).
    carrier_code = models.CharField(_("carrier code"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices, blank=True)
    is_unknown = models.BooleanField(_("unknown code"), default=False)
    # Whether this event moved the shipment (False: older than what we know, or unknown).
    applied = models.BooleanField(_("applied"), default=False)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    occurred_at = models.DateTimeField(_("happened"))
    # Makes a replayed webhook or a repeated poll a no-op: (shipment, key) is unique.
    dedupe_key = models.CharField(max_length=120)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["shipment_id", "occurred_at", "id"]
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_key"], name="shipment_event_unique_key")
        ]
        indexes = [
            models.Index(
                fields=["is_unknown"], condition=Q(is_unknown=True), name="shipment_event_unknown_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.carrier_code or self.status}"


class CodCollection(models.Model):
    """Cash a courier took at the door for one shipment (the payment is in the payments area)."""

    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="cod_collection")
    courier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    payment_id = models.BigIntegerField(_("payment"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "courier_id", "id"]
        verbose_name = _("cash collected")
        verbose_name_plural = _("cash collected")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cod_collection_positive")]
        indexes = [models.Index(fields=["courier", "date"], name="cod_collection_courier_day_idx")]

    def __str__(self) -> str:
        return f"{self.courier_id} {self.date}: {self.amount} {self.currency}"


class CodHandover(models.Model):
    """The cash a courier handed in at the end of a day, counted by a manager."""

    courier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount handed in"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "courier_id"]
        verbose_name = _("cash handed in")
        verbose_name_plural = _("cash handed in")
        constraints = [
            models.UniqueConstraint(fields=["courier", "date", "currency"], name="cod_handover_one_per_day"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cod_handover_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.courier_id} {self.date}: {self.amount}"


class WebhookDelivery(models.Model):
    """A carrier webhook that was taken: a SHA-256 of what was signed (timestamp and body). The same
    delivery again — the sender retrying, or someone replaying a captured one — is acknowledged and
    ignored. Kept for good: without a timestamp, a body signed once stays valid."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=128)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "delivery_id"], name="webhook_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}:{self.delivery_id}"


ZERO = Decimal("0")
