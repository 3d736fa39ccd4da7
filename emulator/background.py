"""Work that happens outside requests: periodic jobs and a bounded pool for long tasks.

Started by the app factory, never at import; stopped when the app shuts down.
"""
from __future__ import annotations

import logging
import queue
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


class WorkerPool:
    """A fixed set of daemon threads taking tasks from a queue, for engines whose tasks last long (a command
    invocation, an Automation execution). Daemons, because such a task must not hold the emulator's exit: its
    state is durable and the engine's restart policy takes it up again."""

    def __init__(self, size: int, name: str) -> None:
        self._tasks: queue.SimpleQueue[tuple[Callable[..., object], tuple[object, ...]]] = queue.SimpleQueue()
        self._name = name
        for i in range(size):
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True).start()

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        self._tasks.put((fn, args))

    def _work(self) -> None:
        while True:
            fn, args = self._tasks.get()
            try:
                fn(*args)
            except Exception:
                log.exception("a %s task failed", self._name)
