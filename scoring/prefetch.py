"""A chunk's features read ahead by a thread of its own, while the caller scores what it has.

A batch chunk alternates between waiting on PostgreSQL (the feature query, the COPY of the
scores) and working in Python (prediction, reasons, the COPY text). Split into parts, the
waits overlap the work: a reader thread, on its own database connection, runs the feature
queries of every part in turn while the caller predicts and streams the parts already read.
On a worker whose database is another machine, the worker's cores would otherwise sit idle
during every query; on one machine the two processes use two cores.

The reader's connection sees only committed rows, so the caller uses it only outside a
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
# database on the same machine) 2, 3 and 4 parts ran equally fast; 2 used the least CPU.
PARTS = 2


def id_parts(lo: int, hi: int, parts: int | None = None) -> list[tuple[int, int]]:
    """[lo, hi] split into up to `parts` (default PARTS) contiguous id ranges covering it
    exactly once."""
    parts = parts or PARTS
    size = max((hi - lo + 1 + parts - 1) // parts, 1)
    return [(start, min(start + size - 1, hi)) for start in range(lo, hi + 1, size)]


def features_read_ahead(*, client_id: int, parts: Sequence[tuple[int, int]], as_of: dt.date,
                        segment: str) -> Iterator[dict[str, np.ndarray]]:
    """Each part's `debtor_features`, in order, read by a thread started here.

    The thread reads every part as fast as the database answers (a chunk's features are a
    few MB at most) and closes its connection when done. An error there is raised here, at
    the part that failed. Leaving early waits for the thread to finish its reads.
    """
    read: queue.SimpleQueue[dict[str, np.ndarray] | BaseException] = queue.SimpleQueue()

    def reader() -> None:
        try:
            # One session for all parts, its query settings applied once.
            with connection.cursor() as cursor:
                features_session_prepare(cursor)
                for lo, hi in parts:
                    read.put(debtor_features(client_id=client_id, lo=lo, hi=hi, as_of=as_of,
                                             segment=segment, cursor=cursor))
        except BaseException as error:  # handed to the caller, raised there
            read.put(error)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=reader, name="scoring-features", daemon=True)
    thread.start()
    try:
        for _part in parts:
            item = read.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        thread.join()
