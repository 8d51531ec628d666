"""Settings of bench/recovery_agents.py's gunicorn server: production settings with the
bench-only URL conf (bench/recovery_urls.py). Never used outside the benchmark."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.recovery_urls"
