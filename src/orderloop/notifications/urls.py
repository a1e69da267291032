from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("unread-count/", views.unread_count, name="unread_count"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:email_id>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:email_id>/attachments/<int:index>/", views.outbox_attachment, name="outbox_attachment"),
]
