"""Small fakes of the carriers' APIs for tests: threaded http.servers on 127.0.0.1 and a random port that
answer as the carriers document (see the adapters' docstrings) and record every request.

- FakeNovaPoshta: API 2.0, one JSON-RPC style URL; `{"apiKey", "modelName", "calledMethod",
  "methodProperties"}` in, `{"success", "data", "errors", "warnings", "info", "errorCodes", ...}` out.
  Returns (`AdditionalService`): a received waybill can come back (`CheckPossibilityCreateReturn`
  lists the return addresses); `save` with `orderCargoReturn` opens a return order and issues the return
  waybill, the original's recipient as its sender and the return address as its recipient;
  `getReturnOrdersList` gives the waybill (`hold_return_waybills`: not yet).
- FakePostNord: the EDI booking (`/rest/shipment/v3/edi/labels/pdf`, `/rest/shipment/v3/edi`), Track &
  Trace (`/rest/shipment/v5/trackandtrace/findByIdentifier.json`) and service points
  (`/rest/businesslocation/v5/servicepoints/nearest/byaddress`), `apikey` in the query string.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: Any


class _Server:
    server: ThreadingHTTPServer | None = None
    requests: list[Received]

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        raise NotImplementedError

    def start(self) -> Any:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                url = urlsplit(self.path)
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw
                query = dict(parse_qsl(url.query, keep_blank_values=True))
                fake.requests.append(Received(self.command, url.path, query, body))
                status, answer = fake.handle(self.command, url.path, query, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


def np_answer(
    data: list[dict[str, Any]] | None = None,
    *,
    errors: list[str] | None = None,
    codes: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "success": not errors,
        "data": data or [],
        "errors": errors or [],
        "warnings": [],
        "info": {"totalCount": len(data or [])},
        "messageCodes": [],
        "errorCodes": codes or [],
        "warningCodes": [],
        "infoCodes": [],
    }


@dataclass
class FakeNovaPoshta(_Server):
    api_key: str = "np-test-key"
    requests: list[Received] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # IntDocNumber → document
    warehouses: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    return_addresses: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "Ref": "return-address-ref",
                "City": "Київ",
                "Address": "Відділення №1: вул. Пирогівський шлях, 135",
                "Counterparty": "sender-ref",
                "ContactPerson": "contact-ref",
                "Phone": "380441234567",
                "NonCash": True,
                "Type": "Warehouse",
            }
        ]
    )
    return_orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # return order Number → order
    hold_return_waybills: bool = False
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(20450000000001))
    _return_numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def calls(self, method: str) -> list[Received]:
        return [
            r
            for r in self.requests
            if isinstance(r.body, dict)
            and f"{r.body.get('modelName')}.{r.body.get('calledMethod')}" == method
        ]

    def set_status(self, number: str, code: str, text: str, when: str = "2026-12-02 10:00:00") -> None:
        self.documents[number].update(StatusCode=code, Status=text, TrackingUpdateDate=when)

    def status_record(self, number: str) -> dict[str, Any]:
        doc = self.documents[number]
        return {
            "Number": number,
            "StatusCode": doc["StatusCode"],
            "Status": doc["Status"],
            "TrackingUpdateDate": doc.get("TrackingUpdateDate", ""),
            "WarehouseRecipient": doc.get("RecipientAddressName", ""),
            "CityRecipient": doc.get("RecipientCityName", ""),
            "DateCreated": "02-12-2026 09:00:00",
        }

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if self.fail_next:
            return self.fail_next.pop(0)
        if method != "POST" or not isinstance(body, dict):
            return 200, np_answer(errors=["Invalid request"])
        if body.get("apiKey") != self.api_key:
            return 200, np_answer(errors=["API key expired"], codes=["20000100003"])
        props = body.get("methodProperties") or {}
        name = f"{body.get('modelName')}.{body.get('calledMethod')}"
        if name == "InternetDocument.save":
            missing = [
                k
                for k in ("ServiceType", "Weight", "RecipientsPhone", "RecipientName", "CitySender", "Sender")
                if not props.get(k)
            ]
            if missing:
                return 200, np_answer(errors=[f"{k} is empty" for k in missing])
            number = str(next(self._numbers))
            ref = f"ref-{number}"
            self.documents[number] = {
                **props,
                "Ref": ref,
                "StatusCode": "1",
                "Status": "Відправник самостійно створив цю накладну",
            }
            return 200, np_answer(
                [
                    {
                        "Ref": ref,
                        "CostOnSite": 75,
                        "EstimatedDeliveryDate": "05.12.2026",
                        "IntDocNumber": number,
                        "TypeDocument": "InternetDocument",
                    }
                ]
            )
        if name.startswith("AdditionalService."):
            return self.additional_service(name.partition(".")[2], props)
        if name == "InternetDocument.delete":
            ref = props.get("DocumentRefs")
            found = [n for n, d in self.documents.items() if d["Ref"] == ref]
            if not found:
                return 200, np_answer(errors=["Document not found"])
            self.documents[found[0]].update(StatusCode="2", Status="Видалено")
            return 200, np_answer([{"Ref": ref}])
        if name == "TrackingDocument.getStatusDocuments":
            rows = []
            for doc in props.get("Documents") or []:
                number = doc.get("DocumentNumber")
                if number in self.documents:
                    rows.append(self.status_record(number))
                else:
                    rows.append({"Number": number, "StatusCode": "3", "Status": "Номер не знайдено"})
            return 200, np_answer(rows)
        if name == "Address.getWarehouses":
            page, limit = int(props.get("Page", 1)), int(props.get("Limit", 500))
            rows = [
                w
                for w in self.warehouses
                if not props.get("CityName") or w["CityDescription"] == props["CityName"]
            ]
            return 200, np_answer(rows[(page - 1) * limit : page * limit])
        if name == "Address.getCities":
            return 200, np_answer([{"Ref": "city-ref-kyiv", "Description": props.get("FindByString", "")}])
        if name == "InternetDocument.getDocumentPrice":
            return 200, np_answer([{"AssessedCost": props.get("Cost"), "Cost": 80, "CostRedelivery": 30}])
        if name == "InternetDocument.getDocumentDeliveryDate":
            return 200, np_answer(
                [
                    {
                        "DeliveryDate": {
                            "date": "2026-12-05 00:00:00.000000",
                            "timezone_type": 3,
                            "timezone": "Europe/Kiev",
                        }
                    }
                ]
            )
        return 200, np_answer(errors=[f"Method {name} does not exist"])

    RECEIVED = ("9", "10", "11")

    def additional_service(self, method: str, props: dict[str, Any]) -> tuple[int, Any]:
        if method == "CheckPossibilityCreateReturn":
            doc = self.documents.get(str(props.get("Number") or ""))
            if doc is None:
                return 200, np_answer(errors=["Document not found"], codes=["20000900746"])
            if doc["StatusCode"] not in self.RECEIVED or doc.get("ReturnOf"):
                return 200, np_answer(errors=["Return is not possible for this document"])
            return 200, np_answer(list(self.return_addresses))
        if method == "getReturnReasons":
            return 200, np_answer([{"Ref": "reason-ref-1", "Description": "Не влаштовують характеристики"}])
        if method == "getReturnReasonsSubtypes":
            return 200, np_answer(
                [{"Ref": "subtype-ref-1", "ReasonRef": props.get("ReasonRef"), "Description": "Розмір"}]
            )
        if method == "save":
            number = str(props.get("IntDocNumber") or "")
            doc = self.documents.get(number)
            missing = [
                k for k in ("IntDocNumber", "PaymentMethod", "Reason", "ReturnAddressRef") if not props.get(k)
            ]
            if missing:
                return 200, np_answer(errors=[f"{k} is empty" for k in missing])
            if props.get("OrderType") != "orderCargoReturn":
                return 200, np_answer(errors=["OrderType is invalid"])
            if doc is None or doc["StatusCode"] not in self.RECEIVED:
                return 200, np_answer(errors=["Return is not possible for this document"])
            address = next((a for a in self.return_addresses if a["Ref"] == props["ReturnAddressRef"]), None)
            if address is None:
                return 200, np_answer(errors=["ReturnAddressRef is invalid"])
            order_number = f"102-{next(self._return_numbers):08d}"
            waybill = str(next(self._numbers))
            # The return waybill: the original's recipient sends, the return address receives.
            self.documents[waybill] = {
                "ReturnOf": number,
                "SenderName": doc.get("RecipientName", ""),
                "SendersPhone": doc.get("RecipientsPhone", ""),
                "CitySenderName": doc.get("RecipientCityName", ""),
                "Recipient": address["Counterparty"],
                "RecipientAddress": address["Ref"],
                "RecipientAddressName": address["Address"],
                "RecipientCityName": address["City"],
                "RecipientsPhone": address["Phone"],
                "Ref": f"ref-{waybill}",
                "StatusCode": "1",
                "Status": "Відправник самостійно створив цю накладну",
            }
            self.return_orders[order_number] = {
                **props,
                "Ref": f"return-ref-{order_number}",
                "ExpressWaybillNumber": waybill,
            }
            return 200, np_answer([{"Number": order_number, "Ref": f"return-ref-{order_number}"}])
        if method == "getReturnOrdersList":
            rows = []
            for order_number, order in self.return_orders.items():
                if props.get("Number") and props["Number"] != order_number:
                    continue
                waybill = "" if self.hold_return_waybills else order["ExpressWaybillNumber"]
                rows.append(
                    {
                        "OrderRef": order["Ref"],
                        "OrderNumber": order_number,
                        "OrderStatus": "Прийнята",
                        "DocumentNumber": order["IntDocNumber"],
                        "ExpressWaybillNumber": waybill,
                        "ExpressWaybillStatus": self.documents[order["ExpressWaybillNumber"]]["Status"]
                        if waybill
                        else "",
                    }
                )
            return 200, np_answer(rows)
        return 200, np_answer(errors=[f"Method AdditionalService.{method} does not exist"])


def np_warehouse(
    ref: str, number: str, city: str = "Київ", city_ref: str = "city-ref-kyiv", **extra: Any
) -> dict[str, Any]:
    return {
        "SiteKey": number,
        "Description": f"Відділення №{number}: вул. Хрещатик, {number}",
        "ShortAddress": f"{city}, Хрещатик, {number}",
        "Ref": ref,
        "Number": number,
        "CityRef": city_ref,
        "CityDescription": city,
        "PostalCodeUA": "01001",
        "WarehouseStatus": "Working",
        "CategoryOfWarehouse": "Branch",
        "Latitude": "50.45",
        "Longitude": "30.52",
        "Schedule": {"Monday": "08:00-20:00", "Tuesday": "08:00-20:00", "Sunday": "-"},
        **extra,
    }


FAKE_LABEL = b"%PDF-1.4\n% PostNord label\n"


@dataclass
class FakePostNord(_Server):
    api_key: str = "pn-test-key"
    requests: list[Received] = field(default_factory=list)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # itemId → events
    service_points: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def calls(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def add_event(
        self, item_id: str, status: str, code: str, when: str, description: str = "", city: str = "Stockholm"
    ) -> None:
        self.items.setdefault(item_id, []).append(
            {
                "eventTime": when,
                "eventCode": code,
                "status": status,
                "eventDescription": description or status,
                "location": {"displayName": city, "city": city, "countryCode": "SE", "locationType": "DEPOT"},
            }
        )

    def tracking_answer(self, item_id: str) -> dict[str, Any]:
        return {
            "TrackingInformationResponse": {
                "shipments": [
                    {
                        "shipmentId": f"SH{item_id}",
                        "service": {"code": "19", "name": "MyPack Collect"},
                        "status": (
                            self.items[item_id][-1]["status"] if self.items.get(item_id) else "CREATED"
                        ),
                        "items": [{"itemId": item_id, "events": list(self.items.get(item_id, []))}],
                    }
                ]
            }
        }

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if query.get("apikey") != self.api_key:
            return 401, {
                "message": "Invalid apikey",
                "compositeFault": {"faults": [{"faultCode": "API_KEY", "explanationText": "Invalid apikey"}]},
            }
        if path == "/rest/shipment/v3/edi/labels/pdf" and method == "POST":
            shipment = (body or {}).get("shipment", [{}])[0]
            if not shipment.get("service", {}).get("basicServiceCode") or not shipment.get("parties", {}).get(
                "consignee"
            ):
                return 400, {
                    "message": "Validation failed",
                    "compositeFault": {
                        "faults": [
                            {"faultCode": "MISSING", "explanationText": "basicServiceCode is required"}
                        ]
                    },
                }
            n = next(self._numbers)
            item_id = f"00373500{n:012d}"
            self.items[item_id] = []
            self.add_event(item_id, "INFORMED", "71", "2026-12-02T09:00:00", "EDI received")
            return 200, {
                "bookingResponse": {
                    "bookingId": f"BK{n}",
                    "idInformation": [
                        {
                            "status": "OK",
                            "ids": [
                                {"idType": "itemId", "value": item_id, "printId": f"p{n}"},
                                {"idType": "shipmentId", "value": f"SH{n}"},
                            ],
                            "urls": [
                                {"type": "TRACKING", "url": f"https://tracking.postnord.com/se/?id={item_id}"}
                            ],
                        }
                    ],
                },
                "labelPrintout": [
                    {
                        "printout": {
                            "type": "LABEL",
                            "labelFormat": "PDF",
                            "encoding": "base64",
                            "data": base64.b64encode(FAKE_LABEL).decode(),
                        }
                    }
                ],
            }
        if path == "/rest/shipment/v3/edi" and method == "POST":
            if (body or {}).get("updateIndicator") == "Deletion":
                item = body["shipment"][0]["goodsItem"][0]["items"][0]["itemIdentification"]["itemId"]
                self.deleted.append(item)
            return 200, {
                "bookingResponse": {"bookingId": "DEL", "idInformation": [{"status": "OK", "ids": []}]}
            }
        if path == "/rest/shipment/v5/trackandtrace/findByIdentifier.json":
            item_id = query.get("id", "")
            if item_id not in self.items:
                return 200, {"TrackingInformationResponse": {"shipments": []}}
            return 200, self.tracking_answer(item_id)
        if path == "/rest/businesslocation/v5/servicepoints/nearest/byaddress":
            points = [
                p
                for p in self.service_points
                if not query.get("city") or p["visitingAddress"]["city"] == query["city"]
            ]
            return 200, {"servicePointInformationResponse": {"customerSupports": [], "servicePoints": points}}
        return 404, {"message": "Not found"}


def pn_service_point(
    point_id: str, name: str, city: str = "Stockholm", postal: str = "11122"
) -> dict[str, Any]:
    return {
        "name": name,
        "servicePointId": point_id,
        "visitingAddress": {
            "countryCode": "SE",
            "city": city,
            "streetName": "Drottninggatan",
            "streetNumber": "5",
            "postalCode": postal,
        },
        "deliveryAddress": {
            "countryCode": "SE",
            "city": city,
            "streetName": "Drottninggatan",
            "streetNumber": "5",
            "postalCode": postal,
        },
        "coordinates": [{"countryCode": "SE", "northing": 59.33, "easting": 18.06, "srId": "EPSG:4326"}],
    }
