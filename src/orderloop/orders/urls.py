from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("views/save/", views.saved_view_save, name="saved_view_save"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("new/", views.order_create, name="order_create"),
    path("new/products/", views.product_search, name="product_search"),
    path("new/line/", views.line_row, name="line_row"),
    path("new/customers/", views.customer_lookup, name="customer_lookup"),
    path("new/customer/", views.customer_fill, name="customer_fill"),
    path("new/delivery-methods/", views.delivery_options, name="delivery_options"),
    path("<str:number>/", views.order_detail, name="order_detail"),
    path("<str:number>/edit/", views.order_edit, name="order_edit"),
    path(
        "<str:number>/<str:action>/",
        views.order_action,
        name="order_action",
    ),
]
