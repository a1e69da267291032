from django.urls import path

from . import views

app_name = "shipping"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("labels/", views.label_create, name="label_create"),
    path("labels/wave/", views.wave_labels, name="wave_labels"),
    path("labels.pdf", views.labels_pdf, name="labels_pdf"),
    path("hand-over/", views.hand_over, name="hand_over"),
    path("manifests/<int:manifest_id>/pdf/", views.manifest_pdf, name="manifest_pdf"),
    path("shipments/<int:shipment_id>/", views.shipment, name="shipment"),
    path("shipments/<int:shipment_id>/label.pdf", views.shipment_label, name="shipment_label"),
    path("shipments/<int:shipment_id>/<str:action>/", views.shipment_action, name="shipment_action"),
    path("courier/", views.courier, name="courier"),
    path("courier/<int:shipment_id>/<str:action>/", views.courier_action, name="courier_action"),
    path("cod/", views.cod, name="cod"),
    path("pickup-points/", views.pickup_points, name="pickup_points"),
]
