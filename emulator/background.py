"""Work that happens outside requests: periodic jobs, a bounded pool for short tasks, and worker pools for
long ones.

Started by the app factory, never at import; stopped when the app shuts down. `stop` ends and joins every
thread made here, so a server started and stopped in-process (emulator.serve) leaves none behind.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger("ssm_emulator.background")

STOP_SECONDS = 5.0


class Background:
    def __init__(self, max_workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssm-work")
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._worker_pools: list[WorkerPool] = []

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

    def workers(self, size: int, name: str) -> WorkerPool:
        """A WorkerPool of `size` threads, stopped with the rest by `stop`."""
        pool = WorkerPool(size, name)
        self._worker_pools.append(pool)
        return pool

    def stop(self, timeout: float = STOP_SECONDS, wait: bool = True) -> None:
        """End every thread made here, waiting at most about `timeout` seconds in all: a task still running
        then (a long command) keeps its daemon thread, which ends with the process. `wait=False` (at exit)
        does not wait for tasks at all: the process ending ends them, and their state is durable."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for pool in self._worker_pools:
            pool.stop(max(0.0, deadline - time.monotonic()) if wait else 0.0)
        if not wait:
            self._pool.shutdown(wait=False, cancel_futures=True)
            return
        # shutdown(wait=True) has no timeout of its own: wait for it on a helper thread, bounded.
        closing = threading.Thread(
            target=self._pool.shutdown, kwargs={"wait": True, "cancel_futures": True}, name="ssm-work-stop",
            daemon=True,
        )
        closing.start()
        closing.join(timeout=max(0.0, deadline - time.monotonic()))
        if closing.is_alive():
            log.warning("background tasks still running after %.1f s; left to end with the process", timeout)


_STOP = object()  # the task that ends a WorkerPool thread


class WorkerPool:
    """A fixed set of daemon threads taking tasks from a queue, for engines whose tasks last long (a command
    invocation, an Automation execution). Daemons, because such a task must not hold the emulator's exit: its
    state is durable and the engine's restart policy takes it up again."""

    def __init__(self, size: int, name: str) -> None:
        self._tasks: queue.SimpleQueue[tuple[Callable[..., object], tuple[object, ...]] | object] = (
            queue.SimpleQueue()
        )
        self._name = name
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        self._tasks.put((fn, args))

    def stop(self, timeout: float) -> None:
        """Let each thread end after the tasks queued before this call; wait at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        for _ in self._threads:
            self._tasks.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is _STOP:
                return
            fn, args = task  # type: ignore[misc]
            try:
                fn(*args)
            except Exception:
                log.exception("a %s task failed", self._name)
