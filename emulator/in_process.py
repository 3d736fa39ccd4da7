"""The emulator served from inside another Python process, for test suites and scripts:

    import emulator

    with emulator.serve() as url:          # a free loopback port, state in memory
        boto3.client("ssm", endpoint_url=url, ...)

The server is werkzeug's threaded WSGI server on a background thread (gunicorn forks workers, which a host
process cannot have done to it); the app is the same `create_app` the `ssm-emulator` command serves, so
Session Manager's websockets work too. Stopping ends everything the server started: request threads (open
keep-alive connections are shut down), the app's background threads and worker pools, the containers an
ephemeral emulator started, and the listening socket, so a suite can start and stop it as often as it likes.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, select_address_family

from emulator.config import Config, validate

log = logging.getLogger("ssm_emulator.http")

STOP_SECONDS = 5.0


class EmulatorServer:
    """One emulator served on a background thread; `start` returns its URL, `stop` ends it.

    `config` is the base (defaults when None); the keywords override it: any Config field (`ping_interval`,
    `default_account_id`, `tls_cert`...). State is in memory unless `data_dir` is given or
    `ephemeral=False`, the opposite of the command's default, because a test wants a clean emulator.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Path | str | None = None,
        ephemeral: bool | None = None,
        **settings: Any,
    ) -> None:
        if ephemeral is None:
            ephemeral = data_dir is None and (config is None or config.data_dir is None)
        base = config or Config()
        self.config = validate(
            base.with_overrides(
                host=host, port=port, data_dir=Path(data_dir) if data_dir is not None else None,
                ephemeral=ephemeral, **settings,
            )
        )
        self.app: Any = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where clients on this machine reach it (e.g. http://127.0.0.1:41231)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self.config.local_url

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Bind, build the app, serve; the URL. OSError if the port is taken."""
        if self._server is not None:
            return self.url
        from emulator.app import create_app

        listener = _listen(self.config.host, self.config.port)
        try:
            # Port 0 means "any free one": the app must know the real one (StartSession's StreamUrl has it).
            self.config = self.config.with_overrides(port=listener.getsockname()[1])
            self.app = create_app(self.config)
            try:
                self._server = _Server(self.config, self.app, listener.fileno())
            except BaseException:
                _close_app(self.app, STOP_SECONDS)
                self.app = None
                raise
        finally:
            listener.close()  # the server serves a duplicate of it
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="ssm-emulator-http",
            daemon=True,
        )
        self._thread.start()
        log.info("ssm-emulator serving AWS SSM on %s (state: %s)", self.url,
                 self.config.resolved_data_dir or "in memory")
        return self.url

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop serving and end every thread and resource of the server; at most about `timeout` seconds
        for what is still running (a request, a command), which is then left to end on its own."""
        server, thread, app = self._server, self._thread, self.app
        if server is None:
            return
        self._server, self._thread, self.app = None, None, None
        deadline = time.monotonic() + timeout
        server.shutdown()  # no new connections; serve_forever returns and closes the listening socket
        if thread is not None:
            thread.join()
        # Session channels first, while their connections are open: clients are told the channel closed.
        from emulator.app import STOP_EXTENSION

        app.extensions[STOP_EXTENSION](min(timeout, 3.0))
        server.end_connections(max(0.0, deadline - time.monotonic()))
        _close_app(app, max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def serve(
    config: Config | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    data_dir: Path | str | None = None,
    ephemeral: bool | None = None,
    **settings: Any,
) -> Iterator[str]:
    """Serve the emulator for the duration of a `with` block, which receives its URL (see EmulatorServer)."""
    server = EmulatorServer(config, host=host, port=port, data_dir=data_dir, ephemeral=ephemeral, **settings)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _close_app(app: Any, timeout: float) -> None:
    from emulator.app import CLOSE_EXTENSION

    app.extensions[CLOSE_EXTENSION](timeout)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a taken port raises OSError (werkzeug's own bind exits the
    process instead)."""
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener


class _RequestHandler(WSGIRequestHandler):
    # Keep-alive, as the command's gunicorn does: SDK clients reuse their connections.
    protocol_version = "HTTP/1.1"
    debug_log = False

    def log(self, type: str, message: str, *args: Any) -> None:
        # werkzeug's own logging would configure its global logger; requests go to ours (debug level).
        if type == "error":
            log.warning("%s %s", self.address_string(), message % args if args else message)
        elif self.debug_log:
            log.debug("%s %s", self.address_string(), message % args if args else message)


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server that knows its connections: `end_connections` shuts the open ones down (an
    idle keep-alive connection would otherwise hold its thread until the client closes it) and joins their
    threads, with a deadline, where socketserver's own join at close has none."""

    block_on_close = False

    def __init__(self, config: Config, app: Any, fd: int) -> None:
        handler = type("RequestHandler", (_RequestHandler,), {"debug_log": config.log_level == "debug"})
        ssl_context = (str(config.tls_cert), str(config.tls_key)) if config.tls_cert is not None else None
        super().__init__(config.host, config.port, app, handler=handler, ssl_context=ssl_context, fd=fd)
        self._lock = threading.Lock()
        self._open: dict[Any, threading.Thread] = {}
        self._stopping = False

    def process_request(self, request: Any, client_address: Any) -> None:
        # Recorded before its thread starts, so end_connections sees every connection accepted.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="ssm-emulator-request",
            daemon=True,
        )
        with self._lock:
            self._open[request] = thread
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._open.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self._stopping:  # connections we shut down ourselves end with errors nobody needs to see
            log.debug("connection from %s ended while stopping", client_address, exc_info=True)
            return
        log.exception("error serving %s", client_address)

    def end_connections(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            self._stopping = True
            open_now = dict(self._open)
        for request in open_now:
            try:
                request.shutdown(socket.SHUT_RDWR)
            except OSError:  # closed by its thread meanwhile
                pass
        for thread in open_now.values():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = len(self._open)
        if left:
            log.warning("%d requests still running after stop; left to end on their own", left)
