from django.urls import path

from . import views

app_name = "inventory"
urlpatterns = [
    path("", views.stock_list, name="stock_list"),
    path("rows/", views.stock_table, name="stock_table"),
    path("adjust/", views.stock_adjust, name="stock_adjust"),
    path("count/", views.stock_count, name="stock_count"),
    path("movements/", views.stock_movements, name="stock_movements"),
    path("bin/", views.stock_assign_bin, name="stock_assign_bin"),
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/<str:code>/", views.warehouse_detail, name="warehouse_detail"),
    path("warehouses/<str:code>/edit/", views.warehouse_edit, name="warehouse_edit"),
]
