"""Unit tests of the Session Manager data channel (emulator.session_manager.channel), pure protocol.

The golden bytes are assembled by hand from the reference's header table; the conversation tests pit the
agent side against tests/session_client.py, which has its own codec, so each checks the other."""
from __future__ import annotations

import hashlib
import json
import random
import struct
import uuid

import pytest

from emulator.session_manager.channel import agent as agent_side
from emulator.session_manager.channel.handshake import (AGENT_VERSION, ActionStatus, HandshakeComplete,
                                                        HandshakeError, HandshakeRequest, HandshakeResponse,
                                                        OpenDataChannelInput, SessionType, client_supports_smux,
                                                        compare_versions, handshake_request,
                                                        port_forwarding_properties, ssh_session_properties)
from emulator.session_manager.channel.messages import (ChannelMessage, MessageFlags, MessageFormatError,
                                                       MessageType, PayloadType, Acknowledgement, acknowledge,
                                                       decode_message, encode_message, message_id_from_wire,
                                                       message_id_to_wire, stream_data)
from emulator.session_manager.channel.sequencing import (INITIAL_RTO, MAX_RTO, IncomingStream, OutgoingStream)
from emulator.session_manager.channel.smux import (FrameReader, SmuxCommand, SmuxError, SmuxFrame, StreamClosed,
                                                   StreamData, StreamMultiplexer, StreamOpened, chunks)
from emulator.session_manager.channel.terminal import (ChannelClosed, PayloadFlag, TerminalSize, channel_closed,
                                                       exit_code_payload, flag_payload, parse_exit_code, parse_flag)
from tests import session_client
from tests.session_client import ClientMux, SessionClient

NOW = 1_700_000_000.0
SIZE_PAYLOAD = b'{"cols":300,"rows":100}'
SAMPLE_ID = uuid.UUID("14fd5446-be25-4522-a828-64254c5ec44e")
SAMPLE_ID_WIRE = bytes.fromhex("a82864254c5ec44e14fd5446be254522")


def golden_size_frame() -> bytes:
    """The reference's observed plugin header, field by field from its table."""
    return b"".join([
        bytes.fromhex("00000074"),                                   # HL 116
        b"input_stream_data" + b"\x20" * 15,                         # 32-byte type, space padded
        bytes.fromhex("00000001"),                                   # schema version
        bytes.fromhex("000001a21697f6ea"),                           # created, ms
        bytes.fromhex("0000000000000000"),                           # seq
        bytes.fromhex("0000000000000000"),                           # flags
        SAMPLE_ID_WIRE,                                              # message id, halves swapped
        hashlib.sha256(SIZE_PAYLOAD).digest(),                       # digest
        bytes.fromhex("00000003"),                                   # payload type Size
        bytes.fromhex("00000017"),                                   # payload length 23
        SIZE_PAYLOAD,
    ])


# --- messages ---------------------------------------------------------------------------------------------------

def test_header_golden_bytes_and_offsets():
    message = ChannelMessage(MessageType.INPUT_STREAM_DATA, 0, MessageFlags.NONE, SAMPLE_ID, 0x000001A21697F6EA,
                             PayloadType.SIZE, SIZE_PAYLOAD)
    frame = encode_message(message)
    assert frame == golden_size_frame()
    assert len(frame) == 120 + 23
    assert frame[0:4] == b"\x00\x00\x00\x74"
    assert frame[4:36].rstrip(b" ") == b"input_stream_data" and frame[35:36] == b" "
    assert frame[64:80] == SAMPLE_ID_WIRE
    assert frame[80:84] == bytes.fromhex("e1537ad4")
    assert frame[112:116] == b"\x00\x00\x00\x03" and frame[116:120] == b"\x00\x00\x00\x17"
    assert frame[120:] == SIZE_PAYLOAD


def test_decode_golden_frame():
    message = decode_message(golden_size_frame())
    assert message.message_type is MessageType.INPUT_STREAM_DATA
    assert (message.schema_version, message.created_date, message.sequence_number) == (1, 0x000001A21697F6EA, 0)
    assert message.message_id == SAMPLE_ID
    assert message.payload_type is PayloadType.SIZE and message.payload == SIZE_PAYLOAD
    assert message.digest_matches


def test_message_id_swapped_halves_both_ways():
    assert message_id_to_wire(SAMPLE_ID) == SAMPLE_ID_WIRE
    assert message_id_from_wire(SAMPLE_ID_WIRE) == SAMPLE_ID
    assert str(message_id_from_wire(SAMPLE_ID_WIRE)) == "14fd5446-be25-4522-a828-64254c5ec44e"
    other = uuid.uuid4()
    assert message_id_from_wire(message_id_to_wire(other)) == other
    assert message_id_to_wire(other) != other.bytes


def test_digest_is_sha256_of_payload_and_not_enforced_on_decode():
    frame = bytearray(encode_message(stream_data(MessageType.OUTPUT_STREAM_DATA, 4, PayloadType.OUTPUT, b"hi", NOW)))
    assert bytes(frame[80:112]) == hashlib.sha256(b"hi").digest()
    frame[80:112] = b"0123456789abcdef0123456789abcdef"  # what ssm-session (npm) sends
    tolerant = decode_message(bytes(frame))
    assert tolerant.payload == b"hi" and not tolerant.digest_matches
    assert encode_message(tolerant)[80:112] == hashlib.sha256(b"hi").digest()  # re-encoding repairs it


@pytest.mark.parametrize("raw_type", [
    b"acknowledge".ljust(32, b" "), b"acknowledge".ljust(32, b"\x00"), b"acknowledge".rjust(32, b"\x00"),
])
def test_message_type_padding_tolerated(raw_type):
    frame = bytearray(encode_message(acknowledge(stream_data(MessageType.INPUT_STREAM_DATA, 1, 1, b"x", NOW), NOW)))
    frame[4:36] = raw_type
    assert decode_message(bytes(frame)).message_type is MessageType.ACKNOWLEDGE


def test_unknown_types_decode_as_plain_values():
    frame = bytearray(encode_message(stream_data(MessageType.OUTPUT_STREAM_DATA, 1, 99, b"", NOW)))
    frame[4:36] = b"agent_job".ljust(32, b" ")
    message = decode_message(bytes(frame))
    assert message.message_type == "agent_job" and message.payload_type == 99


def test_payload_sliced_from_header_length_not_payload_length():
    frame = bytearray(encode_message(stream_data(MessageType.INPUT_STREAM_DATA, 0, 1, b"abcdef", NOW)))
    frame[116:120] = struct.pack(">I", 2)
    assert decode_message(bytes(frame)).payload == b"abcdef"
    with pytest.raises(MessageFormatError):
        decode_message(bytes(frame[:100]))
    frame[0:4] = struct.pack(">I", 500)
    with pytest.raises(MessageFormatError):
        decode_message(bytes(frame))


def test_problems_are_the_agents_checks():
    message = ChannelMessage(MessageType.INPUT_STREAM_DATA, 0, 0, uuid.uuid4(), 0, 1, b"x")
    assert decode_message(encode_message(message)).problems() == ["CreatedDate is 0"]


def test_stream_flags_and_ack_layout():
    first = stream_data(MessageType.OUTPUT_STREAM_DATA, 0, PayloadType.OUTPUT, b"a", NOW)
    later = stream_data(MessageType.OUTPUT_STREAM_DATA, 1, PayloadType.OUTPUT, b"a", NOW)
    client = stream_data(MessageType.INPUT_STREAM_DATA, 0, PayloadType.OUTPUT, b"a", NOW)
    assert (first.flags, later.flags, client.flags) == (MessageFlags.SYN, MessageFlags.NONE, MessageFlags.NONE)
    received = stream_data(MessageType.INPUT_STREAM_DATA, 7, PayloadType.OUTPUT, b"k", NOW, SAMPLE_ID)
    frame = encode_message(acknowledge(received, NOW))
    assert frame[48:56] == bytes(8) and frame[56:64] == struct.pack(">Q", 3) and frame[112:116] == bytes(4)
    assert int.from_bytes(frame[40:48], "big") == int(NOW * 1000)
    assert json.loads(frame[120:]) == {"AcknowledgedMessageType": "input_stream_data",
                                       "AcknowledgedMessageId": str(SAMPLE_ID),
                                       "AcknowledgedMessageSequenceNumber": 7, "IsSequentialMessage": True}
    assert Acknowledgement.from_json(frame[120:]).sequence_number == 7


# --- handshake and the opening text frame -------------------------------------------------------------------------

@pytest.mark.parametrize("session_type", [SessionType.STANDARD_STREAM, SessionType.INTERACTIVE_COMMANDS,
                                          SessionType.NON_INTERACTIVE_COMMANDS])
def test_handshake_request_for_shell_types_has_null_properties(session_type):
    body = json.loads(handshake_request(session_type, {"ignored": "x"}))
    assert body == {"AgentVersion": "3.3.0.0", "RequestedClientActions": [
        {"ActionType": "SessionType", "ActionParameters": {"SessionType": session_type.value, "Properties": None}}]}


def test_handshake_request_for_port_passes_properties_and_never_kms():
    properties = port_forwarding_properties(80, 8080, host="db.internal")
    body = json.loads(handshake_request(SessionType.PORT, properties))
    assert body["RequestedClientActions"][0]["ActionParameters"] == {"SessionType": "Port", "Properties": {
        "portNumber": "80", "type": "LocalPortForwarding", "localPortNumber": "8080", "host": "db.internal"}}
    assert [a["ActionType"] for a in body["RequestedClientActions"]] == ["SessionType"]
    assert ssh_session_properties() == {"portNumber": "22"}
    assert len(AGENT_VERSION.split(".")) == 4
    parsed = HandshakeRequest.from_json(handshake_request(SessionType.PORT, properties))
    assert (parsed.session_type, parsed.properties) == ("Port", properties)


def test_handshake_response_observed_from_plugin():
    observed = (b'{"ClientVersion":"1.2.0.0","ProcessedClientActions":[{"ActionType":"SessionType",'
                b'"ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}')
    response = HandshakeResponse.from_json(observed)
    assert response.client_version == "1.2.0.0" and response.errors == ()
    assert response.processed_actions[0].action_status == ActionStatus.SUCCESS
    assert response.session_type_accepted
    assert HandshakeResponse.from_json(response.to_json()) == response


def test_handshake_response_refusal_and_unknown_action_quirk():
    body = {"ClientVersion": "1.2.0.0", "Errors": ["Unsupported action X"], "ProcessedClientActions": [
        {"ActionType": "SessionType", "ActionStatus": 2, "ActionResult": None, "Error": "no"},
        {"ActionType": "X", "ActionResult": 3, "Error": "Unsupported action X"}]}
    response = HandshakeResponse.from_json(json.dumps(body))
    assert not response.session_type_accepted
    assert response.processed_actions[1].action_status is None and response.processed_actions[1].action_result == 3
    with pytest.raises(HandshakeError):
        HandshakeResponse.from_json(b"[1]")


def test_handshake_complete_round_trip():
    payload = HandshakeComplete(1_500_000, "hello").to_json()
    assert json.loads(payload) == {"HandshakeTimeToComplete": 1_500_000, "CustomerMessage": "hello"}
    assert HandshakeComplete.from_json(payload) == HandshakeComplete(1_500_000, "hello")


def test_open_data_channel_input():
    text = ('{"MessageSchemaVersion":"1.0","RequestId":"r-1","TokenValue":"tok","ClientId":"c-1",'
            '"ClientVersion":"1.2.0.0"}')
    parsed = OpenDataChannelInput.from_json(text)
    assert (parsed.token_value, parsed.client_id, parsed.client_version, parsed.request_id) == \
        ("tok", "c-1", "1.2.0.0", "r-1")
    npm = OpenDataChannelInput.from_json('{"MessageSchemaVersion":"1.0","RequestId":"r","TokenValue":"t"}')
    assert (npm.token_value, npm.client_id, npm.client_version) == ("t", "", "")
    for bad in ['{"RequestId":"r"}', '{"TokenValue":""}', "not json", "[]"]:
        with pytest.raises(HandshakeError):
            OpenDataChannelInput.from_json(bad)


# --- terminal and end-of-session payloads ---------------------------------------------------------------------

def test_terminal_payloads():
    assert TerminalSize.from_json(SIZE_PAYLOAD) == TerminalSize(300, 100)
    assert TerminalSize(80, 24).to_json() == b'{"cols":80,"rows":24}'
    with pytest.raises(ValueError):
        TerminalSize.from_json(b'{"cols":"80"}')
    assert flag_payload(PayloadFlag.TERMINATE_SESSION) == b"\x00\x00\x00\x02"
    assert parse_flag(b"\x00\x00\x00\x03") is PayloadFlag.CONNECT_TO_PORT_ERROR
    assert parse_flag(b"\x00\x00\x00\x09") == 9
    assert exit_code_payload(3) == b"EXIT_CODE: 3" and parse_exit_code(b"EXIT_CODE: 3") == 3
    assert parse_exit_code(b"hello") is None


def test_channel_closed_message():
    message = decode_message(encode_message(channel_closed("s-1", "bye", NOW)))
    assert message.message_type is MessageType.CHANNEL_CLOSED
    assert (message.sequence_number, message.flags, message.payload_type) == (0, 3, 0)
    body = json.loads(message.payload)
    assert body["SessionId"] == "s-1" and body["Output"] == "bye" and body["MessageType"] == "channel_closed"
    assert body["MessageId"] == str(message.message_id)
    assert ChannelClosed.from_json(message.payload).output == "bye"


# --- sequencing ----------------------------------------------------------------------------------------------

def test_outgoing_numbers_and_acks_by_sequence_number():
    out = OutgoingStream()
    sent = [out.send(PayloadType.OUTPUT, bytes([i]), NOW) for i in range(3)]
    assert [m.sequence_number for m in sent] == [0, 1, 2]
    assert out.acknowledge(1, NOW + 0.01) and not out.acknowledge(1, NOW) and not out.acknowledge(9, NOW)
    assert [m.sequence_number for m in out.unacked] == [0, 2]


def test_retransmits_oldest_after_timeout_only():
    out = OutgoingStream()
    first = out.send(PayloadType.OUTPUT, b"a", NOW)
    out.send(PayloadType.OUTPUT, b"b", NOW + 0.05)
    assert out.due(NOW + INITIAL_RTO - 0.01) == []
    assert out.due(NOW + INITIAL_RTO) == [first]
    assert out.due(NOW + INITIAL_RTO + 0.1) == []  # its clock restarted at the resend
    out.acknowledge(0, NOW + 0.5)
    assert [m.payload for m in out.due(NOW + 1.0)] == [b"b"]


def test_rto_adapts_to_measured_round_trips_and_is_capped():
    out = OutgoingStream()
    for i in range(20):
        out.send(PayloadType.OUTPUT, b"x", NOW + i)
        out.acknowledge(i, NOW + i + 0.005)
    assert out.timeout.rto < INITIAL_RTO
    slow = OutgoingStream()
    for i in range(20):
        slow.send(PayloadType.OUTPUT, b"x", NOW + 10 * i)
        slow.acknowledge(i, NOW + 10 * i + 5)
    assert slow.timeout.rto == MAX_RTO


def test_resume_resends_everything_unacked_in_order():
    out = OutgoingStream()
    for i in range(5):
        out.send(PayloadType.OUTPUT, bytes([i]), NOW)
    out.acknowledge(1, NOW)
    out.acknowledge(3, NOW)
    assert [m.sequence_number for m in out.resume(NOW + 3)] == [0, 2, 4]


def _input(seq: int, payload: bytes = b"x") -> ChannelMessage:
    return stream_data(MessageType.INPUT_STREAM_DATA, seq, PayloadType.OUTPUT, payload, NOW)


def test_incoming_in_order_out_of_order_and_duplicates():
    incoming = IncomingStream()
    ahead = incoming.receive(_input(2, b"c"))
    assert ahead.acknowledge and ahead.delivered == () and incoming.buffered == 1
    first = incoming.receive(_input(0, b"a"))
    assert [m.payload for m in first.delivered] == [b"a"]
    second = incoming.receive(_input(1, b"b"))
    assert [m.payload for m in second.delivered] == [b"b", b"c"] and incoming.expected_sequence_number == 3
    again = incoming.receive(_input(1, b"b"))
    assert again.acknowledge and again.duplicate and again.delivered == ()
    assert incoming.receive(_input(5)).acknowledge and incoming.receive(_input(5)).duplicate


def test_incoming_not_ready_leaves_message_unacked():
    incoming = IncomingStream()
    refused = incoming.receive(_input(0), ready=False)
    assert not refused.acknowledge and refused.delivered == () and incoming.expected_sequence_number == 0
    assert incoming.receive(_input(0)).delivered


# --- smux ----------------------------------------------------------------------------------------------------

def test_smux_frame_layout():
    assert SmuxFrame(SmuxCommand.PSH, 3, b"hey").encode() == bytes([1, 2, 3, 0, 3, 0, 0, 0]) + b"hey"
    assert FrameReader().feed(bytes([1, 0, 0, 0, 5, 0, 0, 0])) == [SmuxFrame(SmuxCommand.SYN, 5)]
    with pytest.raises(SmuxError):
        FrameReader().feed(bytes([2, 0, 0, 0, 5, 0, 0, 0]))


def test_smux_three_interleaved_streams_one_mebibyte_each_way():
    rng = random.Random(7)
    payloads = {sid: rng.randbytes(size) for sid, size in [(3, 1 << 20), (5, 300_001), (7, 4097)]}
    client = StreamMultiplexer()
    server = StreamMultiplexer()
    wire = bytearray()
    for expected in (3, 5, 7):
        stream_id, syn = client.open()
        assert stream_id == expected
        wire += syn
    offsets = dict.fromkeys(payloads, 0)
    while any(offsets[s] < len(payloads[s]) for s in payloads):  # interleave writes of varying sizes
        for sid, data in payloads.items():
            step = rng.randint(1, 50_000)
            wire += client.write(sid, data[offsets[sid]:offsets[sid] + step])
            offsets[sid] += step
    for sid in payloads:
        wire += client.close(sid)
    received: dict[int, bytearray] = {}
    events = []
    for piece in _random_chunks(bytes(wire), rng):  # frames split across and packed into messages
        events += server.feed(piece)
    for event in events:
        if isinstance(event, StreamData):
            received[event.stream_id] += event.data
        elif isinstance(event, StreamOpened):
            received[event.stream_id] = bytearray()
    assert {sid: bytes(data) for sid, data in received.items()} == payloads
    assert [e for e in events if isinstance(e, StreamClosed)] == [StreamClosed(3), StreamClosed(5), StreamClosed(7)]
    assert server.open_streams == frozenset()
    # server -> client, decoded by the test client's own smux code
    replies = StreamMultiplexer()
    theirs = ClientMux()
    for expected in (3, 5, 7):
        assert theirs.syn()[0] == expected
        replies.feed(SmuxFrame(SmuxCommand.SYN, expected).encode())
    back = b"".join(replies.write(sid, data) for sid, data in payloads.items())
    for piece in _random_chunks(back, rng):
        theirs.feed(piece)
    assert {sid: bytes(data) for sid, data in theirs.received.items()} == payloads


def _random_chunks(data: bytes, rng: random.Random) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        n = rng.choice([1, 7, 8, 9, 1024, 3000])
        out.append(data[i:i + n])
        i += n
    return out


def test_smux_drops_data_for_unknown_or_closed_streams():
    mux = StreamMultiplexer()
    assert mux.feed(SmuxFrame(SmuxCommand.PSH, 9, b"lost").encode()) == []
    assert mux.feed(SmuxFrame(SmuxCommand.NOP, 0).encode()) == []
    mux.feed(SmuxFrame(SmuxCommand.SYN, 3).encode() + SmuxFrame(SmuxCommand.FIN, 3).encode())
    assert mux.write(3, b"late") == b""
    with pytest.raises(SmuxError):
        mux.write(11, b"never opened")
    assert chunks(b"a" * 2049) == [b"a" * 1024, b"a" * 1024, b"a"]


# --- agent side against the test client ---------------------------------------------------------------------------

class Conversation:
    """Carries frames both ways in memory, with a clock stepped by hand."""

    def __init__(self, session_type=SessionType.STANDARD_STREAM, properties=None):
        self.now = NOW
        self.agent = agent_side.AgentChannel("s-1", session_type, properties)
        self.client = SessionClient(token="tok", session_id="s-1")
        self.events: list = []
        self.connected = True

    def to_client(self, frames):
        replies = []
        for frame in frames:
            if self.connected:  # the agent's output frames come as (header, payload) buffers
                replies += self.client.receive(b"".join(frame) if isinstance(frame, tuple) else frame, self.now)
        self.to_agent(replies)

    def to_agent(self, frames, ready=True):
        for frame in frames:
            if not self.connected:
                continue
            step = self.agent.receive(frame, self.now, ready=ready)
            assert not step.rejected, step.rejected
            self.events += step.events
            self.to_client(step.frames)

    def tick(self, seconds=1.0):
        """Run both 100 ms schedulers for a while."""
        for _ in range(int(round(seconds / 0.1))):
            self.now += 0.1
            self.to_agent(self.client.poll(self.now))
            self.to_client(self.agent.poll(self.now))

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def test_shell_conversation_handshake_data_both_ways_then_channel_closed():
    talk = Conversation()
    talk.to_client(talk.agent.start(talk.now))
    assert talk.agent.handshake_complete and talk.of(agent_side.HandshakeDone)[0].accepted
    assert talk.client.session_type == "Standard_Stream" and talk.client.agent_version == "3.3.0.0"
    talk.to_agent([talk.client.resize(120, 40, talk.now)])
    assert talk.of(agent_side.SizeChanged) == [agent_side.SizeChanged(TerminalSize(120, 40))]
    # the first output right after HandshakeComplete meets a client whose handler is not up yet
    talk.to_client(talk.agent.send(b"$ ", talk.now))
    assert talk.client.display == b"" and talk.client.dropped[-1][1] == "not ready"
    talk.tick(0.5)
    assert talk.client.display == b"$ "
    talk.to_agent(talk.client.send_input(b"echo hi", talk.now) + talk.client.send_input(b"\n", talk.now))
    assert b"".join(e.data for e in talk.of(agent_side.InputReceived)) == b"echo hi\r"
    big = bytes(range(256)) * 20
    talk.to_client(talk.agent.send(b"hi\r\n" + big, talk.now))
    assert talk.client.display == b"$ hi\r\n" + big
    talk.tick(0.3)
    assert talk.agent.all_acked and not talk.client.outgoing
    talk.to_client([talk.agent.close(talk.now, "")])
    assert talk.client.closed and talk.client.closed_output == ""


def test_lost_frames_are_retransmitted_and_resume_after_reconnect_loses_nothing():
    talk = Conversation()
    talk.to_client(talk.agent.start(talk.now))
    talk.tick(0.3)
    talk.connected = False  # the websocket drops: frames in flight are lost both ways
    lost_out = talk.agent.send(b"lost output" + b"." * 2048, talk.now)
    assert len(lost_out) == 3
    lost_in = talk.client.send_input(b"lost input", talk.now)
    talk.to_client(lost_out)
    talk.to_agent(lost_in)
    talk.tick(0.5)
    assert b"lost" not in talk.client.display
    # ResumeSession, a new websocket with the same ClientId, a new token
    open_again = OpenDataChannelInput.from_json(talk.client.reconnect("tok-2"))
    assert open_again.token_value == "tok-2" and open_again.client_id == talk.client.client_id
    talk.connected = True
    talk.to_client(talk.agent.resume(talk.now))
    assert talk.client.display == b"lost output" + b"." * 2048  # all of it at once, not one per RTO
    talk.tick(0.5)
    assert [e.data for e in talk.of(agent_side.InputReceived)] == [b"lost input"]
    assert talk.agent.all_acked and not talk.client.outgoing


def test_agent_reacks_duplicates_and_client_drops_them_silently():
    talk = Conversation()
    talk.to_client(talk.agent.start(talk.now))
    talk.tick(0.3)
    frame = talk.client.send_input(b"x", talk.now)[0]
    first = talk.agent.receive(frame, talk.now)
    again = talk.agent.receive(frame, talk.now)
    assert len(first.frames) == 1 and len(again.frames) == 1 and len(first.events) == 1 and again.events == ()
    out = b"".join(talk.agent.send(b"y", talk.now)[0])
    assert talk.client.receive(out, talk.now) and talk.client.receive(out, talk.now) == []
    assert talk.client.display == b"y"


def test_not_ready_input_is_resent_by_the_client_until_taken():
    talk = Conversation()
    talk.to_client(talk.agent.start(talk.now))
    talk.tick(0.3)
    talk.to_agent(talk.client.send_input(b"early", talk.now), ready=False)
    assert talk.of(agent_side.InputReceived) == [] and talk.client.outgoing
    talk.tick(0.3)
    assert [e.data for e in talk.of(agent_side.InputReceived)] == [b"early"]


def test_refused_session_type_gets_no_handshake_complete():
    talk = Conversation()
    talk.agent.session_type = "Bogus"
    talk.to_client(talk.agent.start(talk.now))
    done = talk.of(agent_side.HandshakeDone)
    assert done and not done[0].accepted and not talk.agent.handshake_complete
    assert talk.agent.outgoing.next_sequence_number == 1


def test_port_session_smux_through_the_data_channel():
    talk = Conversation(SessionType.PORT, port_forwarding_properties(5432))
    talk.to_client(talk.agent.start(talk.now))
    talk.tick(0.3)
    assert talk.client.session_type == "Port" and talk.client.properties["portNumber"] == "5432"
    server_mux = StreamMultiplexer()
    rng = random.Random(3)
    data = {}
    frames = []
    for _ in range(3):
        stream_id, sent = talk.client.open_stream(talk.now)
        data[stream_id] = rng.randbytes(5000 + stream_id)
        frames += sent
    for stream_id, payload in data.items():
        frames += talk.client.write_stream(stream_id, payload, talk.now)
    assert all(len(decode_message(f).payload) <= 1024 for f in frames)
    talk.to_agent(frames)
    got: dict[int, bytearray] = {}
    for event in talk.of(agent_side.InputReceived):
        for stream_event in server_mux.feed(event.data):
            if isinstance(stream_event, StreamOpened):
                got[stream_event.stream_id] = bytearray()
            elif isinstance(stream_event, StreamData):
                got[stream_event.stream_id] += stream_event.data
    assert {k: bytes(v) for k, v in got.items()} == data
    echo = b"".join(server_mux.write(sid, payload[::-1]) for sid, payload in data.items())
    talk.to_client(talk.agent.send(echo, talk.now))
    talk.tick(0.5)
    assert {k: bytes(v) for k, v in talk.client.mux.received.items()} == {k: v[::-1] for k, v in data.items()}
    talk.to_agent([talk.client.send_flag(PayloadFlag.TERMINATE_SESSION, talk.now)])
    assert talk.of(agent_side.FlagReceived) == [agent_side.FlagReceived(PayloadFlag.TERMINATE_SESSION)]


@pytest.mark.parametrize(("client_version", "multiplexes", "client_mode"), [
    ("1.2.0.0", True, "mux"), ("1.1.70", True, "mux"), ("1.1.70.0", True, "mux"), ("1.1.100", True, "mux"),
    ("1.1.69", False, "basic"), ("1.1.0.0", False, "basic"), ("1.0", False, "basic"), ("", False, "basic")])
def test_port_mode_follows_the_handshake_client_version(client_version, multiplexes, client_mode):
    talk = Conversation(SessionType.PORT, port_forwarding_properties(5432))
    talk.client.client_version = client_version
    talk.to_client(talk.agent.start(talk.now))
    assert talk.agent.client_version == client_version  # from the HandshakeResponse
    assert client_supports_smux(talk.agent.client_version) is multiplexes
    assert talk.client.port_mode == client_mode  # the test client, like such a plugin, agrees


def test_version_compare_is_the_agents():
    assert compare_versions("1.1.70", "1.1.70") == 0
    assert compare_versions("1.10.0", "1.9.9") > 0  # numbers, not text
    assert compare_versions("1.1.70", "1.1.70.0") < 0  # strict: fewer parts is older
    assert compare_versions("1.1.x", "1.1.70") > 0  # a non-number part compares as text
    assert compare_versions("", "1.1.70") < 0


def test_stdio_mode_for_ssh_session_properties():
    talk = Conversation(SessionType.PORT, ssh_session_properties(2222))
    talk.to_client(talk.agent.start(talk.now))
    talk.tick(0.3)
    assert talk.client.properties == {"portNumber": "2222"} and talk.client.port_mode == "stdio"
    talk.to_client(talk.agent.send(b"\x00\x00\x00\x03raw", talk.now))
    assert talk.client.raw_received == b"\x00\x00\x00\x03raw"  # written as it came, whatever it looks like


def test_client_enforces_digests_the_agent_side_computes():
    bad = bytearray(encode_message(stream_data(MessageType.OUTPUT_STREAM_DATA, 0, 1, b"data", NOW)))
    bad[80] ^= 0xFF
    client = SessionClient(token="t")
    assert client.receive(bytes(bad), NOW) == [] and client.dropped == [(0, "invalid")]
    good = encode_message(stream_data(MessageType.OUTPUT_STREAM_DATA, 0, 1, b"data", NOW))
    assert len(client.receive(good, NOW)) == 1 and client.display == b"data"  # no-handshake fallback
    assert session_client.decode(good).message_id == decode_message(good).message_id
