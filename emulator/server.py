"""Serving the app: gunicorn, one worker process with a pool of threads.

One worker keeps all state, schedules and session channels in one process; threads give
concurrency (SQLite and the GIL serialise the rest). The app is built inside the worker, after
the fork, so background threads belong to the process that serves.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from gunicorn.app.base import BaseApplication

from emulator import __version__
from emulator.config import Config
from emulator.console import console_url

log = logging.getLogger("ssm_emulator")


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: Config) -> None:
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        c = self.config
        settings: dict[str, Any] = {
            "bind": [_bind(c.host, c.port)],
            "workers": 1,
            "worker_class": "gthread",
            "threads": c.threads,
            "loglevel": c.log_level,
            "errorlog": "-",
            "accesslog": "-" if c.log_level == "debug" else None,
            "timeout": 120,
            "graceful_timeout": 5,
            "keepalive": 30,
            "proc_name": "ssm-emulator",
            "when_ready": self._when_ready,
            "post_worker_init": _stop_app_on_exit_signals,
        }
        if c.tls_cert is not None:
            settings.update(certfile=str(c.tls_cert), keyfile=str(c.tls_key))
        for key, value in settings.items():
            self.cfg.set(key, value)

    def _when_ready(self, server: Any) -> None:
        sockets = [str(listener) for listener in server.LISTENERS]
        data_dir = self.config.resolved_data_dir
        print(
            f"ssm-emulator {__version__} serving AWS SSM on {', '.join(sockets)}"
            f" (state: {data_dir or 'in memory'})",
            file=sys.stderr,
            flush=True,
        )
        print(f"ssm-emulator console: {console_url(self.config)}", file=sys.stderr, flush=True)

    def load(self) -> Any:
        from emulator.app import create_app

        return create_app(self.config)


def _stop_app_on_exit_signals(worker: Any) -> None:
    """Let the app end what clients hold open (session channels) before the worker's own exit handling, which
    would otherwise wait out the graceful timeout on open websockets and be killed."""
    from emulator.app import STOP_EXTENSION

    stop = worker.wsgi.extensions[STOP_EXTENSION]
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        original = signal.getsignal(signum)

        def handler(received: int, frame: Any, original: Any = original) -> None:
            # Not on the main thread: ending sessions takes locks the interrupted code may hold.
            stopping = threading.Thread(target=stop, name="stop", daemon=True)
            stopping.start()
            stopping.join()
            if callable(original):
                original(received, frame)

        signal.signal(signum, handler)


def serve(config: Config) -> None:
    """Serve until interrupted (SIGINT/SIGTERM)."""
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _GunicornServer(config).run()
