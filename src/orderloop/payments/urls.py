from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("orders/<str:number>/", views.order_payments, name="order_payments"),
    path("orders/<str:number>/transfer/", views.transfer_record, name="transfer_record"),
    path("orders/<str:number>/cod/", views.cod_record, name="cod_record"),
    path("orders/<str:number>/refund/", views.refund_create, name="refund_create"),
    path("orders/<str:number>/invoice/", views.invoice_issue, name="invoice_issue"),
    path("refunds/<int:refund_id>/confirm/", views.refund_confirm, name="refund_confirm"),
    path("refunds/<int:refund_id>/cancel/", views.refund_cancel, name="refund_cancel"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("statements/", views.statement_upload, name="statement_upload"),
    path("statements/<int:import_id>/", views.statement_detail, name="statement_detail"),
    path("pay/<str:token>/", views.pay, name="pay"),
]
