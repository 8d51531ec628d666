"""A chunk's features read ahead by reader threads, while the caller scores what it has.

A batch chunk alternates between waiting on PostgreSQL (the feature queries, the COPY of the
scores) and working in Python (prediction, reasons, the COPY text). Split into parts, the
waits overlap the work: the process's reader threads read the parts in order, two at a time,
while the caller predicts and streams the parts already read into its COPY. On a worker whose
database is another machine, the worker's cores would otherwise sit idle during every query;
on one machine the processes share its cores.

The readers live as long as the worker process and keep their connections between parts and
chunks: a new PostgreSQL session costs a backend start and a cold catalog cache, about 9 ms
of server time each, more than reading a part. A reader idle for IDLE_SECONDS closes its
connection; `features_readers_close` stops them (worker shutdown, tests). A worker holds
1 + READERS connections while it scores.

The readers' connections see only committed rows, so the caller uses them only outside a
transaction of its own (see `scoring_chunk_score`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait

import numpy as np
from django.db import connection, connections

from scoring.features import debtor_features, features_session_prepare

# Reader threads per worker process: two keep two parts in flight, the next ones ready by the
# time the caller has scored the current one.
READERS = 2
# Debtor ids per part: each part plans its queries, calls the model and ranks its reasons
# once, about 4 ms of fixed cost in all (parts of 2,500 cost 4% more wall time than these).
# The first part of a chunk is half as large: the caller waits for it before it can begin.
PART_SIZE = 5000
IDLE_SECONDS = 60

_Job = tuple[Future, Callable[[], object]]


def id_parts(lo: int, hi: int) -> list[tuple[int, int]]:
    """[lo, hi] split into contiguous id ranges covering it exactly once, in order: a first
    range of PART_SIZE // 2 ids, then ranges of PART_SIZE."""
    first = max(PART_SIZE // 2, 1)
    ranges = [(lo, min(lo + first - 1, hi))]
    ranges += [(start, min(start + PART_SIZE - 1, hi))
               for start in range(lo + first, hi + 1, PART_SIZE)]
    return ranges


class _ReaderPool:
    """This process's reader threads; each keeps its own database connection between jobs."""

    def __init__(self, size: int) -> None:
        self.pid = os.getpid()
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._serve, name="scoring-features",
                                         daemon=True) for _ in range(size)]
        for thread in self.threads:
            thread.start()

    def submit(self, work: Callable[[], object]) -> Future:
        future: Future = Future()
        self.jobs.put((future, work))
        return future

    def close(self) -> None:
        for _thread in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()

    def _serve(self) -> None:
        try:
            while True:
                try:
                    job = self.jobs.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    connections.close_all()  # idle: the session goes back to the server
                    job = self.jobs.get()
                if job is None:
                    return
                future, work = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(work())
                except BaseException as error:  # handed to the caller, raised there
                    future.set_exception(error)
        finally:
            connections.close_all()  # this thread's connections only


_pool: _ReaderPool | None = None
_pool_lock = threading.Lock()


def _readers() -> _ReaderPool:
    """The process's readers, started on first use (and again in a forked child, which
    inherits the parent's pool object but none of its threads)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = _ReaderPool(READERS)
        return _pool


def features_readers_close() -> None:
    """Stop this process's readers and close their connections; the next read starts new
    ones."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None and pool.pid == os.getpid():
        pool.close()


def _part_read(*, client_id: int, lo: int, hi: int, as_of: dt.date,
               segment: str) -> dict[str, np.ndarray]:
    # A connection broken, or older than CONN_MAX_AGE, is replaced before the read.
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        features_session_prepare(cursor)
        return debtor_features(client_id=client_id, lo=lo, hi=hi, as_of=as_of,
                               segment=segment, cursor=cursor)


class PartsReadAhead(Iterator[dict[str, np.ndarray]]):
    """The parts' features in order, as the readers finish them; `close` cancels the parts
    not begun and waits for those being read (call it when leaving early)."""

    def __init__(self, futures: list[Future]) -> None:
        self._futures = futures
        self._taken = 0

    def __next__(self) -> dict[str, np.ndarray]:
        if self._taken == len(self._futures):
            raise StopIteration
        future = self._futures[self._taken]
        self._taken += 1
        return future.result()  # a reader's error is raised here, at its part

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
        wait(self._futures)


def features_read_ahead(*, client_id: int, parts: Sequence[tuple[int, int]], as_of: dt.date,
                        segment: str) -> PartsReadAhead:
    """Each part's `debtor_features`, in order, read by the process's reader threads.

    Every part is queued at once, before this returns: the readers take them in order,
    READERS at a time, while the caller prepares (loads its model) and then scores them.
    """
    pool = _readers()
    return PartsReadAhead([
        pool.submit(functools.partial(_part_read, client_id=client_id, lo=lo, hi=hi,
                                      as_of=as_of, segment=segment))
        for lo, hi in parts])
