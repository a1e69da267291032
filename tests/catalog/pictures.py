"""Pictures made with Pillow for the tests (no files are downloaded)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def picture(colour: str = "#c0262d", size: tuple[int, int] = (900, 600), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def claimed_size_png(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` × `height` pixels (a decompression bomb's disguise):
    a 1×1 picture with the IHDR chunk rewritten (and its checksum made right again)."""
    data = bytearray(picture(size=(1, 1)))
    start = 8  # after the signature: length (4), "IHDR" (4), then the chunk data
    ihdr = bytearray(data[start + 8 : start + 8 + 13])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[start + 8 : start + 8 + 13] = ihdr
    data[start + 21 : start + 25] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


def dominant_colour(data: bytes) -> tuple[int, ...]:
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(rgb.width * rgb.height) or []
    return max(colours)[1]
