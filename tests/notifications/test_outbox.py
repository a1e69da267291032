"""Without a mail server the shop keeps its mail in the Outbox (a Django email backend), where staff
read what customers would receive: subject, text, HTML and attachments."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from orderloop.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox_mail(settings):
    settings.EMAIL_BACKEND = "orderloop.notifications.mail.OutboxBackend"


def _send() -> None:
    email = EmailMultiAlternatives(
        "Your order 1001", "Hello Olena", "shop@example.com", ["olena@example.com"]
    )
    email.attach_alternative("<p>Hello <b>Olena</b></p>", "text/html")
    email.attach("invoice-2026-000001.pdf", b"%PDF-1.4 demo", "application/pdf")
    email.send()


def test_mail_is_kept_with_its_parts(outbox_mail):
    _send()
    kept = OutboxEmail.objects.get()
    assert (kept.subject, kept.to, kept.text_body) == (
        "Your order 1001",
        ["olena@example.com"],
        "Hello Olena",
    )
    assert "<b>Olena</b>" in kept.html_body
    assert kept.attachments[0]["filename"] == "invoice-2026-000001.pdf"


def test_the_outbox_page_shows_mail_to_managers_and_support_only(outbox_mail, make_staff):
    _send()
    email = OutboxEmail.objects.get()
    for role in ("Manager", "Support"):
        make_staff(role, username=role.lower(), password="outbox-pass-1")
        client = Client()
        client.login(username=role.lower(), password="outbox-pass-1")
        assert "Your order 1001" in client.get("/notifications/outbox/").content.decode()
        detail = client.get(f"/notifications/outbox/{email.pk}/").content.decode()
        assert "srcdoc=" in detail and "Hello Olena" in detail
        pdf = client.get(f"/notifications/outbox/{email.pk}/attachments/0/")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content == b"%PDF-1.4 demo"
    make_staff("Warehouse", username="wh", password="outbox-pass-1")
    client = Client()
    client.login(username="wh", password="outbox-pass-1")
    assert client.get("/notifications/outbox/").status_code == 403
