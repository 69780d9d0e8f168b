"""Helpers for the stand-in tests: messages, tiny PNG images, the no-retry client config."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from botocore.config import Config

# botocore must not retry: every test sees exactly the answer the stand-in gave.
NO_RETRY = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)


def user(text: str) -> dict[str, Any]:
    """A user message with one text block."""
    return {"role": "user", "content": [{"text": text}]}


def assistant(text: str) -> dict[str, Any]:
    """An assistant message with one text block."""
    return {"role": "assistant", "content": [{"text": text}]}


def solid_png(rgb: tuple[int, int, int], size: int = 8, filter_type: int = 0) -> bytes:
    """A tiny one-colour RGB PNG, with every scanline using the given filter type."""
    raw = bytearray()
    previous = bytes(size * 3)
    for _ in range(size):
        line = bytes(rgb) * size
        raw.append(filter_type)
        raw += _filtered(line, previous, filter_type)
        previous = line
    return png_bytes(size, size, 2, bytes(raw))


def png_bytes(width: int, height: int, colour_type: int, raw: bytes, extra: bytes = b"") -> bytes:
    """Assemble PNG chunks around already-filtered 8-bit scanlines."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _filtered(line: bytes, previous: bytes, filter_type: int, step: int = 3) -> bytes:
    out = bytearray()
    for i, value in enumerate(line):
        left = line[i - step] if i >= step else 0
        up = previous[i]
        up_left = previous[i - step] if i >= step else 0
        predictor = {
            0: 0,
            1: left,
            2: up,
            3: (left + up) // 2,
            4: _paeth(left, up, up_left),
        }[filter_type]
        out.append((value - predictor) & 0xFF)
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
