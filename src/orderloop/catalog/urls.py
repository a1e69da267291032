from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("new/", views.product_create, name="product_create"),
    path("<int:product_id>/", views.product_edit, name="product_edit"),
    path("<int:product_id>/archive/", views.product_archive, name="product_archive"),
    path("import/", views.product_import, name="product_import"),
    path("import/<int:import_id>/", views.import_detail, name="import_detail"),
    path("export.csv", views.product_export, name="product_export"),
]
