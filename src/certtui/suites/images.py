"""Tiny solid-colour PNG images, generated in code so a suite needs no binary files."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

# Saturated values a vision model names without hesitation, not shades that invite "maroon".
NAMED_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 160, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 230, 0),
    "orange": (255, 140, 0),
    "purple": (128, 0, 160),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
}

DEFAULT_IMAGE_SIZE = 64
MAX_IMAGE_SIZE = 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC of type and data."""
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def solid_png(rgb: tuple[int, int, int], size: int = DEFAULT_IMAGE_SIZE) -> bytes:
    """Encode a size×size PNG (8-bit RGB, no interlace) filled with one colour."""
    if not 1 <= size <= MAX_IMAGE_SIZE:
        raise ValueError(f"image size must be between 1 and {MAX_IMAGE_SIZE}, not {size}")
    if len(rgb) != 3 or any(not 0 <= c <= 255 for c in rgb):
        raise ValueError(f"colour must be three values in 0..255, not {rgb!r}")
    return _solid_png(tuple(rgb), size)


@lru_cache(maxsize=32)
def _solid_png(rgb: tuple[int, ...], size: int) -> bytes:
    """Cached encoder: a battery sends the same image to hundreds of models."""
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    # Each scanline starts with filter type 0 (None) followed by the raw pixels.
    scanline = b"\x00" + bytes(rgb) * size
    pixels = zlib.compress(scanline * size, 9)
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def colour_png(colour: str, size: int = DEFAULT_IMAGE_SIZE) -> bytes:
    """Encode a solid PNG of one of the NAMED_COLOURS."""
    try:
        rgb = NAMED_COLOURS[colour.lower()]
    except KeyError:
        known = ", ".join(NAMED_COLOURS)
        raise ValueError(f"unknown colour {colour!r} (known: {known})") from None
    return solid_png(rgb, size)
