from django.urls import path

from orderloop.returns import storefront_views as returns

from . import views

app_name = "storefront"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("p/<slug:handle>/", views.product, name="product"),
    path("p/<slug:handle>/availability/", views.product_availability, name="product_availability"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_update, name="cart_update"),
    path("cart/lines/<int:line_id>/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/refresh/", views.checkout_refresh, name="checkout_refresh"),
    path("orders/<str:token>/", views.order_track, name="order_track"),
    path("orders/<str:token>/status/", views.order_status, name="order_status"),
    path("orders/<str:token>/pay/", views.order_pay, name="order_pay"),
    path("orders/<str:token>/invoice.pdf", views.order_invoice, name="order_invoice"),
    path("orders/<str:token>/return/", returns.return_request, name="return_request"),
    path("returns/", returns.return_portal, name="return_portal"),
    path("returns/<str:token>/", returns.return_detail, name="return_detail"),
    path("returns/<str:token>/label.pdf", returns.return_label, name="return_label"),
    path("return-policy/", returns.return_policy, name="return_policy"),
    path("account/", views.account, name="account"),
    path("account/sign-in/", views.sign_in, name="sign_in"),
    path("account/register/", views.register, name="register"),
    path("account/sign-out/", views.sign_out, name="sign_out"),
    path("account/addresses/<int:address_id>/delete/", views.address_delete, name="address_delete"),
]
