"""Generated PNGs decode to the colour and size asked for."""

from __future__ import annotations

import struct
import zlib

import pytest

from certtui.suites import NAMED_COLOURS, colour_png, solid_png


def decode(png: bytes) -> tuple[int, int, set[bytes]]:
    """Width, height and the set of distinct pixels of an 8-bit RGB, unfiltered PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + data)
        chunks[kind] = chunks.get(kind, b"") + data
        position += 12 + length
    width, height, depth, colour_type, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour_type) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 3 * width
    pixels = set()
    for row in range(height):
        line = raw[row * stride : (row + 1) * stride]
        assert line[0] == 0
        pixels |= {line[1 + 3 * i : 4 + 3 * i] for i in range(width)}
    assert b"IEND" in chunks
    return width, height, pixels


@pytest.mark.parametrize("colour", sorted(NAMED_COLOURS))
def test_colour_png_is_solid(colour: str) -> None:
    width, height, pixels = decode(colour_png(colour, 16))
    assert (width, height) == (16, 16)
    assert pixels == {bytes(NAMED_COLOURS[colour])}


def test_default_image_is_small() -> None:
    png = colour_png("red")
    assert decode(png)[:2] == (64, 64)
    assert len(png) < 200


def test_bad_images_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown colour"):
        colour_png("teal")
    with pytest.raises(ValueError, match="size"):
        solid_png((1, 2, 3), 0)
    with pytest.raises(ValueError, match=r"0\.\.255"):
        solid_png((1, 2, 300))
