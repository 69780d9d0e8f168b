"""Event-stream framing: lengths, both CRCs, and agreement with botocore's own decoder."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from hypothesis import given
from hypothesis import strategies as st

from certtui.standin.eventstream import (
    EventStreamError,
    decode_frames,
    encode_frame,
    event_frame,
    exception_frame,
    split_frames,
)


def test_frame_layout_and_both_crcs() -> None:
    frame = encode_frame({":event-type": "messageStart"}, b'{"role":"assistant"}')
    total, headers_length, prelude_crc = struct.unpack(">III", frame[:12])
    assert total == len(frame)
    assert prelude_crc == zlib.crc32(frame[:8])
    assert struct.unpack(">I", frame[-4:])[0] == zlib.crc32(frame[:-4])
    headers = frame[12 : 12 + headers_length]
    # name length, name, type 7 (string), value length, value
    assert headers == b"\x0b:event-type\x07\x00\x0cmessageStart"
    assert frame[12 + headers_length : -4] == b'{"role":"assistant"}'


def test_botocore_decodes_an_event_frame() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(event_frame("contentBlockDelta", {"delta": {"text": "Hi"}}))
    (message,) = list(buffer)
    assert message.headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    # Bedrock pads every event with a `p` member; clients ignore it.
    body = json.loads(message.payload)
    assert body["delta"] == {"text": "Hi"}
    assert (
        body["p"]
        and body["p"] == "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(body["p"])]
    )
    assert len(message.payload) % 16 == 0


def test_botocore_decodes_an_exception_frame() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(exception_frame("throttlingException", "slow down"))
    (message,) = list(buffer)
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert message.payload == b'{"message": "slow down"}'


def test_botocore_rejects_a_corrupted_frame_and_so_do_we() -> None:
    frame = bytearray(event_frame("messageStop", {"stopReason": "end_turn"}))
    frame[-6] ^= 0xFF  # flip a payload byte: the message CRC no longer matches
    buffer = EventStreamBuffer()
    buffer.add_data(bytes(frame))
    with pytest.raises(ChecksumMismatch):
        list(buffer)
    with pytest.raises(EventStreamError, match="message CRC"):
        decode_frames(bytes(frame))


def test_a_bad_prelude_crc_is_detected() -> None:
    frame = bytearray(event_frame("messageStop", {"stopReason": "end_turn"}))
    frame[9] ^= 0x01
    with pytest.raises(EventStreamError, match="prelude CRC"):
        decode_frames(bytes(frame))


def test_split_frames_keeps_an_incomplete_tail() -> None:
    first = event_frame("messageStart", {"role": "assistant"})
    second = event_frame("messageStop", {"stopReason": "end_turn"})
    frames, rest = split_frames(first + second[:10])
    assert [f.headers[":event-type"] for f in frames] == ["messageStart"]
    assert rest == second[:10]
    with pytest.raises(EventStreamError, match="trailing"):
        decode_frames(first + second[:10])


header_names = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20
)


@given(
    headers=st.dictionaries(header_names, st.text(max_size=40), max_size=5),
    payload=st.binary(max_size=300),
)
def test_any_frame_round_trips_through_both_decoders(headers: dict, payload: bytes) -> None:
    frame = encode_frame(headers, payload)
    (ours,) = decode_frames(frame)
    assert (ours.headers, ours.payload) == (headers, payload)
    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    (theirs,) = list(buffer)
    assert (theirs.headers, theirs.payload) == (headers, payload)
