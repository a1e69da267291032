from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from orderloop.api.main import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    path("catalog/", include("orderloop.catalog.urls")),
    path("stock/", include("orderloop.inventory.urls")),
    path("orders/", include("orderloop.orders.urls")),
    path("intake/", include("orderloop.intake.urls")),
    path("notifications/", include("orderloop.notifications.urls")),
    path("payments/", include("orderloop.payments.urls")),
    path("coupons/", include("orderloop.promotions.urls")),
    path("purchasing/", include("orderloop.purchasing.urls")),
    path("fulfilment/", include("orderloop.fulfillment.urls")),
    path("returns/", include("orderloop.returns.urls")),
    path("shipping/", include("orderloop.shipping.urls")),
    path("shop/", include("orderloop.storefront.urls")),
    path("", include("orderloop.backoffice.urls")),
]

handler403 = "orderloop.core.error_pages.permission_denied"
handler404 = "orderloop.core.error_pages.page_not_found"
handler500 = "orderloop.core.error_pages.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
