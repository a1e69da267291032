"""Delivery and payment methods, carriers and carrier services have names per language (issue 16):
the seeded ones translated by the data migrations, an Admin edits them on the back office (checked
and validated), and the staff pages show them in the active language."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from orderloop.core.errors import InvalidInput
from orderloop.orders import services
from orderloop.orders.errors import MethodNotFound
from orderloop.orders.models import DeliveryMethod, PaymentMethod
from orderloop.shipping import services as shipping_services
from orderloop.shipping.models import Carrier, CarrierService

from .helpers import place

pytestmark = pytest.mark.django_db

# The seeded names each language must show (the data migrations' translations).
DOOR = {"en": "Courier to the door", "uk": "Кур’єр до дверей", "ar": "توصيل بالمندوب إلى الباب"}
COD = {"en": "Cash on delivery", "uk": "Накладений платіж", "ar": "الدفع عند الاستلام"}


@pytest.fixture(autouse=True)
def seeded(methods: None) -> None:
    """The seeded rows with their translations, as the migrations leave them (a transactional test run
    before may have flushed them)."""
    import_module("orderloop.shipping.migrations.0002_seed_carriers_services_and_delivery_mapping").seed(
        apps, None
    )
    import_module("orderloop.shipping.migrations.0003_translated_carrier_and_service_names").translate_seeded(
        apps, None
    )


def test_the_seeded_methods_carriers_and_services_have_names_in_all_five_languages() -> None:
    rows: list[Any] = [
        *DeliveryMethod.objects.all(),
        *PaymentMethod.objects.all(),
        *Carrier.objects.all(),
        *CarrierService.objects.all(),
    ]
    assert len(rows) == 4 + 4 + 4 + 7
    for row in rows:
        assert set(row.name_translations) == {"uk", "ru", "sv", "ar"}, row.code
        assert all(text.strip() for text in row.name_translations.values())
    door = DeliveryMethod.objects.get(code="door_delivery")
    for language, name in DOOR.items():
        with translation.override(language):
            assert door.display_name == name == str(door)
    with translation.override("uk"):
        assert Carrier.objects.get(code="nova_poshta").display_name == "Нова пошта"
        service = CarrierService.objects.select_related("carrier").get(
            carrier__code="nova_poshta", code="warehouse"
        )
        assert str(service) == "Нова пошта: Відділення або поштомат"
    with translation.override("sv"):
        assert PaymentMethod.objects.get(code="card").display_name == "Kortbetalning"


def test_renaming_is_validated_and_an_empty_translation_falls_back_to_english() -> None:
    with pytest.raises(InvalidInput) as refused:
        services.delivery_method_rename(
            code="express",
            name="  ",
            name_translations={"uk": "x" * 121, "de": "Eilkurier"},
            actor=None,
        )
    assert set(refused.value.details) == {"name", "name_translations.uk", "name_translations.de"}
    assert DeliveryMethod.objects.get(code="express").name == "Express courier"  # nothing written
    with pytest.raises(MethodNotFound):
        services.payment_method_rename(code="barter", name="Barter", name_translations={}, actor=None)

    method = services.delivery_method_rename(
        code="express",
        name=" Express courier (2 h) ",
        name_translations={"uk": " Експрес за 2 години ", "ru": "", "sv": "Expressbud (2 h)", "ar": ""},
        actor=None,
    )
    assert method.name == "Express courier (2 h)"
    assert method.name_translations == {"uk": "Експрес за 2 години", "sv": "Expressbud (2 h)"}
    with translation.override("uk"):
        assert DeliveryMethod.objects.get(code="express").display_name == "Експрес за 2 години"
    with translation.override("ru"):
        assert DeliveryMethod.objects.get(code="express").display_name == "Express courier (2 h)"

    service = shipping_services.carrier_service_rename(
        carrier_code="postnord", code="home", name="MyPack Home", name_translations={"sv": "Hem"}, actor=None
    )
    assert service.name_translations == {"sv": "Hem"}
    with pytest.raises(InvalidInput):
        shipping_services.carrier_rename(code="postnord", name="", name_translations={}, actor=None)


@pytest.fixture
def client_for(make_staff: Callable[..., User]) -> Callable[..., Client]:
    def make(role: str, language: str = "en") -> Client:
        client = Client()
        client.force_login(make_staff(role, username=f"names-{role.lower()}"))
        client.cookies["orderloop_language"] = language
        return client

    return make


def test_an_admin_edits_the_names_and_other_roles_may_not(client_for: Callable[..., Client]) -> None:
    admin = client_for("Admin", "uk")
    page = admin.get("/settings/names/")
    html = page.content.decode()
    assert page.status_code == 200
    for code in ("door_delivery", "cod", "nova_poshta", "nova_poshta.warehouse"):
        assert f'data-code="{code}"' in html
    assert "Нова пошта" in html and "Новая почта" in html and "نوفا بوشتا" in html

    bad = admin.post("/settings/names/carrier/nova_poshta/", {"name": "", "name_uk": "Н" * 121})
    assert bad.status_code == 422
    assert bad.content.decode().count('class="errorlist') >= 2
    assert Carrier.objects.get(code="nova_poshta").name == "Nova Poshta"

    saved = admin.post(
        "/settings/names/service/nova_poshta.warehouse/",
        {"name": "Branch or locker", "name_uk": "Відділення чи поштомат", "name_ar": "فرع أو خزانة"},
    )
    assert saved.status_code == 302 and saved["Location"] == "/settings/names/"
    service = CarrierService.objects.get(carrier__code="nova_poshta", code="warehouse")
    assert (service.name, service.name_translations) == (
        "Branch or locker",
        {"uk": "Відділення чи поштомат", "ar": "فرع أو خزانة"},
    )
    assert admin.get("/settings/names/payment/barter/").status_code == 404

    for role in ("Manager", "Warehouse", "Support"):
        other = client_for(role)
        assert other.get("/settings/names/").status_code == 403
        assert other.post("/settings/names/delivery/express/", {"name": "Hacked"}).status_code == 403
    assert DeliveryMethod.objects.get(code="express").name == "Express courier"


@pytest.mark.parametrize("language", ["uk", "ar"])
def test_staff_pages_show_the_names_in_the_active_language(
    stocked: Callable[..., Any], client_for: Callable[..., Client], language: str
) -> None:
    stocked("TEE-RED-M", 5)
    order = place(("TEE-RED-M", 1))
    services.order_confirm(order_id=order.pk, actor=None)
    client = client_for("Admin", language)

    listing = client.get("/orders/").content.decode()
    row = listing[listing.index(f'data-number="{order.number}"') :]
    assert DOOR[language] in row[: row.index("</tr>")]
    assert f'<option value="door_delivery">{DOOR[language]}</option>' in listing  # the filter
    card = client.get(f"/orders/{order.number}/").content.decode()
    assert DOOR[language] in card and COD[language] in card
    assert DOOR["en"] not in card and COD["en"] not in card
    queue = client.get("/fulfillment/?warehouse=kyiv").content.decode()
    assert DOOR[language] in queue and COD[language] in queue
