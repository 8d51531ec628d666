"""A chunk's features read ahead by threads of their own, while the caller scores what it has.

A batch chunk alternates between waiting on PostgreSQL (the feature query, the COPY of the
scores) and working in Python (prediction, reasons, the COPY text). Split into parts, the
waits overlap the work: reader threads, one per part on a connection of its own, run the
parts' feature queries at once while the caller predicts and streams the parts already read.
On a worker whose database is another machine, the worker's cores would otherwise sit idle
during every query; on one machine the processes share its cores. A worker running a chunk
holds 1 + PARTS connections while it reads.

The readers' connections see only committed rows, so the caller uses them only outside a
transaction of its own (see `scoring_chunk_score`).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterator, Sequence

import numpy as np
from django.db import connection, connections

from scoring.features import debtor_features, features_session_prepare

# Parts per chunk: more parts overlap more, but each part plans its queries and calls the
# model again (a booster's fixed cost per call is about 9 ms). On the benchmark (2 cores,
# database on the same machine) 2 to 4 parts ran equally fast; 2 used the least CPU.
PARTS = 2


def id_parts(lo: int, hi: int, parts: int | None = None) -> list[tuple[int, int]]:
    """[lo, hi] split into up to `parts` (default PARTS) contiguous id ranges covering it
    exactly once."""
    parts = parts or PARTS
    size = max((hi - lo + 1 + parts - 1) // parts, 1)
    return [(start, min(start + size - 1, hi)) for start in range(lo, hi + 1, size)]


def features_read_ahead(*, client_id: int, parts: Sequence[tuple[int, int]], as_of: dt.date,
                        segment: str) -> Iterator[dict[str, np.ndarray]]:
    """Each part's `debtor_features`, in order, each read by a thread of its own.

    The parts are read at the same time, on one connection each, so the first part is ready
    after half the wait of a whole chunk and the next ones by the time the caller has scored
    it. Each thread closes its connection when done. An error in one is raised here, at the
    part that failed. Leaving early waits for the threads to finish their reads.
    """
    slots: list[queue.SimpleQueue[dict[str, np.ndarray] | BaseException]] = [
        queue.SimpleQueue() for _part in parts]

    def reader(lo: int, hi: int, slot: queue.SimpleQueue) -> None:  # type: ignore[type-arg]
        try:
            with connection.cursor() as cursor:
                features_session_prepare(cursor)
                slot.put(debtor_features(client_id=client_id, lo=lo, hi=hi, as_of=as_of,
                                         segment=segment, cursor=cursor))
        except BaseException as error:  # handed to the caller, raised there
            slot.put(error)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=reader, args=(lo, hi, slot), name="scoring-features",
                                daemon=True) for (lo, hi), slot in zip(parts, slots, strict=True)]
    for thread in threads:
        thread.start()
    try:
        for slot in slots:
            item = slot.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for thread in threads:
            thread.join()
