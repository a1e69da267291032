from django.urls import path

from . import views

app_name = "fulfillment"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("waves/release/", views.wave_release, name="wave_release"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave_detail"),
    path("pick/", views.pick_start, name="pick_start"),
    path("pick/<int:pick_list_id>/", views.pick_list, name="pick_list"),
    path("pick/<int:pick_list_id>/scan/", views.pick_scan, name="pick_scan"),
    path("pick/<int:pick_list_id>/short/", views.pick_short, name="pick_short"),
    path("pick/<int:pick_list_id>/pdf/", views.pick_list_pdf, name="pick_list_pdf"),
    path("pack/", views.pack_start, name="pack_start"),
    path("pack/<str:warehouse>/<str:number>/", views.station, name="station"),
    path("pack/<str:warehouse>/<str:number>/scan/", views.station_scan, name="station_scan"),
    path("pack/<str:warehouse>/<str:number>/close/", views.station_close, name="station_close"),
    path("pack/<str:warehouse>/<str:number>/cancel/", views.station_cancel, name="station_cancel"),
    path("parcels/<int:parcel_id>/slip.pdf", views.packing_slip_pdf, name="packing_slip_pdf"),
    path("parcels/<int:parcel_id>/invoice.pdf", views.parcel_invoice_pdf, name="parcel_invoice_pdf"),
]
