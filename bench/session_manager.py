"""Session Manager: keystroke echo latency through a session shell, and forwarded-port throughput, each against
the direct path to the same container in the same run.

One container of the test image (host networking) is registered with the emulator. The data channel is driven
by the tests' independent protocol client (tests/session_client.py over tests/ws_client.py's RawClient), as the
session-manager-plugin would drive it.

Echo: after a warm-up, one character is typed into bash and the time until its echo arrives is taken, for
~200 samples (Ctrl-U clears the line every 40, untimed). The same is measured on two direct PTY execs of bash
in the same container: the Docker SDK's exec socket (exec_create tty=True + exec_start socket=True — the very
mechanism the emulator's docker backend uses, so the difference is the emulator's own cost; this one is
judged), and `docker exec -it` (the CLI) under a pseudo-terminal from Python's `pty` module, for reference.

Throughput, both directions, against a direct TCP connection to the same perl service in the container (host
networking), median of a few repetitions after a warm-up:
- download (judged): the service sends N bytes; timed from the request until the client holds all N. Through an
  AWS-StartPortForwardingSession the client acks every message and checks its SHA-256, as the plugin does.
- upload: N bytes to a sink that answers DONE once it has read everything, through the session in 1 KiB
  input_stream_data messages, as the plugin sends them (the frames are encoded and masked before the timer starts,
  so the Python client's encoding is not counted). The plugin itself sleeps 1 ms after each such message, so no
  real plugin uploads faster than about 1 MB/s: this row shows the emulator is not what limits it.
- the bare digest relay (bench/digest_relay.py), for the ceiling: the same download through a separate process that
  only hashes every read and the client only checks each digest, with no protocol at all.

Targets: echo p50 no more than 5 ms above the direct exec's; forwarded download at least 30% of direct TCP.
"""

import os
import contextlib
import pty
import select
import shutil
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench import digest_relay
from bench.load import ssm_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from session_client import SessionClient  # noqa: E402
from ws_client import BINARY, CLOSE, PING, PONG, TEXT, RawClient, frame_bytes, readable  # noqa: E402

IMAGE = "ssm-emulator-test/debian:bookworm"
LABEL = "ssm-emulator-bench"
TARGET_ECHO_OVERHEAD_MS = 5.0
TARGET_THROUGHPUT_SHARE = 0.30
TITLE = "Session Manager"  # in the report
CLEAR_EVERY = 40
SINK = r"""
use IO::Socket::INET; $SIG{CHLD} = 'IGNORE';
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ARGV[0], Listen => 16, ReuseAddr => 1)
    or die "listen: $!";
while (my $c = $s->accept) {
    if (!fork) {
        close $s; my ($head, $got, $want, $b) = ('', 0, -1, '');
        while (sysread($c, $b, 1 << 20)) {
            if ($want < 0) {
                $head .= $b;
                if ($head =~ /^(\d+)\n/) { $want = $1; $got = length($head) - length($1) - 1; }
            } else { $got += length $b; }
            last if $want >= 0 && $got >= $want;
        }
        syswrite($c, "DONE $got\n"); shutdown($c, 1); exit 0;
    }
    close $c;
}
"""


SOURCE = r"""
use IO::Socket::INET; $SIG{CHLD} = 'IGNORE';
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ARGV[0], Listen => 16, ReuseAddr => 1)
    or die "listen: $!";
my $block = 'x' x (1 << 20);
while (my $c = $s->accept) {
    if (!fork) {
        close $s; my $want = int(<$c>); my $sent = 0;
        while ($sent < $want) {
            my $n = $want - $sent; $n = length($block) if $n > length($block);
            my $w = syswrite($c, $block, $n); last unless $w; $sent += $w;
        }
        shutdown($c, 1); exit 0;
    }
    close $c;
}
"""


_CLIENT_CPU: list[float] = []  # the bench client's own CPU seconds per forwarded transfer


class ChannelClosed(RuntimeError):
    pass


class Channel:
    """One data-channel websocket carrying SessionClient's frames, pumped until a condition holds."""

    def __init__(self, started: dict) -> None:
        url = urlparse(started["StreamUrl"])
        self.session_id = started["SessionId"]
        self.ws = RawClient(url.port, f"{url.path}?{url.query}")
        if self.ws.status != 101:
            raise RuntimeError(f"data channel upgrade refused: {self.ws.status}")
        # The plugin is Go, whose TCP connections have Nagle off; without this the client's ack followed by the
        # next keystroke waits out the server's delayed ACK (~40 ms), a harness artefact.
        self.ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = SessionClient(started["TokenValue"], session_id=self.session_id)
        self.ws.send_frame(TEXT, self.client.open_frame().encode())
        self._next_poll = time.monotonic()

    def send(self, frames: list[bytes]) -> None:
        for frame in frames:
            self.ws.send_frame(BINARY, frame)

    def _one(self, timeout: float) -> None:
        if readable(self.ws, timeout):
            _, opcode, payload = self.ws.recv_frame()
            if opcode == CLOSE:
                raise ChannelClosed(f"websocket closed: {payload[:2].hex()} {self.client.display[-300:]!r}")
            if opcode == PING:
                self.ws.send_frame(PONG, payload)
            elif opcode == BINARY:
                self.send(self.client.receive(payload, time.time()))
        if time.monotonic() >= self._next_poll:
            self.send(self.client.poll(time.time()))
            self._next_poll = time.monotonic() + 0.1

    def until(self, check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out waiting for {what}")
            self._one(min(left, max(0.0, self._next_poll - time.monotonic())))

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._one(min(left, 0.1))

    def close(self) -> None:
        self.ws.close()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _percentiles(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"samples": len(ordered), "p50_ms": _ms(statistics.median(ordered)), "p99_ms": _ms(p99),
            "min_ms": _ms(ordered[0])}


def _echo_samples(send: Callable[[bytes], None], wait_for: Callable[[bytes], None],
                  settle: Callable[[], None], warmup: int, samples: int) -> list[float]:
    """Time one typed character until its echo; `wait_for(char)` blocks until the char shows after the mark."""
    timings: list[float] = []
    letters = b"abcdefghijklmnopqrstuvwxyz"
    for i in range(warmup + samples):
        if i and i % CLEAR_EVERY == 0:
            send(b"\x15")  # Ctrl-U: keep the line short (untimed)
            settle()
        char = letters[i % len(letters):i % len(letters) + 1]
        began = time.perf_counter()
        send(char)
        wait_for(char)
        if i >= warmup:
            timings.append(time.perf_counter() - began)
    return timings


class _FdShell:
    """A byte stream (socket or pty master) with a read buffer and a mark for 'output since'."""

    def __init__(self, read: Callable[[], bytes], write: Callable[[bytes], None], fileno: int) -> None:
        self._read, self.write, self.fileno = read, write, fileno
        self.seen = bytearray()
        self.mark = 0

    def wait(self, needle: bytes, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.seen[self.mark:]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out waiting for {needle!r}; shown {bytes(self.seen[-300:])!r}")
            if select.select([self.fileno], [], [], left)[0]:
                chunk = self._read()
                if not chunk:
                    raise EOFError(f"shell ended; shown {bytes(self.seen[-300:])!r}")
                self.seen += chunk

    def settle(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if select.select([self.fileno], [], [], left)[0]:
                chunk = self._read()
                if not chunk:
                    return
                self.seen += chunk

    def measure(self, warmup: int, samples: int) -> list[float]:
        self.write(b'echo RE""ADY\n')
        self.wait(b"READY")
        self.settle(0.2)

        def send(data: bytes) -> None:
            self.mark = len(self.seen)
            self.write(data)

        return _echo_samples(send, self.wait, self.settle, warmup, samples)


def _echo_sdk(docker_client: Any, container: Any, warmup: int, samples: int) -> list[float]:
    api = docker_client.api
    exec_id = api.exec_create(container.id, ["bash"], stdin=True, tty=True, environment={"TERM": "xterm"})["Id"]
    sock = api.exec_start(exec_id, tty=True, socket=True)
    raw = getattr(sock, "_sock", sock)
    raw.settimeout(None)
    api.exec_resize(exec_id, height=24, width=80)
    shell = _FdShell(lambda: raw.recv(65536), raw.sendall, raw.fileno())
    try:
        return shell.measure(warmup, samples)
    finally:
        try:
            raw.sendall(b"\x15exit\n")
        finally:
            raw.close()


def _echo_cli(container_name: str, warmup: int, samples: int) -> list[float]:
    import fcntl
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # child: the docker CLI on the pty's slave side, as a terminal user runs it
        try:
            os.execvp("docker", ["docker", "exec", "-it", "-e", "TERM=xterm", container_name, "bash"])
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def read() -> bytes:
        try:
            return os.read(fd, 65536)
        except OSError:  # EIO once the child has gone
            return b""

    def write(data: bytes) -> None:
        os.write(fd, data)

    shell = _FdShell(read, write, fd)
    try:
        return shell.measure(warmup, samples)
    finally:
        try:
            write(b"\x15exit\n")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
                time.sleep(0.05)
            else:
                if os.waitpid(pid, os.WNOHANG) == (0, 0):
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)


def _echo_session(ssm: Any, instance_id: str, warmup: int, samples: int) -> list[float]:
    started = ssm.start_session(Target=instance_id)
    channel = Channel(started)
    try:
        channel.until(lambda: channel.client.handler_ready, "the handshake")
        client = channel.client
        channel.send([client.resize(80, 24, time.time())])
        channel.send(client.send_input(b'echo RE""ADY\n', time.time()))
        channel.until(lambda: b"READY" in client.display, "the shell to answer")
        channel.drain(0.2)
        mark = [0]

        def send(data: bytes) -> None:
            mark[0] = len(client.display)
            channel.send(client.send_input(data, time.time()))

        def wait_for(char: bytes) -> None:
            channel.until(lambda: char in client.display[mark[0]:], f"the echo of {char!r}")

        return _echo_samples(send, wait_for, lambda: channel.drain(0.05), warmup, samples)
    finally:
        ssm.terminate_session(SessionId=channel.session_id)
        channel.close()


@contextlib.contextmanager
def _forwarding(ssm: Any, instance_id: str, port: int) -> Iterator[tuple[Channel, int]]:
    """A port session to `port` with one smux stream open (the channel and the stream id), terminated after."""
    started = ssm.start_session(Target=instance_id, DocumentName="AWS-StartPortForwardingSession",
                                Parameters={"portNumber": [str(port)], "localPortNumber": ["0"]})
    channel = Channel(started)
    try:
        channel.until(lambda: channel.client.handler_ready, "the port handshake")
        if channel.client.session_type != "Port":
            raise RuntimeError(f"expected a Port session, got {channel.client.session_type}")
        stream_id, syn = channel.client.open_stream(time.time())
        channel.send(syn)
        yield channel, stream_id
    finally:
        ssm.terminate_session(SessionId=channel.session_id)
        channel.close()


def _download_forwarded(ssm: Any, instance_id: str, port: int, size: int) -> float:
    with _forwarding(ssm, instance_id, port) as (channel, stream_id):
        client = channel.client
        client.mux.keep_data = False  # count only: the direct client does not keep the bytes either
        began, cpu_began = time.perf_counter(), time.process_time()
        channel.send(client.write_stream(stream_id, f"{size}\n".encode(), time.time()))
        channel.until(lambda: client.mux.received_bytes[stream_id] >= size, "the download", timeout=300)
        elapsed = time.perf_counter() - began
        _CLIENT_CPU.append(time.process_time() - cpu_began)
        if client.mux.received_bytes[stream_id] != size:
            raise RuntimeError(f"received {client.mux.received_bytes[stream_id]} bytes, expected {size}")
        return elapsed


def _download_direct(port: int, size: int) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        began = time.perf_counter()
        sock.sendall(f"{size}\n".encode())
        received = 0
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
        elapsed = time.perf_counter() - began
    if received != size:
        raise RuntimeError(f"received {received} bytes, expected {size}")
    return elapsed


def _upload_forwarded(ssm: Any, instance_id: str, port: int, size: int) -> float:
    with _forwarding(ssm, instance_id, port) as (channel, stream_id):
        client = channel.client
        data = f"{size}\n".encode() + os.urandom(size)
        # Encode and mask every websocket frame before the timer: the Python client's cost is not the server's.
        frames = [frame_bytes(BINARY, f) for f in client.write_stream(stream_id, data, time.time())]
        received = client.mux.received[stream_id]
        sock = channel.ws.sock
        began = time.perf_counter()
        for i in range(0, len(frames), 16):
            sock.sendall(b"".join(frames[i:i + 16]))
            channel._one(0)  # read what is waiting (acks), and the 100 ms poll when due
            while readable(channel.ws, 0):
                channel._one(0)
        channel.until(lambda: b"DONE" in received, "the sink's DONE", timeout=300)
        elapsed = time.perf_counter() - began
        if f"DONE {size}\n".encode() not in received:
            raise RuntimeError(f"sink answered {bytes(received)!r}, expected DONE {size}")
        return elapsed


def _upload_direct(port: int, size: int) -> float:
    data = f"{size}\n".encode() + os.urandom(size)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        began = time.perf_counter()
        view = memoryview(data)
        for i in range(0, len(view), 1 << 16):
            sock.sendall(view[i:i + (1 << 16)])
        answer = b""
        while b"\n" not in answer:
            chunk = sock.recv(64)
            if not chunk:
                break
            answer += chunk
        elapsed = time.perf_counter() - began
    if answer.strip() != f"DONE {size}".encode():
        raise RuntimeError(f"sink answered {answer!r}, expected DONE {size}")
    return elapsed


def _register(endpoint: str, container_name: str) -> str:
    import json
    import urllib.request

    body = json.dumps({"backend": "docker", "container": container_name}).encode()
    request = urllib.request.Request(endpoint + "/_emulator/instances", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())["InstanceId"]


def _wait(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def measure_session_manager(endpoint: str, quick: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    try:
        import docker

        docker_client = docker.from_env()
        docker_client.ping()
        docker_client.images.get(IMAGE)
    except Exception as error:  # no engine, no socket, no permission, no image
        return {"skipped": f"no Docker engine or test image ({error})"}
    from bench.servers import free_port

    samples, warmup = 200, 20
    # Long enough that direct TCP (~3 GB/s here) runs for a tenth of a second, not a few milliseconds of slow start.
    size = (64 if quick else 256) << 20
    repetitions = 3 if quick else 5
    result: dict[str, Any] = {"image": IMAGE, "echo_samples": samples, "echo_warmup": warmup,
                              "bytes": size, "repetitions": repetitions,
                              "echo_baseline": "Docker SDK PTY exec socket (exec_create tty=True, socket=True)",
                              "echo_reference": "`docker exec -it` CLI under a Python pty.fork() terminal"}
    progress(f"  session_manager: starting a container of {IMAGE}")
    container = docker_client.containers.run(IMAGE, detach=True, network_mode="host",
                                              name=f"ssm-emulator-bench-{uuid.uuid4().hex[:8]}",
                                              labels={LABEL: "1"})
    try:
        ssm = ssm_client(endpoint)
        instance_id = _register(endpoint, container.name)
        _wait(lambda: ssm.get_connection_status(Target=instance_id)["Status"] == "connected", "connected")

        echo: dict[str, Any] = {}
        echo["session"] = _percentiles(_echo_session(ssm, instance_id, warmup, samples))
        echo["docker_sdk"] = _percentiles(_echo_sdk(docker_client, container, warmup, samples))
        if shutil.which("docker"):
            echo["docker_cli"] = _percentiles(_echo_cli(container.name, warmup, samples))
        echo["overhead_p50_ms"] = round(echo["session"]["p50_ms"] - echo["docker_sdk"]["p50_ms"], 3)
        result["echo"] = echo
        progress(f"  session_manager echo p50/p99 ms: session {echo['session']['p50_ms']:.2f}/"
                 f"{echo['session']['p99_ms']:.2f}, SDK exec {echo['docker_sdk']['p50_ms']:.2f}/"
                 f"{echo['docker_sdk']['p99_ms']:.2f}"
                 + (f", CLI exec -it {echo['docker_cli']['p50_ms']:.2f}/{echo['docker_cli']['p99_ms']:.2f}"
                    if "docker_cli" in echo else ""))

        sink, source = free_port(), free_port()
        container.exec_run(["perl", "-e", SINK, str(sink)], detach=True)
        container.exec_run(["perl", "-e", SOURCE, str(source)], detach=True)
        _wait(lambda: _listening(sink) and _listening(source), "the sink and the source to listen", 15)
        mb = size / 1e6

        _download_direct(source, 1 << 20)
        _download_forwarded(ssm, instance_id, source, 1 << 20)  # warm-up
        _CLIENT_CPU.clear()
        direct, forwarded, relayed = [], [], []
        for _ in range(repetitions):  # interleaved, so a machine that slows down mid-run slows all three alike
            direct.append(_download_direct(source, size))
            forwarded.append(_download_forwarded(ssm, instance_id, source, size))
            relayed.append(digest_relay.download_seconds(source, size))
        download = {"direct_mb_s": round(mb / statistics.median(direct), 1),
                    "forwarded_mb_s": round(mb / statistics.median(forwarded), 1),
                    "forwarded_best_mb_s": round(mb / min(forwarded), 1),
                    # how busy the bench's own client was: near 1.0 means the client limits it
                    "client_cpu_share": round(sum(_CLIENT_CPU) / sum(forwarded), 2)}
        download["share"] = round(download["forwarded_mb_s"] / download["direct_mb_s"], 4)
        download["digest_relay_mb_s"] = round(mb / statistics.median(relayed), 1)
        download["digest_relay_share"] = round(download["digest_relay_mb_s"] / download["direct_mb_s"], 4)
        result["download"] = download
        progress(f"  session_manager download: forwarded {download['forwarded_mb_s']:.1f} MB/s, "
                 f"direct TCP {download['direct_mb_s']:.1f} MB/s ({download['share']:.1%}); the bare digest "
                 f"relay {download['digest_relay_mb_s']:.1f} MB/s ({download['digest_relay_share']:.1%})")

        upload_size = 8 << 20  # in 1 KiB messages: more would only make the run long
        _upload_forwarded(ssm, instance_id, sink, 1 << 20)  # warm-up
        direct = [_upload_direct(sink, upload_size) for _ in range(repetitions)]
        forwarded = [_upload_forwarded(ssm, instance_id, sink, upload_size) for _ in range(repetitions)]
        upload = {"bytes": upload_size, "direct_mb_s": round(upload_size / 1e6 / statistics.median(direct), 1),
                  "forwarded_mb_s": round(upload_size / 1e6 / statistics.median(forwarded), 2)}
        upload["share"] = round(upload["forwarded_mb_s"] / upload["direct_mb_s"], 4)
        result["upload"] = upload
        progress(f"  session_manager upload (1 KiB messages): forwarded {upload['forwarded_mb_s']:.1f} MB/s, "
                 f"direct TCP {upload['direct_mb_s']:.1f} MB/s")
    finally:
        progress("  session_manager: removing the container")
        container.remove(force=True)
        docker_client.close()
    return result


def summary_lines(measured: dict[str, Any]) -> list[dict[str, Any]]:
    echo, download = measured["echo"], measured["download"]
    return [
        {"name": "session_manager: keystroke echo p50 − direct PTY exec (docker SDK) p50",
         "value": echo["overhead_p50_ms"], "shown": f"{echo['overhead_p50_ms']:+.2f} ms",
         "target": f"≤ {TARGET_ECHO_OVERHEAD_MS:g} ms",
         "verdict": "PASS" if echo["overhead_p50_ms"] <= TARGET_ECHO_OVERHEAD_MS else "FAIL"},
        {"name": "session_manager: forwarded-port download ÷ direct TCP",
         "value": download["share"], "shown": f"{download['share']:.1%}",
         "target": f"≥ {TARGET_THROUGHPUT_SHARE:.0%}",
         "verdict": "PASS" if download["share"] >= TARGET_THROUGHPUT_SHARE else "FAIL"},
        {"name": "session_manager: bare digest relay download ÷ direct TCP (the most any forwarding here reaches)",
         "value": download["digest_relay_share"], "shown": f"{download['digest_relay_share']:.1%}",
         "target": "", "verdict": ""},
    ]


def render_table(measured: dict[str, Any]) -> list[str]:
    echo = measured["echo"]
    out = [f"\nSession Manager keystroke echo: ms from one typed character to its echo in bash, "
           f"{measured['echo_samples']} samples after {measured['echo_warmup']} warm-up.\n",
           "| Path | p50 | p99 | min |", "|---|---:|---:|---:|"]
    labels = {"session": "session shell (emulator data channel)",
              "docker_sdk": "direct PTY exec, docker SDK socket",
              "docker_cli": "direct `docker exec -it` (CLI under a pty)"}
    for key, label in labels.items():
        if key in echo:
            row = echo[key]
            out.append(f"| {label} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['min_ms']:.2f} |")
    download, upload = measured["download"], measured["upload"]
    out.append(f"\nPort forwarding, median of {measured['repetitions']}: download of {measured['bytes'] >> 20} MiB "
               f"from a service in the container {download['forwarded_mb_s']:,.1f} MB/s through a session (best "
               f"{download['forwarded_best_mb_s']:,.1f}; the bench client, which checks every digest and acks every "
               f"message as the plugin does, was busy {download['client_cpu_share']:.0%} of that time) against "
               f"{download['direct_mb_s']:,.0f} MB/s over direct TCP and {download['digest_relay_mb_s']:,.0f} MB/s "
               f"({download['digest_relay_share']:.0%} of direct) through the bare digest relay "
               f"(bench/digest_relay.py: only the SHA-256 the plugin demands, hashed and checked, no protocol); "
               f"upload of {upload['bytes'] >> 20} MiB in 1 KiB "
               f"messages {upload['forwarded_mb_s']:,.1f} MB/s against {upload['direct_mb_s']:,.0f} MB/s direct (the "
               f"plugin sleeps 1 ms after each 1 KiB message, so it cannot send faster than about 1 MB/s).")
    return out
