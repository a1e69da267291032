"""A small fake of the Stripe API for tests: a threaded http.server on 127.0.0.1 and a random port.

It answers the calls Orderloop makes with the documented objects (PaymentIntent, Refund, error bodies),
honours `Idempotency-Key` like Stripe (the same key returns the first answer), and records every request
so tests can assert what was sent. `confirm()` plays the customer confirming the payment in the browser.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


def _error(status: int, message: str, *, type_: str = "invalid_request_error", **extra: Any):
    return status, {"error": {"type": type_, "message": message, **extra}}


@dataclass
class FakeStripe:
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    refund_status: str = "succeeded"
    # Answer the next N calls with this (status, body) instead, e.g. a 500 or a card decline.
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    # Where to deliver webhooks when the browser confirms a payment (as Stripe does), and their secret.
    webhook_url: str = ""
    webhook_secret: str = ""
    webhooks_sent: list[dict[str, Any]] = field(default_factory=list)

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(fake._ids)}")
                # Stripe.js calls the API from the shop's pages: another origin.
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                url = urlsplit(self.path)
                if self.command == "GET" and url.path.rstrip("/") == "/v3":
                    self._send(200, fake.stripe_js().encode(), "application/javascript")
                    return
                params = dict(parse_qsl(raw or url.query, keep_blank_values=True))
                status, body = fake.handle(self.command, url.path, params, dict(self.headers.items()))
                self._send(status, json.dumps(body).encode(), "application/json")

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.end_headers()

            do_GET = _handle
            do_POST = _handle
            do_DELETE = _handle

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

    # --- what tests look at ---------------------------------------------------------------------------

    def calls(self, method: str, prefix: str) -> list[Received]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def confirm(self, intent_id: str, outcome: str = "succeeded") -> dict[str, Any]:
        """The customer confirms in the browser: `succeeded`, `requires_capture` (manual capture) or
        `failed` (card declined). Returns the intent as the webhook would carry it."""
        with self._lock:
            intent = self.intents[intent_id]
            n = next(self._ids)
            if outcome == "failed":
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "insufficient_funds",
                        "message": "Your card has insufficient funds.",
                    },
                )
            else:
                intent["latest_charge"] = intent.get("latest_charge") or f"ch_{n:08d}"
                intent["last_payment_error"] = None
                if outcome == "requires_capture" or intent["capture_method"] == "manual":
                    intent.update(status="requires_capture", amount_capturable=intent["amount"])
                else:
                    intent.update(status="succeeded", amount_received=intent["amount"])
            return json.loads(json.dumps(intent))

    def charge(self, intent_id: str) -> dict[str, Any]:
        """The intent's charge object, as a `charge.refunded` event carries it."""
        intent = self.intents[intent_id]
        refunds = [r for r in self.refunds.values() if r["payment_intent"] == intent_id]
        refunded = sum(r["amount"] for r in refunds if r["status"] == "succeeded")
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount_received"],
            "amount_refunded": refunded,
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "refunded": refunded >= intent["amount_received"],
            "status": "succeeded",
            "refunds": {"object": "list", "data": refunds, "has_more": False, "url": "/v1/refunds"},
        }

    # --- the API ----------------------------------------------------------------------------------------

    def stripe_js(self) -> str:
        """A stand-in for js.stripe.com/v3: `Stripe(pk).elements().create("card").mount(...)` draws a card
        number field, `confirmCardPayment(secret, ...)` confirms the intent with the publishable key, as
        the real library does from the customer's browser."""
        return (
            "(function(){var API="
            + json.dumps(self.url)
            + ";window.Stripe=function(pk){var input=null;return{"
            "elements:function(){return{create:function(){return{mount:function(sel){"
            "var host=document.querySelector(sel);input=document.createElement('input');"
            "input.name='cardnumber';input.autocomplete='cc-number';input.inputMode='numeric';"
            "input.setAttribute('data-testid','card-number');input.placeholder='4242 4242 4242 4242';"
            "host.appendChild(input);}};}};},"
            "confirmCardPayment:function(secret){var id=secret.split('_secret_')[0];"
            "var body=new URLSearchParams({key:pk,client_secret:secret,'payment_method_data[type]':'card',"
            "'payment_method_data[card][number]':input?input.value.replace(/\\s/g,''):''});"
            "return fetch(API+'/v1/payment_intents/'+id+'/confirm',{method:'POST',body:body})"
            ".then(function(r){return r.json();}).then(function(j){return j.error?{error:j.error}:{paymentIntent:j};});}"
            "};};})();"
        )

    def _browser_confirm(self, intent_id: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """POST /v1/payment_intents/:id/confirm from Stripe.js (publishable key + client secret). Test card
        4000000000000002 is declined, as on Stripe; anything else succeeds, and the webhook follows."""
        intent = self.intents.get(intent_id)
        if intent is None or params.get("client_secret") != intent["client_secret"]:
            return _error(400, "The client_secret provided does not match this PaymentIntent.")
        declined = params.get("payment_method_data[card][number]") == "4000000000000002"
        self._lock.release()
        try:
            confirmed = self.confirm(intent_id, "failed" if declined else "succeeded")
        finally:
            self._lock.acquire()
        if declined:
            return _error(402, "Your card was declined.", type_="card_error", code="card_declined")
        if self.webhook_url:
            kind = (
                "payment_intent.amount_capturable_updated"
                if confirmed["status"] == "requires_capture"
                else "payment_intent.succeeded"
            )
            threading.Thread(target=self._deliver, args=(event(kind, confirmed),), daemon=True).start()
        return 200, confirmed

    def _deliver(self, payload: dict[str, Any]) -> None:
        import urllib.request

        time.sleep(0.3)  # Stripe's webhooks arrive a moment after the browser's answer
        body = json.dumps(payload)
        request = urllib.request.Request(
            self.webhook_url,
            data=body.encode(),
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, self.webhook_secret)},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            self.webhooks_sent.append({"type": payload["type"], "status": response.status})

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(Received(method, path, params, headers))
            parts = [p for p in path.split("/") if p]
            if len(parts) == 4 and parts[:2] == ["v1", "payment_intents"] and parts[3] == "confirm":
                if not params.get("key", "").startswith("pk_"):
                    return _error(401, "Invalid API Key provided.")
                return self._browser_confirm(parts[2], params)
            if not (headers.get("Authorization") or "").startswith("Bearer sk_"):
                return _error(401, "Invalid API Key provided.")
            if self.fail_next:
                return self.fail_next.pop(0)
            key = headers.get("Idempotency-Key")
            if method == "POST" and key and key in self._idempotent:
                return self._idempotent[key]
            answer = self._route(method, path, params)
            if method == "POST" and key and answer[0] < 500:
                self._idempotent[key] = answer
            return answer

    def _route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["v1", "payment_intents"]:
            if len(parts) == 2 and method == "POST":
                return self._intent_create(params)
            intent = self.intents.get(parts[2]) if len(parts) > 2 else None
            if intent is None:
                return _error(404, "No such payment_intent", code="resource_missing", param="intent")
            if len(parts) == 3 and method == "GET":
                return 200, intent
            if len(parts) == 3 and method == "POST":
                if "amount" in params:
                    intent["amount"] = int(params["amount"])
                return 200, intent
            if len(parts) == 4 and parts[3] == "capture" and method == "POST":
                return self._intent_capture(intent, params)
            if len(parts) == 4 and parts[3] == "cancel" and method == "POST":
                intent.update(status="canceled", canceled_at=int(time.time()))
                return 200, intent
        if parts == ["v1", "refunds"] and method == "POST":
            return self._refund_create(params)
        return _error(404, f"Unrecognized request URL ({method}: {path}).")

    def _intent_create(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if "amount" not in params or "currency" not in params:
            return _error(400, "Missing required param: amount.", param="amount")
        n = next(self._ids)
        intent_id = f"pi_{n:08d}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_capturable": 0,
            "amount_received": 0,
            "capture_method": params.get("capture_method", "automatic_async"),
            "client_secret": f"{intent_id}_secret_{n:06d}",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": params["currency"],
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "payment_method_types": ["card"],
            "status": "requires_payment_method",
        }
        self.intents[intent_id] = intent
        return 200, intent

    def _intent_capture(self, intent: dict[str, Any], params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if intent["status"] != "requires_capture":
            return _error(
                400,
                f"This PaymentIntent could not be captured because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        amount = int(params.get("amount_to_capture") or intent["amount_capturable"])
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return 200, intent

    def _refund_create(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return _error(404, "No such payment_intent", code="resource_missing")
        done = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        amount = int(params.get("amount") or intent["amount_received"] - done)
        if intent["status"] != "succeeded" or done + amount > intent["amount_received"]:
            return _error(
                400, "Refund amount is greater than unrefunded amount on charge.", code="amount_too_large"
            )
        n = next(self._ids)
        refund = {
            "id": f"re_{n:08d}",
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "payment_intent": intent["id"],
            "reason": params.get("reason"),
            "status": self.refund_status,
        }
        self.refunds[refund["id"]] = refund
        return 200, refund


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """A Stripe Event envelope around `obj`."""
    return {
        "id": event_id or f"evt_{int(time.time() * 1000)}_{obj.get('id', 'x')}_{event_type}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def sign(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe would send, computed with the SDK's own signing code."""
    import stripe

    t = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{t}.{payload}", secret)
    return f"t={t},{stripe.WebhookSignature.EXPECTED_SCHEME}={signature}"
