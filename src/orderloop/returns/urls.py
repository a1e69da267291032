from django.urls import path

from . import views

app_name = "returns"
urlpatterns = [
    path("", views.return_list, name="list"),
    path("scan/", views.receive_scan, name="scan"),
    path("new/", views.return_new, name="new"),
    path("policies/", views.policies, name="policies"),
    path("analytics/", views.analytics, name="analytics"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("<str:number>/", views.return_detail, name="detail"),
    path("<str:number>/label.pdf", views.label_pdf, name="label"),
    path("<str:number>/credit-note.pdf", views.credit_note_pdf, name="credit_note"),
    path("<str:number>/<slug:action>/", views.return_action, name="action"),
]
