"""The digest relay: the least work any port-forwarding data path must do on this machine, measured.

The session-manager-plugin rejects an output message whose SHA-256 payload digest is wrong, so whatever carries
a forwarded port's bytes must hash every byte once on the way out, and the plugin hashes it again on the way in.
This relay does only that: a separate process (as the emulator is) reads the service into one reused 256 KiB
buffer, writes each read behind a 36-byte header (digest and length) to the client with one sendmsg, and the
client reads each message into one reused buffer and checks its digest. No websocket, no acknowledgements, no
sequence numbers, no smux. Its throughput is a ceiling for the emulator's forwarded download: the emulator does
all of this and the protocol besides, so the relay's share of direct TCP bounds the share the emulator can reach
here, whatever its implementation.

`python -m bench.digest_relay SOURCE_PORT` runs the relay side: it prints the port it listens on, relays one
connection to 127.0.0.1:SOURCE_PORT (forwarding the client's request line first), and exits.
"""

import hashlib
import socket
import subprocess
import sys
import time
from pathlib import Path

MESSAGE = 256 * 1024  # the emulator's largest port message
HEADER = 36  # SHA-256 digest, then the payload length as 4 big-endian bytes


def _relay(source_port: int) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        client, _ = listener.accept()
    with client, socket.create_connection(("127.0.0.1", source_port)) as source:
        source.sendall(_request_line(client))
        buffer = bytearray(MESSAGE)
        view = memoryview(buffer)
        while read := source.recv_into(buffer):
            payload = view[:read]
            client.sendmsg([hashlib.sha256(payload).digest() + read.to_bytes(4, "big"), payload])


def _request_line(sock: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        line += sock.recv(1)
    return line


def _read_exactly(sock: socket.socket, view: memoryview) -> bool:
    got = 0
    while got < len(view):
        read = sock.recv_into(view[got:])
        if not read:
            return False
        got += read
    return True


def download_seconds(source_port: int, size: int) -> float:
    """Seconds for `size` bytes from the service through the relay, every digest checked."""
    relay = subprocess.Popen([sys.executable, "-m", "bench.digest_relay", str(source_port)],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        port = int(relay.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            buffer = bytearray(HEADER + MESSAGE)
            view = memoryview(buffer)
            received = 0
            began = time.perf_counter()
            sock.sendall(f"{size}\n".encode())
            while _read_exactly(sock, view[:HEADER]):
                length = int.from_bytes(view[32:HEADER], "big")
                payload = view[HEADER:HEADER + length]
                if not _read_exactly(sock, payload):
                    break
                if hashlib.sha256(payload).digest() != view[:32]:
                    raise RuntimeError("the relay's digest does not match its payload")
                received += length
            elapsed = time.perf_counter() - began
        if received != size:
            raise RuntimeError(f"received {received} bytes through the relay, expected {size}")
        return elapsed
    finally:
        relay.wait(timeout=30)


if __name__ == "__main__":
    _relay(int(sys.argv[1]))
