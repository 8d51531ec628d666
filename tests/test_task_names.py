"""One naming scheme for every Celery task: `<app>.<function>`, the function's name ending in
`_task` (`caring.plan_task`, `scoring.scoring_run_task`; `fido.` for the project's own
heartbeat in config/). A name is what queued messages and beat's database rows carry, so a
scheme kept by hand drifts; this test keeps it, and checks beat schedules only names that exist.
"""

from __future__ import annotations

from django.conf import settings

from config.celery import app

PROJECT_PREFIX = {"config": "fido"}


def _project_tasks() -> dict[str, object]:
    app.loader.import_default_modules()  # autodiscovery: every installed app's tasks module
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_registered_task_is_named_app_dot_function_task():
    tasks = _project_tasks()
    assert "caring.plan_task" in tasks, "autodiscovery found no project task"
    wrong = []
    for name, task in sorted(tasks.items()):
        run = task.run  # type: ignore[attr-defined]
        top = run.__module__.split(".")[0]
        expected = f"{PROJECT_PREFIX.get(top, top)}.{run.__name__}"
        if name != expected or not run.__name__.endswith("_task"):
            wrong.append(f"{name} (defined as {run.__module__}.{run.__name__}; "
                         f"expected {expected}, a function ending in _task)")
    assert wrong == []


def test_every_beat_entry_names_a_registered_task():
    tasks = _project_tasks()
    missing = {entry: spec["task"] for entry, spec in settings.CELERY_BEAT_SCHEDULE.items()
               if spec["task"] not in tasks}
    assert missing == {}
