"""Checking a customer's photos before anything is stored: at most `RETURN_PHOTO_MAX_COUNT` files (5),
each at most `RETURN_PHOTO_MAX_BYTES` (5 MB) and `RETURN_PHOTO_MAX_PIXELS` (Pillow's decompression-bomb
limit, about 89 megapixels), and really a JPEG, PNG or WebP image — the content is opened with Pillow,
the file name and the browser's content type are not trusted. A small file whose header claims a huge
picture (a decompression bomb) is refused like any other bad photo, never decoded."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

from .errors import PhotoInvalid

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_COUNT = 5


@dataclass(frozen=True)
class PhotoUpload:
    name: str
    content: bytes


@dataclass(frozen=True)
class CheckedPhoto:
    content: bytes
    content_type: str
    extension: str


def max_bytes() -> int:
    return int(settings.ORDERLOOP.get("RETURN_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_count() -> int:
    return int(settings.ORDERLOOP.get("RETURN_PHOTO_MAX_COUNT", DEFAULT_MAX_COUNT))


def max_pixels() -> int:
    return int(settings.ORDERLOOP.get("RETURN_PHOTO_MAX_PIXELS") or Image.MAX_IMAGE_PIXELS or 0)


def check_photos(uploads: list[PhotoUpload]) -> list[CheckedPhoto]:
    """The photos, checked; PhotoInvalid (422, `details.photos`) names the first file refused."""
    if len(uploads) > max_count():
        limit = max_count()
        raise PhotoInvalid(
            details={
                "photos": ngettext("At most %(n)s photo.", "At most %(n)s photos.", limit) % {"n": limit}
            }
        )
    checked = []
    limit = max_bytes()
    for upload in uploads:
        name = (upload.name or "photo")[:100]
        if len(upload.content) > limit:
            raise PhotoInvalid(
                details={
                    "photos": _("%(name)s is larger than %(mb)s MB.")
                    % {"name": name, "mb": round(limit / 1024 / 1024, 1)}
                }
            )
        too_large = False
        try:
            with Image.open(io.BytesIO(upload.content)) as image:
                kind = image.format or ""
                width, height = image.size
                too_large = bool(max_pixels()) and width * height > max_pixels()
                if not too_large:
                    image.verify()
        except Image.DecompressionBombError:
            # Pillow refuses to open a picture more than twice its own limit.
            kind, too_large = "", True
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind = ""
        if too_large:
            raise PhotoInvalid(
                details={
                    "photos": _("%(name)s has too many pixels; send a photo of at most %(mp)s megapixels.")
                    % {"name": name, "mp": max_pixels() // 1_000_000}
                }
            )
        if kind not in FORMATS:
            raise PhotoInvalid(
                details={"photos": _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name}}
            )
        content_type, extension = FORMATS[kind]
        checked.append(CheckedPhoto(content=upload.content, content_type=content_type, extension=extension))
    return checked
