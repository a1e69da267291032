from django.urls import path

from . import views

app_name = "purchasing"
urlpatterns = [
    path("", views.po_list, name="po_list"),
    path("replenishment/", views.replenishment, name="replenishment"),
    path("replenishment/order/", views.replenishment_order, name="replenishment_order"),
    path("replenishment/serve/", views.backorders_serve, name="backorders_serve"),
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/new/", views.supplier_create, name="supplier_create"),
    path("suppliers/<slug:code>/", views.supplier_detail, name="supplier_detail"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("orders/new/", views.po_create, name="po_create"),
    path("orders/<str:number>/", views.po_detail, name="po_detail"),
    path("orders/<str:number>/pdf/", views.po_pdf, name="po_pdf"),
    path("orders/<str:number>/receive/", views.po_receive, name="po_receive"),
    path("orders/<str:number>/<slug:action>/", views.po_action, name="po_action"),
]
