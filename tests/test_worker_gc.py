"""A Celery worker process puts what it loaded at start out of the garbage collector's reach
(config/celery.py): a full collection then walks only what was made since."""

import gc

from celery.signals import worker_init, worker_process_init

from config.celery import worker_gc_freeze


def test_a_worker_freezes_what_it_loaded_at_start() -> None:
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        worker_gc_freeze()
        # Django, scikit-learn and the apps are loaded by now: far more than a few objects.
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


def test_both_worker_start_signals_call_it() -> None:
    for signal in (worker_init, worker_process_init):
        receivers = [ref() for _key, ref in signal.receivers]
        assert worker_gc_freeze in receivers
