"""Work that happens outside requests: periodic jobs and a bounded pool for long tasks.

Started by the app factory, never at import; stopped when the app shuts down.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger("ssm_emulator.background")


class Background:
    def __init__(self, max_workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssm-work")
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def every(self, seconds: float, job: Callable[[], Any], name: str) -> None:
        """Run `job` every `seconds` on its own thread; an exception is logged, not fatal."""

        def loop() -> None:
            while not self._stop.wait(seconds):
                try:
                    job()
                except Exception:
                    log.exception("periodic job %s failed", name)

        thread = threading.Thread(target=loop, name=f"ssm-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self._pool.submit(fn, *args)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
