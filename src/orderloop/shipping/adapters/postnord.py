"""PostNord (Sweden and the Nordics). Every call takes the `apikey` as a query parameter.

| what | endpoint |
| --- | --- |
| book + label | `POST /rest/shipment/v3/edi/labels/pdf?apikey=…&paperSize=LABEL` with an EDI instruction (`messageDate`, `updateIndicator: "Original"`, `shipment[]` with `service.basicServiceCode`, `parties.consignor/consignee/deliveryParty`, `goodsItem[].items[]`); answer `bookingResponse.idInformation[].ids[]` (`idType` itemId = the tracking number) and `labelPrintout[].printout.data` (the label, base64 PDF) |
| cancel | `POST /rest/shipment/v3/edi?apikey=…` with the same instruction and `updateIndicator: "Deletion"` |
| track | `GET /rest/shipment/v5/trackandtrace/findByIdentifier.json?apikey=…&id=…&locale=en`: `TrackingInformationResponse.shipments[].items[].events[]` (`eventCode`, `eventDescription`, `eventTime`, `status`, `location`) |
| service points | `GET /rest/businesslocation/v5/servicepoints/nearest/byaddress?apikey=…&countryCode=&city=&postalCode=&numberOfServicePoints=`: `servicePointInformationResponse.servicePoints[]` |

PostNord publishes no price API: the price is the delivery option's, the date its transit days. Its
tracking push is not a public JSON API either: the webhook endpoint accepts a `TrackingInformationResponse`
(the findByIdentifier shape) from a relay, signed with the shared secret
(`X-Orderloop-Signature: sha256=<HMAC of the body>`).

Settings `ORDERLOOP["CARRIERS"]["postnord"]`: `API_URL` (`https://api2.postnord.com`; the test system is
`https://atapi2.postnord.com`), `API_KEY`, `CUSTOMER_NUMBER` (the consignor's party id), `ISSUER_CODE`
(Z12 Sweden), `WEBHOOK_SECRET`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..errors import CarrierError, CarrierNotConfigured, WebhookPayloadInvalid
from .base import BookedShipment, PickupPointData, Rate, ShipmentRequest, TrackingEvent, verify_webhook
from .http import request_json

DEFAULT_URL = "https://api2.postnord.com"
SIGNATURE_HEADER = "X-Orderloop-Signature"
STOCKHOLM = timezone.get_fixed_timezone(60)


def _config() -> dict[str, Any]:
    return dict((settings.ORDERLOOP.get("CARRIERS") or {}).get("postnord") or {})


def parse_time(value: Any) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return timezone.make_aware(parsed, STOCKHOLM) if timezone.is_naive(parsed) else parsed


def _party(address: Any) -> dict[str, Any]:
    streets = [line for line in (address.line1, address.line2) if line]
    return {
        "nameIdentification": {"name": address.name},
        "address": {
            "streets": streets,
            "postalCode": address.postal_code.replace(" ", ""),
            "city": address.city,
            "countryCode": address.country,
        },
        "contact": {
            "contactName": address.name,
            "emailAddress": address.email,
            "smsNo": address.phone,
            "phoneNo": address.phone,
        },
    }


class PostNordCarrier:
    code = "postnord"
    remote = True

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(config if config is not None else _config())

    def configured(self) -> bool:
        return bool(self.config.get("API_KEY"))

    def _url(self, path: str) -> str:
        return (self.config.get("API_URL") or DEFAULT_URL).rstrip("/") + path

    def _call(
        self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None
    ) -> Any:
        if not self.configured():
            raise CarrierNotConfigured(details={"carrier": self.code})
        status, answer = request_json(
            method,
            self._url(path),
            body=body,
            params={"apikey": self.config["API_KEY"], **(params or {})},
            carrier=self.code,
        )
        if status >= 400:
            raise CarrierError(self._fault(answer) or None, details={"carrier": self.code, "status": status})
        return answer

    @staticmethod
    def _fault(answer: Any) -> str:
        """PostNord's error texts: `compositeFault.faults[].explanationText` or `message`."""
        if not isinstance(answer, dict):
            return ""
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key in ("explanationText", "message"):
                    if isinstance(node.get(key), str):
                        found.append(node[key])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(answer)
        return "; ".join(dict.fromkeys(found))

    # --- booking ----------------------------------------------------------------------------------------

    def instruction(self, request: ShipmentRequest, *, update: str = "Original") -> dict[str, Any]:
        """The EDI instruction of one parcel (one shipment, one item)."""
        parties: dict[str, Any] = {
            "consignor": {
                "issuerCode": self.config.get("ISSUER_CODE") or "Z12",
                "partyIdentification": {
                    "partyId": str(self.config.get("CUSTOMER_NUMBER") or ""),
                    "partyIdType": "160",
                },
                "party": _party(request.sender),
            },
            "consignee": {"party": _party(request.recipient)},
        }
        if request.pickup_point is not None:
            parties["deliveryParty"] = {
                "partyIdentification": {"partyId": request.pickup_point.external_id, "partyIdType": "156"},
                "party": {
                    "address": {
                        "postalCode": request.pickup_point.postal_code.replace(" ", ""),
                        "city": request.pickup_point.city,
                        "countryCode": request.pickup_point.country or request.recipient.country,
                    }
                },
            }
        shipment: dict[str, Any] = {
            "shipmentIdentification": {"shipmentId": "0"},
            "dateAndTimes": {"loadingDate": f"{request.ship_date.isoformat()}T00:00:00"},
            "service": {"basicServiceCode": request.service_code, "additionalServiceCode": []},
            "numberOfPackages": {"value": 1},
            "totalGrossWeight": {"value": round(request.weight_g / 1000, 3), "unit": "KGM"},
            "references": [{"referenceNo": request.reference, "referenceType": "CU"}],
            "parties": parties,
            "goodsItem": [
                {
                    "packageTypeCode": "PC",
                    "items": [
                        {
                            "itemIdentification": {"itemId": "0"},
                            "grossWeight": {"value": round(request.weight_g / 1000, 3), "unit": "KGM"},
                            "dimensions": {
                                "height": {"value": round(request.height_mm / 10), "unit": "CMT"},
                                "width": {"value": round(request.width_mm / 10), "unit": "CMT"},
                                "length": {"value": round(request.length_mm / 10), "unit": "CMT"},
                            },
                        }
                    ],
                }
            ],
        }
        if request.cod_amount > 0:
            # Cash on delivery: additional service A7 with the amount to collect.
            shipment["service"]["additionalServiceCode"].append("A7")
            shipment["codAmount"] = {"value": str(request.cod_amount), "currency": request.currency}
        return {
            "messageDate": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
            "messageFunction": "Instruction",
            "messageId": request.reference,
            "application": {"applicationId": 1438, "name": "Orderloop", "version": "1.0"},
            "updateIndicator": update,
            "shipment": [shipment],
        }

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        return [
            Rate(
                service_code=request.service_code,
                cost=None,
                currency=request.currency,
                estimated_delivery=request.ship_date + timedelta(days=2),
            )
        ]

    def create_shipment(self, request: ShipmentRequest) -> BookedShipment:
        answer = self._call(
            "POST",
            "/rest/shipment/v3/edi/labels/pdf",
            body=self.instruction(request),
            params={"paperSize": "LABEL", "rotate": "0", "multiPDF": "false", "labelType": "standard"},
        )
        booking = (answer or {}).get("bookingResponse") or {}
        tracking, shipment_id = "", ""
        for info in booking.get("idInformation") or []:
            if str(info.get("status", "OK")).upper() != "OK":
                raise CarrierError(self._fault(info) or None, details={"carrier": self.code})
            for found in info.get("ids") or []:
                kind = str(found.get("idType", "")).lower()
                if kind == "itemid" and not tracking:
                    tracking = str(found.get("value") or "")
                elif kind == "shipmentid" and not shipment_id:
                    shipment_id = str(found.get("value") or "")
        if not tracking:
            raise CarrierError(
                self._fault(answer) or None, details={"carrier": self.code, "reason": "no item id"}
            )
        label = None
        for printout in (answer or {}).get("labelPrintout") or []:
            data = (printout.get("printout") or {}).get("data")
            if data:
                try:
                    label = base64.b64decode(data)
                except (binascii.Error, ValueError):
                    label = None
                break
        return BookedShipment(
            tracking_number=tracking,
            carrier_reference=str(booking.get("bookingId") or shipment_id),
            label_pdf=label,
            estimated_delivery=request.ship_date + timedelta(days=2),
        )

    def cancel(self, *, tracking_number: str, carrier_reference: str, request: ShipmentRequest) -> None:
        instruction = self.instruction(request, update="Deletion")
        instruction["shipment"][0]["shipmentIdentification"] = {"shipmentId": carrier_reference or "0"}
        instruction["shipment"][0]["goodsItem"][0]["items"][0]["itemIdentification"] = {
            "itemId": tracking_number
        }
        self._call("POST", "/rest/shipment/v3/edi", body=instruction)

    # --- tracking ---------------------------------------------------------------------------------------

    def _events(self, answer: Any) -> list[TrackingEvent]:
        response = (answer or {}).get("TrackingInformationResponse") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            raise WebhookPayloadInvalid(details={"TrackingInformationResponse": "required"})
        events: list[TrackingEvent] = []
        for shipment in response.get("shipments") or []:
            for item in shipment.get("items") or []:
                number = str(item.get("itemId") or shipment.get("shipmentId") or "")
                for event in item.get("events") or []:
                    code = str(event.get("status") or event.get("eventCode") or "").strip()
                    if not number or not code:
                        continue
                    location = event.get("location") or {}
                    when = parse_time(event.get("eventTime"))
                    events.append(
                        TrackingEvent(
                            tracking_number=number,
                            code=code,
                            description=str(event.get("eventDescription") or "")[:255],
                            occurred_at=when,
                            location=str(location.get("displayName") or location.get("city") or "")[:200],
                            event_id=f"{number}:{event.get('eventCode', '')}:{event.get('eventTime', '')}",
                            raw={"eventCode": event.get("eventCode"), "status": event.get("status")},
                        )
                    )
        return sorted(events, key=lambda e: e.occurred_at or timezone.now())

    def track(self, tracking_numbers: Sequence[str], *, phones: Mapping[str, str]) -> list[TrackingEvent]:
        events: list[TrackingEvent] = []
        for number in tracking_numbers:
            answer = self._call(
                "GET",
                "/rest/shipment/v5/trackandtrace/findByIdentifier.json",
                params={"id": number, "locale": "en"},
            )
            events += self._events(answer)
        return events

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        verify_webhook(self.config, payload, headers)
        try:
            body = json.loads(payload.decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WebhookPayloadInvalid(details={"body": "not JSON"}) from exc
        return self._events(body)

    # --- service points ---------------------------------------------------------------------------------

    def pickup_points(self, *, country: str, city: str = "", postal_code: str = "") -> list[PickupPointData]:
        answer = self._call(
            "GET",
            "/rest/businesslocation/v5/servicepoints/nearest/byaddress",
            params={
                "returnType": "json",
                "countryCode": country or "SE",
                "city": city,
                "postalCode": postal_code.replace(" ", ""),
                "numberOfServicePoints": "50",
            },
        )
        response = (answer or {}).get("servicePointInformationResponse") or {}
        points = []
        for point in response.get("servicePoints") or []:
            visiting = point.get("visitingAddress") or point.get("deliveryAddress") or {}
            street = " ".join(str(visiting.get(k) or "") for k in ("streetName", "streetNumber")).strip()
            coordinates = (point.get("coordinates") or [{}])[0] if point.get("coordinates") else {}
            if not point.get("servicePointId"):
                continue
            points.append(
                PickupPointData(
                    external_id=str(point["servicePointId"]),
                    number=str(point["servicePointId"]),
                    name=str(point.get("name") or "")[:200],
                    address=street[:255],
                    city=str(visiting.get("city") or city)[:100],
                    postal_code=str(visiting.get("postalCode") or "")[:20],
                    country=str(visiting.get("countryCode") or country or "SE")[:2],
                    data={k: coordinates.get(k) for k in ("northing", "easting") if coordinates.get(k)},
                )
            )
        return points
