"""A small pure-Python PNG reader, enough to name the dominant colour of an image."""

from __future__ import annotations

import colorsys
import struct
import zlib
from collections import Counter
from collections.abc import Iterator

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Samples per pixel for each PNG colour type.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Decoding a huge image pixel by pixel would stall the server; sample at most this many pixels.
_MAX_SAMPLES = 4096


class PngError(ValueError):
    """Bytes that this reader cannot decode as a PNG image."""


def dominant_colour(data: bytes) -> str:
    """The name of the most common colour in a PNG image (e.g. "red")."""
    width, height, pixels = decode_png(data)
    step = max(1, (width * height) // _MAX_SAMPLES)
    counts = Counter(colour_name(pixel) for pixel in pixels[::step])
    return counts.most_common(1)[0][0]


def colour_name(rgb: tuple[int, int, int]) -> str:
    """A plain English name for an RGB colour."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in rgb))
    if lightness < 0.12:
        return "black"
    if lightness > 0.92:
        return "white"
    if saturation < 0.15:
        return "grey"
    degrees = hue * 360
    if degrees < 15 or degrees >= 340:
        return "red"
    if degrees < 45:
        return "brown" if lightness < 0.35 else "orange"
    if degrees < 70:
        return "yellow"
    if degrees < 160:
        return "green"
    if degrees < 200:
        return "cyan"
    if degrees < 255:
        return "blue"
    if degrees < 290:
        return "purple"
    return "pink"


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode a non-interlaced PNG into (width, height, RGB pixels in row order)."""
    if not data.startswith(_SIGNATURE):
        raise PngError("not a PNG image")
    header = None
    palette: list[tuple[int, int, int]] = []
    compressed = bytearray()
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = [tuple(body[i : i + 3]) for i in range(0, len(body) - 2, 3)]
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
    if header is None:
        raise PngError("PNG has no IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    if colour_type not in _CHANNELS or depth not in (1, 2, 4, 8, 16):
        raise PngError(f"unsupported PNG colour type {colour_type} / bit depth {depth}")
    if interlace:
        raise PngError("interlaced PNG images are not supported")
    if colour_type == 3 and not palette:
        raise PngError("palette PNG has no PLTE chunk")
    try:
        raw = zlib.decompress(bytes(compressed))
    except zlib.error as exc:
        raise PngError(f"corrupt PNG data: {exc}") from exc
    channels = _CHANNELS[colour_type]
    bits_per_pixel = channels * depth
    rows = _unfilter(raw, width, height, bits_per_pixel)
    pixels = [
        _to_rgb(samples, colour_type, depth, palette)
        for row in rows
        for samples in _samples(row, width, channels, depth)
    ]
    return width, height, pixels


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = len(_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, offset)
        body = data[offset + 8 : offset + 8 + length]
        if len(body) != length:
            raise PngError("truncated PNG chunk")
        yield kind, body
        offset += 12 + length


def _unfilter(raw: bytes, width: int, height: int, bits_per_pixel: int) -> list[bytes]:
    """Undo the per-scanline filters (None, Sub, Up, Average, Paeth)."""
    stride = (width * bits_per_pixel + 7) // 8
    step = max(1, bits_per_pixel // 8)
    if len(raw) < height * (stride + 1):
        raise PngError("PNG image data is shorter than its size says")
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filter_type = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            up_left = previous[i - step] if i >= step else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
            elif filter_type != 0:
                raise PngError(f"unknown PNG filter type {filter_type}")
        rows.append(bytes(line))
        previous = line
    return rows


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _samples(row: bytes, width: int, channels: int, depth: int) -> Iterator[tuple[int, ...]]:
    """Yield each pixel's samples scaled to 0–255."""
    if depth == 8:
        for x in range(width):
            yield tuple(row[x * channels : (x + 1) * channels])
    elif depth == 16:
        for x in range(width):
            # The high byte of each 16-bit sample is plenty to name a colour.
            yield tuple(row[(x * channels + c) * 2] for c in range(channels))
    else:
        per_byte = 8 // depth
        mask = (1 << depth) - 1
        for x in range(width):
            byte = row[x // per_byte]
            shift = 8 - depth * (x % per_byte + 1)
            yield ((byte >> shift) & mask,)


def _to_rgb(
    samples: tuple[int, ...], colour_type: int, depth: int, palette: list[tuple[int, int, int]]
) -> tuple[int, int, int]:
    if colour_type == 3:
        index = samples[0]
        if index >= len(palette):
            raise PngError("palette index out of range")
        return palette[index]
    if colour_type in (0, 4):
        level = samples[0]
        if depth < 8:
            level = level * 255 // ((1 << depth) - 1)
        return (level, level, level)
    return (samples[0], samples[1], samples[2])
