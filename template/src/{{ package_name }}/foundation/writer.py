"""The group-commit writer: one thread commits the effects of many requests in one transaction.

A request hands its unit of work (its rows and audit records) to ``submit`` and waits for the
returned future before it answers, so nothing is acknowledged that is not durable. The writer
thread takes everything queued while the previous commit ran, up to ``max_batch`` units, and
commits them together: under load one commit (one fsync, one chain lock) serves many requests;
alone, a request waits for its own commit only.

A batch that fails is retried one unit at a time, so one bad unit fails alone. ``submit`` is a
plain function: code that must not be cancelled (a request's ``finally``) can hand over its work
without awaiting anything. ``close`` commits everything queued before it returns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from ..observability.logging import get_logger

log = get_logger(__name__)

_STOP = object()


class WriterClosedError(RuntimeError):
    """The writer was closed; it accepts no more work."""


class GroupCommitWriter:
    """Commit units of work in batches on one background thread."""

    def __init__(
        self, commit: Callable[[Sequence[Any]], None], *, max_batch: int = 256, name: str = "writer"
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Any, Future[None]] | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.batches = 0  # commits made, for tests and metrics

    def submit(self, work: object) -> Future[None]:
        """Queue ``work``; the future resolves once it is committed (or with the commit's error)."""
        future: Future[None] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosedError("the writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((work, future))
        return future

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop accepting work, commit what is queued, and stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("writer.close_timeout", writer=self._name, timeout_s=timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[tuple[Any, Future[None]]] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stopping = True
                else:
                    batch.append(item)  # type: ignore[arg-type]
                if stopping or len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)

    def _write(self, batch: list[tuple[Any, Future[None]]]) -> None:
        try:
            self._commit([work for work, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                log.error("writer.commit_failed", writer=self._name, error=type(exc).__name__)
                batch[0][1].set_exception(exc)
                return
            for item in batch:  # one bad unit must not fail the others
                self._write([item])
            return
        self.batches += 1
        for _, future in batch:
            future.set_result(None)
