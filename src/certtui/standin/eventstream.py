"""AWS event-stream framing (application/vnd.amazon.eventstream), as ConverseStream sends it."""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")
_PRELUDE_LENGTH = _PRELUDE.size + _CRC.size
_STRING_TYPE = 7
# Fixed-size header value types: type id -> struct format.
_FIXED_TYPES = {2: ">b", 3: ">h", 4: ">i", 5: ">q"}


class EventStreamError(ValueError):
    """A byte sequence that is not a valid event-stream frame."""


@dataclass(frozen=True)
class Frame:
    """One decoded event-stream message."""

    headers: dict[str, Any] = field(default_factory=dict)
    payload: bytes = b""

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload)


def encode_frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """Encode one message whose headers are all strings (type 7), with both CRCs."""
    encoded = bytearray()
    for name, value in headers.items():
        raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
        encoded += struct.pack(">B", len(raw_name)) + raw_name
        encoded += struct.pack(">BH", _STRING_TYPE, len(raw_value)) + raw_value
    total = _PRELUDE_LENGTH + len(encoded) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(encoded))
    message = prelude + _CRC.pack(zlib.crc32(prelude)) + bytes(encoded) + payload
    return message + _CRC.pack(zlib.crc32(message))


_PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def padding(body: Mapping[str, Any]) -> str:
    """The `p` member Bedrock adds to every stream event so that frame sizes do not reveal
    token lengths: a prefix of the alphabet, here sized so the JSON body grows to a multiple
    of 16 characters (at least 8 added), deterministic for a given body."""
    size = len(json.dumps(body, separators=(",", ":")))
    return _PADDING_ALPHABET[: 8 + (-(size + 8 + 7) % 16)]


def event_frame(event_type: str, body: Mapping[str, Any], *, padded: bool = True) -> bytes:
    """Encode an event (`:message-type` event) whose payload is `body` as JSON, with the
    padding member `p` Bedrock sends (clients ignore it; botocore's model does not list it)."""
    if padded:
        body = {**body, "p": padding(body)}
    return encode_frame(
        {
            ":event-type": event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        json.dumps(body, separators=(",", ":")).encode("utf-8"),
    )


def exception_frame(exception_type: str, message: str) -> bytes:
    """Encode an in-stream error (`:message-type` exception) such as `throttlingException`."""
    return encode_frame(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": message}).encode("utf-8"),
    )


def decode_frames(data: bytes) -> list[Frame]:
    """Decode a complete byte string of frames, checking lengths and both CRCs."""
    frames, rest = split_frames(data)
    if rest:
        raise EventStreamError(f"{len(rest)} trailing bytes do not form a whole frame")
    return frames


def split_frames(data: bytes) -> tuple[list[Frame], bytes]:
    """Decode the whole frames at the start of `data`; return them and the incomplete tail."""
    frames = []
    offset = 0
    while len(data) - offset >= _PRELUDE_LENGTH:
        total, headers_length = _PRELUDE.unpack_from(data, offset)
        (prelude_crc,) = _CRC.unpack_from(data, offset + _PRELUDE.size)
        if zlib.crc32(data[offset : offset + _PRELUDE.size]) != prelude_crc:
            raise EventStreamError("prelude CRC mismatch")
        if total < _PRELUDE_LENGTH + headers_length + _CRC.size:
            raise EventStreamError(f"frame length {total} is too small for its headers")
        if len(data) - offset < total:
            break
        end = offset + total
        (message_crc,) = _CRC.unpack_from(data, end - _CRC.size)
        if zlib.crc32(data[offset : end - _CRC.size]) != message_crc:
            raise EventStreamError("message CRC mismatch")
        headers_start = offset + _PRELUDE_LENGTH
        headers_end = headers_start + headers_length
        frames.append(
            Frame(
                headers=dict(_decode_headers(data[headers_start:headers_end])),
                payload=bytes(data[headers_end : end - _CRC.size]),
            )
        )
        offset = end
    return frames, bytes(data[offset:])


def _decode_headers(raw: bytes) -> Iterator[tuple[str, Any]]:
    """Yield (name, value) for every header, all ten value types of the format."""
    offset = 0
    while offset < len(raw):
        name_length = raw[offset]
        name = raw[offset + 1 : offset + 1 + name_length].decode("utf-8")
        offset += 1 + name_length
        value_type = raw[offset]
        offset += 1
        value: Any
        if value_type in (0, 1):
            value = value_type == 0
        elif value_type in _FIXED_TYPES:
            fmt = _FIXED_TYPES[value_type]
            (value,) = struct.unpack_from(fmt, raw, offset)
            offset += struct.calcsize(fmt)
        elif value_type in (6, _STRING_TYPE):
            (length,) = struct.unpack_from(">H", raw, offset)
            chunk = raw[offset + 2 : offset + 2 + length]
            value = chunk.decode("utf-8") if value_type == _STRING_TYPE else bytes(chunk)
            offset += 2 + length
        elif value_type == 8:
            (millis,) = struct.unpack_from(">q", raw, offset)
            value = datetime.fromtimestamp(millis / 1000, tz=UTC)
            offset += 8
        elif value_type == 9:
            value = uuid.UUID(bytes=bytes(raw[offset : offset + 16]))
            offset += 16
        else:
            raise EventStreamError(f"unknown header value type {value_type}")
        yield name, value
