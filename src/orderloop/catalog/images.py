"""Product pictures: checking an upload by its content, the resized copies, where they are stored and
the URL a page shows them at.

An upload is accepted when Pillow reads it as a JPEG, PNG or WebP picture (the file name and the
browser's content type are not trusted), of at most `PRODUCT_IMAGE_MAX_BYTES` (10 MB) and
`PRODUCT_IMAGE_MAX_PIXELS` (40 megapixels). The pixel count is read from the file's header before
anything is decoded, so a small file claiming a huge picture (a decompression bomb) is refused without
being expanded; Pillow's own bomb warning is an error here too.

Every accepted picture is turned upright (EXIF orientation) and saved as WebP in each size of `SIZES`
(the longest edge in pixels; never enlarged). The resized copies carry no metadata, so a phone photo's
location is never published; the original is kept (to make new sizes later) but never served.

Files go through Django's storage API (`default_storage`), so the filesystem store of the default setup
can be replaced by an S3-compatible one in settings without touching this code. Pages show a picture
through `image_url`: by default the shop's own view (`catalog.views.image_file`, which streams the file
from storage with a year-long cache), or with `PRODUCT_IMAGE_URLS=storage` the storage's own URL (a CDN
or a public bucket).
"""

from __future__ import annotations

import contextlib
import io
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageInvalid

if TYPE_CHECKING:
    from .models import ProductImage

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# Size name → the longest edge in pixels: the product page, the catalogue's cards, the handheld pick
# screen, and the cart, order card and pick-list PDF.
SIZES: dict[str, int] = {"product": 1000, "catalogue": 480, "pick": 320, "cart": 160}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_PER_PRODUCT = 20
WEBP_QUALITY = 82


def _setting(name: str, default: Any) -> Any:
    return settings.ORDERLOOP.get(name, default)


def max_bytes() -> int:
    return int(_setting("PRODUCT_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(_setting("PRODUCT_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def max_per_product() -> int:
    return int(_setting("PRODUCT_IMAGE_MAX_PER_PRODUCT", DEFAULT_MAX_PER_PRODUCT))


@dataclass(frozen=True)
class ImageUpload:
    name: str
    content: bytes


@dataclass(frozen=True)
class PreparedImage:
    """A checked upload with its resized copies, ready to be stored."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    renditions: dict[str, bytes]  # size name → WebP bytes


def _refuse(message: str) -> ImageInvalid:
    return ImageInvalid(message, details={"images": message})


def prepare_image(upload: ImageUpload) -> PreparedImage:
    """Check one upload by its content and make its resized copies; ImageInvalid names what is wrong."""
    name = (upload.name or _("picture"))[:100]
    limit = max_bytes()
    if len(upload.content) > limit:
        raise _refuse(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": round(limit / 1024 / 1024, 1)}
        )
    not_a_picture = _refuse(_("%(name)s is not a JPEG, PNG or WebP picture.") % {"name": name})
    too_many_pixels = _refuse(
        _("%(name)s has too many pixels (at most %(mp)s megapixels).")
        % {"name": name, "mp": round(max_pixels() / 1_000_000)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(upload.content), formats=list(FORMATS)) as image:
                kind = image.format or ""
                width, height = image.size
                if width * height > max_pixels():
                    raise too_many_pixels
                longest = max(SIZES.values())
                if kind == "JPEG":  # decode at a reduced scale when that is still large enough
                    image.draft("RGB", (longest, longest))
                image.load()
                renditions = _renditions(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise not_a_picture from None
    if kind not in FORMATS:
        raise not_a_picture
    content_type, extension = FORMATS[kind]
    return PreparedImage(
        content=upload.content,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        renditions=renditions,
    )


def prepare_images(uploads: Sequence[ImageUpload]) -> list[PreparedImage]:
    """Every upload checked and resized (all or none); ImageInvalid names the first one refused."""
    return [prepare_image(upload) for upload in uploads]


def _renditions(image: Image.Image) -> dict[str, bytes]:
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info
    upright = upright.convert("RGBA" if has_alpha else "RGB")
    result: dict[str, bytes] = {}
    for size, edge in SIZES.items():
        copy = upright.copy()
        copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, "WEBP", quality=WEBP_QUALITY)
        result[size] = buffer.getvalue()
    return result


@dataclass(frozen=True)
class StoredImage:
    token: str
    original: str
    files: dict[str, str]

    @property
    def names(self) -> list[str]:
        return [self.original, *self.files.values()]


def store(product_id: int, prepared: PreparedImage) -> StoredImage:
    """Write the original and its resized copies to the default storage."""
    token = uuid.uuid4().hex
    base = f"catalog/images/{product_id}/{token}"
    written: list[str] = []
    try:
        original = default_storage.save(f"{base}.{prepared.extension}", ContentFile(prepared.content))
        written.append(original)
        files = {}
        for size, data in prepared.renditions.items():
            files[size] = default_storage.save(f"{base}-{size}.webp", ContentFile(data))
            written.append(files[size])
    except Exception:
        delete_files(written)
        raise
    return StoredImage(token=token, original=original, files=files)


def delete_files(names: Iterable[str]) -> None:
    """Remove stored files; one already gone is no error (a retry, or a store cleaned by hand)."""
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def file_name(image: ProductImage, size: str) -> str:
    """The stored file of `size`; a size added after the upload falls back to the next larger one."""
    files = image.files or {}
    if size in files:
        return str(files[size])
    wanted = SIZES.get(size, 0)
    larger = sorted((edge, name) for name, edge in SIZES.items() if edge >= wanted and name in files)
    return str(files[larger[0][1]]) if larger else ""


def image_url(image: ProductImage, size: str) -> str:
    if size not in SIZES:
        raise ValueError(f"unknown picture size {size!r}")
    if str(_setting("PRODUCT_IMAGE_URLS", "view")) == "storage":
        name = file_name(image, size)
        return default_storage.url(name) if name else ""
    return reverse("product_image", args=[image.pk, image.token, size])


def read_rendition(image: ProductImage, size: str) -> bytes | None:
    """The bytes of a resized copy (for documents), or None when its file is missing."""
    name = file_name(image, size)
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            return bytes(handle.read())
    except OSError:
        return None
