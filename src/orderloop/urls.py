from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from orderloop.api.main import api
from orderloop.catalog.views import image_file
from orderloop.core.health import health
from orderloop.core.redirects import moved_permanently

urlpatterns: list[URLPattern | URLResolver] = [
    # The warehouse's pages and API were under the British spelling until the names were made one (the app
    # is `fulfillment`): bookmarks, handheld home screens and API clients keep working.
    re_path(r"^api/v1/fulfilment/", moved_permanently("api/v1/fulfilment/", "api/v1/fulfillment/")),
    re_path(r"^fulfilment/", moved_permanently("fulfilment/", "fulfillment/")),
    path("api/v1/", api.urls),
    path("health/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    path("catalog/", include("orderloop.catalog.urls")),
    # Product pictures are public (shop, cart, pick screen): outside the back office's /catalog/.
    path("images/<int:image_id>/<slug:token>/<slug:size>.webp", image_file, name="product_image"),
    path("stock/", include("orderloop.inventory.urls")),
    path("orders/", include("orderloop.orders.urls")),
    path("intake/", include("orderloop.intake.urls")),
    path("notifications/", include("orderloop.notifications.urls")),
    path("payments/", include("orderloop.payments.urls")),
    path("coupons/", include("orderloop.promotions.urls")),
    path("purchasing/", include("orderloop.purchasing.urls")),
    path("fulfillment/", include("orderloop.fulfillment.urls")),
    path("returns/", include("orderloop.returns.urls")),
    path("shipping/", include("orderloop.shipping.urls")),
    path("shop/", include("orderloop.storefront.urls")),
    path("", include("orderloop.backoffice.urls")),
]
# Nothing is served from MEDIA_ROOT: personal documents are in the private `documents` storage and go out
# only through views that check a staff permission or a signed customer link (core/documents.py).

handler403 = "orderloop.core.error_pages.permission_denied"
handler404 = "orderloop.core.error_pages.page_not_found"
handler500 = "orderloop.core.error_pages.server_error"
