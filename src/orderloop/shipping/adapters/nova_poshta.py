"""Nova Poshta (Ukraine), API 2.0: every call is a JSON POST to one URL
(`https://api.novaposhta.ua/v2.0/json/`) with `apiKey`, `modelName`, `calledMethod` and
`methodProperties`; every answer is `{"success", "data": [...], "errors": [...], "warnings", "info",
"errorCodes", ...}`.

| what | model.method |
| --- | --- |
| price / delivery date | `InternetDocument.getDocumentPrice`, `InternetDocument.getDocumentDeliveryDate` (city refs from the pickup point or `Address.getCities`) |
| book (express waybill, "ЕН") | `InternetDocument.save`: sender refs from settings, recipient inline (`NewAddress: "1"`), cash on delivery as `BackwardDeliveryData` money; answer `IntDocNumber` (the tracking number), `Ref`, `CostOnSite`, `EstimatedDeliveryDate` |
| cancel | `InternetDocument.delete` with `DocumentRefs` |
| track | `TrackingDocument.getStatusDocuments` with `Documents: [{DocumentNumber, Phone}]` (up to 100): the current `StatusCode`/`Status` of each |
| pickup points | `Address.getWarehouses` (paged: `Page`, `Limit`), branches and parcel lockers |
| return of a delivered parcel | `AdditionalService.CheckPossibilityCreateReturn` (`Number`: whether the waybill can come back, and the sender's return addresses), `getReturnReasons` / `getReturnReasonsSubtypes`, `save` with `OrderType: "orderCargoReturn"` (`IntDocNumber`, `ReturnAddressRef`, `Reason`, `SubtypeReason`, `PaymentMethod`, `Note`) → the return order `Number` and `Ref`; `getReturnOrdersList` (`Number`) → `ExpressWaybillNumber`, the return waybill once issued |

Nova Poshta publishes no push API for tracking; the webhook endpoint accepts the same records as
`getStatusDocuments` returns (`{"data": [...]}`) from a relay the shop runs, signed with the shared
secret (`X-Orderloop-Signature: sha256=<HMAC of the body>`).

Settings `ORDERLOOP["CARRIERS"]["nova_poshta"]`: `API_URL`, `API_KEY`, `SENDER_REF`, `SENDER_CITY_REF`,
`SENDER_ADDRESS_REF`, `SENDER_CONTACT_REF`, `SENDER_PHONE`, `WEBHOOK_SECRET`; for returns
`RETURN_ADDRESS_REF` (empty: the first return address the carrier offers), `RETURN_REASON_REF`,
`RETURN_SUBTYPE_REASON_REF` (empty: the carrier's first), `RETURN_PAYMENT_METHOD` (`Cash` or `NonCash`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..errors import CarrierError, CarrierNotConfigured, WebhookPayloadInvalid
from .base import BookedShipment, PickupPointData, Rate, ShipmentRequest, TrackingEvent, verify_webhook
from .http import request_json

DEFAULT_URL = "https://api.novaposhta.ua/v2.0/json/"
PAGE_LIMIT = 500
MAX_PAGES = 200
SIGNATURE_HEADER = "X-Orderloop-Signature"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def _config() -> dict[str, Any]:
    return dict((settings.ORDERLOOP.get("CARRIERS") or {}).get("nova_poshta") or {})


def phone_digits(e164: str) -> str:
    return "".join(ch for ch in e164 or "" if ch.isdigit())


def parse_time(value: Any) -> datetime | None:
    text = str(value or "").strip()
    if not text or text.startswith("0000"):
        return None
    for fmt in TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        # Nova Poshta answers in Kyiv time.
        return (
            timezone.make_aware(parsed, timezone.get_fixed_timezone(180))
            if timezone.is_naive(parsed)
            else parsed
        )
    return None


def parse_date(value: Any) -> date | None:
    text = str(value or "").strip()
    for fmt in (
        "%d.%m.%Y",
        "%Y-%m-%d",
        "%d-%m-%Y",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%d-%m-%Y %H:%M:%S",  # getStatusDocuments' ScheduledDeliveryDate
        "%d.%m.%Y %H:%M:%S",
    ):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _kg(grams: int) -> str:
    return str((Decimal(grams) / 1000).quantize(Decimal("0.001")).normalize())


def _cm(mm: int) -> str:
    return str(max(1, round(mm / 10)))


class NovaPoshtaCarrier:
    code = "nova_poshta"
    remote = True

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(config if config is not None else _config())

    # --- plumbing ---------------------------------------------------------------------------------------

    def configured(self) -> bool:
        return bool(self.config.get("API_KEY"))

    def call(self, model: str, method: str, properties: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One API call; the `data` list of a successful answer, CarrierError with the carrier's own
        messages otherwise."""
        if not self.configured():
            raise CarrierNotConfigured(details={"carrier": self.code})
        body = {
            "apiKey": self.config["API_KEY"],
            "modelName": model,
            "calledMethod": method,
            "methodProperties": dict(properties),
        }
        status, answer = request_json(
            "POST", self.config.get("API_URL") or DEFAULT_URL, body=body, carrier=self.code
        )
        if status >= 400 or not isinstance(answer, dict) or not answer.get("success"):
            errors = answer.get("errors") if isinstance(answer, dict) else None
            codes = answer.get("errorCodes") if isinstance(answer, dict) else None
            raise CarrierError(
                "; ".join(str(e) for e in errors or []) or None,
                details={
                    "carrier": self.code,
                    "method": f"{model}.{method}",
                    "status": status,
                    "codes": codes or [],
                },
            )
        data = answer.get("data") or []
        return [row for row in data if isinstance(row, dict)]

    def _city_ref(self, request: ShipmentRequest) -> str:
        point = request.pickup_point
        if point is not None and point.data.get("CityRef"):
            return str(point.data["CityRef"])
        rows = self.call("Address", "getCities", {"FindByString": request.recipient.city, "Limit": "1"})
        if not rows:
            raise CarrierError(details={"carrier": self.code, "city": request.recipient.city})
        return str(rows[0].get("Ref", ""))

    # --- the interface ----------------------------------------------------------------------------------

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        city = self._city_ref(request)
        common = {
            "CitySender": self.config.get("SENDER_CITY_REF", ""),
            "CityRecipient": city,
            "ServiceType": request.service_code,
        }
        price_properties: dict[str, Any] = {
            **common,
            "Weight": _kg(request.weight_g),
            "Cost": str(request.declared_value),
            "CargoType": "Parcel",
            "SeatsAmount": "1",
        }
        if request.cod_amount > 0:
            price_properties["RedeliveryCalculate"] = {
                "CargoType": "Money",
                "Amount": str(request.cod_amount),
            }
        price = self.call("InternetDocument", "getDocumentPrice", price_properties)
        when = self.call(
            "InternetDocument",
            "getDocumentDeliveryDate",
            {**common, "DateTime": request.ship_date.strftime("%d.%m.%Y")},
        )
        delivery = (when[0].get("DeliveryDate") or {}) if when else {}
        return [
            Rate(
                service_code=request.service_code,
                cost=_decimal(price[0].get("Cost")) if price else None,
                currency="UAH",
                estimated_delivery=parse_date(
                    delivery.get("date") if isinstance(delivery, dict) else delivery
                ),
            )
        ]

    def document_properties(self, request: ShipmentRequest) -> dict[str, Any]:
        """The `InternetDocument.save` properties of one parcel."""
        recipient = request.recipient
        properties: dict[str, Any] = {
            "PayerType": "Sender",
            "PaymentMethod": "NonCash",
            "DateTime": request.ship_date.strftime("%d.%m.%Y"),
            "CargoType": "Parcel",
            "Weight": _kg(request.weight_g),
            "ServiceType": request.service_code,
            "SeatsAmount": "1",
            "Description": request.description[:100],
            "Cost": str(request.declared_value.quantize(Decimal("1"))),
            "InfoRegClientBarcodes": request.reference,
            "OptionsSeat": [
                {
                    "volumetricLength": _cm(request.length_mm),
                    "volumetricWidth": _cm(request.width_mm),
                    "volumetricHeight": _cm(request.height_mm),
                    "weight": _kg(request.weight_g),
                }
            ],
            "CitySender": self.config.get("SENDER_CITY_REF", ""),
            "Sender": self.config.get("SENDER_REF", ""),
            "SenderAddress": self.config.get("SENDER_ADDRESS_REF", ""),
            "ContactSender": self.config.get("SENDER_CONTACT_REF", ""),
            "SendersPhone": phone_digits(self.config.get("SENDER_PHONE", "") or request.sender.phone),
            "NewAddress": "1",
            "RecipientType": "PrivatePerson",
            "RecipientName": recipient.name,
            "RecipientsPhone": phone_digits(recipient.phone),
            "RecipientCityName": recipient.city,
            "RecipientArea": "",
            "RecipientAreaRegions": recipient.region,
        }
        point = request.pickup_point
        if point is not None:
            properties["RecipientAddressName"] = point.number or point.external_id
            properties["RecipientAddress"] = point.external_id
            if point.data.get("CityRef"):
                properties["CityRecipient"] = point.data["CityRef"]
        else:
            properties["RecipientAddressName"] = recipient.line1
            properties["RecipientHouse"] = ""
            properties["RecipientFlat"] = recipient.line2
        if request.cod_amount > 0:
            properties["BackwardDeliveryData"] = [
                {"PayerType": "Recipient", "CargoType": "Money", "RedeliveryString": str(request.cod_amount)}
            ]
        return properties

    def create_shipment(self, request: ShipmentRequest) -> BookedShipment:
        rows = self.call("InternetDocument", "save", self.document_properties(request))
        if not rows or not rows[0].get("IntDocNumber"):
            raise CarrierError(details={"carrier": self.code, "reason": "no document number in the answer"})
        row = rows[0]
        return BookedShipment(
            tracking_number=str(row["IntDocNumber"]),
            carrier_reference=str(row.get("Ref", "")),
            cost=_decimal(row.get("CostOnSite")),
            estimated_delivery=parse_date(row.get("EstimatedDeliveryDate")),
        )

    def cancel(self, *, tracking_number: str, carrier_reference: str, request: ShipmentRequest) -> None:
        if not carrier_reference:
            return
        self.call("InternetDocument", "delete", {"DocumentRefs": carrier_reference})

    def _events(self, rows: Sequence[Mapping[str, Any]]) -> list[TrackingEvent]:
        events = []
        for row in rows:
            number, code = str(row.get("Number") or "").strip(), str(row.get("StatusCode") or "").strip()
            if not number or not code:
                continue
            occurred = (
                parse_time(row.get("TrackingUpdateDate"))
                or parse_time(row.get("RecipientDateTime"))
                or parse_time(row.get("DateScan"))
            )
            events.append(
                TrackingEvent(
                    tracking_number=number,
                    code=code,
                    description=str(row.get("Status") or "")[:255],
                    occurred_at=occurred,
                    location=str(row.get("WarehouseRecipient") or row.get("CityRecipient") or "")[:200],
                    event_id=f"{number}:{code}",
                    raw={
                        k: row[k]
                        for k in (
                            "Number",
                            "StatusCode",
                            "Status",
                            "TrackingUpdateDate",
                            "ScheduledDeliveryDate",
                        )
                        if k in row
                    },
                    expected_delivery=parse_date(row.get("ScheduledDeliveryDate")),
                )
            )
        return events

    def track(self, tracking_numbers: Sequence[str], *, phones: Mapping[str, str]) -> list[TrackingEvent]:
        events: list[TrackingEvent] = []
        numbers = list(tracking_numbers)
        for start in range(0, len(numbers), 100):
            documents = [
                {"DocumentNumber": n, "Phone": phone_digits(phones.get(n, ""))}
                for n in numbers[start : start + 100]
            ]
            events += self._events(
                self.call("TrackingDocument", "getStatusDocuments", {"Documents": documents})
            )
        return events

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        verify_webhook(self.config, payload, headers)
        try:
            body = json.loads(payload.decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WebhookPayloadInvalid(details={"body": "not JSON"}) from exc
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise WebhookPayloadInvalid(details={"data": "a list of status documents is required"})
        return self._events([row for row in rows if isinstance(row, dict)])

    # --- returns ----------------------------------------------------------------------------------------

    def _first_ref(self, method: str, properties: Mapping[str, Any]) -> str:
        rows = self.call("AdditionalService", method, properties)
        return next((str(row["Ref"]) for row in rows if row.get("Ref")), "")

    def create_return(self, *, waybill: str, note: str) -> BookedShipment:
        """Book the return of a delivered waybill with Nova Poshta's own return service
        (`AdditionalService.save`, `OrderType: "orderCargoReturn"`): the waybill's recipient (the
        customer) becomes the sender and the shop's return address the recipient — the customer brings
        the parcel to any branch naming the waybill and the carrier issues the return waybill. The
        sender of a document is always one of the API key's own counterparties, so a new
        `InternetDocument` cannot be booked from the customer; this is the carrier's way.

        `CheckPossibilityCreateReturn` first: a waybill that cannot come back is refused (CarrierError
        with the carrier's message). The answer's `tracking_number` is the return order's number
        (`102-…`); `return_waybill` finds the return waybill for it."""
        options = self.call("AdditionalService", "CheckPossibilityCreateReturn", {"Number": waybill})
        address_ref = str(self.config.get("RETURN_ADDRESS_REF") or "") or next(
            (str(row["Ref"]) for row in options if row.get("Ref")), ""
        )
        if not address_ref:
            raise CarrierError(
                details={"carrier": self.code, "waybill": waybill, "reason": "no return address offered"}
            )
        reason = str(self.config.get("RETURN_REASON_REF") or "") or self._first_ref("getReturnReasons", {})
        subtype = str(self.config.get("RETURN_SUBTYPE_REASON_REF") or "") or (
            self._first_ref("getReturnReasonsSubtypes", {"ReasonRef": reason}) if reason else ""
        )
        rows = self.call(
            "AdditionalService",
            "save",
            {
                "IntDocNumber": waybill,
                "PaymentMethod": str(self.config.get("RETURN_PAYMENT_METHOD") or "Cash"),
                "Reason": reason,
                "SubtypeReason": subtype,
                "Note": note[:100],
                "OrderType": "orderCargoReturn",
                "ReturnAddressRef": address_ref,
            },
        )
        if not rows or not rows[0].get("Number"):
            raise CarrierError(
                details={"carrier": self.code, "reason": "no return order number in the answer"}
            )
        return BookedShipment(
            tracking_number=str(rows[0]["Number"]),
            carrier_reference=str(rows[0].get("Ref", "")),
            estimated_delivery=parse_date(rows[0].get("ScheduledDeliveryDate")),
        )

    def return_waybill(self, return_number: str) -> str:
        """The waybill Nova Poshta issued for a return order ("" while it has none yet)."""
        rows = self.call(
            "AdditionalService", "getReturnOrdersList", {"Number": return_number, "Page": "1", "Limit": "10"}
        )
        for row in rows:
            if str(row.get("OrderNumber") or return_number) == return_number:
                return str(row.get("ExpressWaybillNumber") or "").strip()
        return ""

    # --- pickup points ----------------------------------------------------------------------------------

    def pickup_points(self, *, country: str, city: str = "", postal_code: str = "") -> list[PickupPointData]:
        points: list[PickupPointData] = []
        for page in range(1, MAX_PAGES + 1):
            properties: dict[str, Any] = {"Page": str(page), "Limit": str(PAGE_LIMIT), "Language": "UA"}
            if city:
                properties["CityName"] = city
            rows = self.call("Address", "getWarehouses", properties)
            for row in rows:
                if str(row.get("WarehouseStatus") or "Working") != "Working" or not row.get("Ref"):
                    continue
                raw_schedule = row.get("Schedule")
                schedule: dict[str, Any] = raw_schedule if isinstance(raw_schedule, dict) else {}
                hours = ", ".join(
                    f"{day[:3]} {schedule[day]}" for day in DAYS if schedule.get(day) and schedule[day] != "-"
                )
                points.append(
                    PickupPointData(
                        external_id=str(row["Ref"]),
                        number=str(row.get("Number") or ""),
                        name=str(row.get("Description") or "")[:200],
                        address=str(row.get("ShortAddress") or "")[:255],
                        city=str(row.get("CityDescription") or city)[:100],
                        postal_code=str(row.get("PostalCodeUA") or "")[:20],
                        country="UA",
                        opening_hours=hours[:255],
                        data={
                            key: row.get(key)
                            for key in (
                                "CityRef",
                                "SettlementRef",
                                "Latitude",
                                "Longitude",
                                "CategoryOfWarehouse",
                            )
                            if row.get(key) not in (None, "")
                        },
                    )
                )
            if len(rows) < PAGE_LIMIT:
                break
        return points
