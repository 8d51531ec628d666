"""Thin Celery adapters over credit.services; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from credit import services


@shared_task(name="credit.credit_reminders_send_task", ignore_result=True, time_limit=600,
             soft_time_limit=540)
def credit_reminders_send_task() -> int:
    """Beat, every 15 minutes: one reminder per request per service-time period."""
    return services.credit_reminders_send()


@shared_task(name="credit.credit_reviews_open_task", ignore_result=True, time_limit=1800,
             soft_time_limit=1700)
def credit_reviews_open_task() -> int:
    """Beat, every 6 hours: reviews by review date and by a two-band score drop."""
    return len(services.credit_reviews_open())
