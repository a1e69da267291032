from django.conf import settings
from django.http import HttpRequest


def ui(request: HttpRequest) -> dict[str, object]:
    return {"shop_name": settings.ORDERLOOP["SHOP_NAME"]}
