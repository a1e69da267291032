"""Errors of the shipping area, each with a stable code (the API returns it as `code`)."""

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDeniedError


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"
    default_message = _("No shipment has this number.")


class CarrierNotFound(NotFound):
    code = "carrier_not_found"
    default_message = _("No carrier has this code.")


class ManifestNotFound(NotFound):
    code = "manifest_not_found"
    default_message = _("No manifest has this number.")


class ParcelNotPacked(Conflict):
    code = "parcel_not_packed"
    default_message = _("Only a packed parcel can be shipped.")


class ParcelAlreadyShipped(Conflict):
    code = "parcel_already_shipped"
    default_message = _("This parcel already has a shipment.")


class NoCarrierService(Conflict):
    code = "no_carrier_service"
    default_message = _("No carrier service is set up for this delivery option and country.")


class PickupPointRequired(InvalidInput):
    code = "pickup_point_required"
    default_message = _("Choose the pickup point the parcel goes to.")


class InvalidShipmentTransition(Conflict):
    code = "invalid_shipment_transition"
    default_message = _("The shipment cannot do this in its current status.")


class AlreadyHandedOver(Conflict):
    code = "already_handed_over"
    default_message = _("This parcel was handed over already.")


class LabelNotReady(Conflict):
    code = "label_not_ready"
    default_message = _("The carrier has not confirmed this shipment yet; create its label first.")


class NotYourDelivery(PermissionDeniedError):
    code = "not_your_delivery"
    default_message = _("This delivery is not assigned to you.")


class CashAmountWrong(InvalidInput):
    code = "cash_amount_wrong"
    default_message = _("Collect exactly the amount due.")


class CourierRequired(InvalidInput):
    code = "courier_required"
    default_message = _("Choose the courier who takes this parcel.")


class CarrierError(DomainError):
    """The carrier refused the request or could not be reached; nothing was changed on our side but
    the error recorded on the shipment."""

    code = "carrier_error"
    http_status = 502
    default_message = _("The carrier did not accept the request.")


class CarrierNotConfigured(Conflict):
    code = "carrier_not_configured"
    default_message = _("This carrier has no API credentials configured.")


class WebhookSignatureInvalid(DomainError):
    code = "webhook_signature_invalid"
    http_status = 400
    default_message = _("The webhook signature does not match.")


class WebhookTimestampInvalid(DomainError):
    code = "webhook_timestamp_invalid"
    http_status = 400
    default_message = _("The webhook is too old or its timestamp is missing: it is not accepted again.")


class WebhookPayloadInvalid(InvalidInput):
    code = "webhook_payload_invalid"
    default_message = _("The webhook body is not an event this carrier sends.")
