"""The app for gunicorn in the benchmarks: ``gunicorn 'serve:app' --chdir bench``.

Configured from BENCH_DATABASE_URL and BENCH_INSTANCE (the generated database and its key
file); login rate limits are lifted for the simulated users. ``casework`` comes from
PYTHONPATH, so the baseline tree can be served the same way.
"""

from __future__ import annotations

import os

from casework import create_app

_instance = os.environ["BENCH_INSTANCE"]
app = create_app({
    "CASEWORK_ENV": "development", "CASEWORK_DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
    "CASEWORK_INSTANCE_PATH": _instance,
    "CASEWORK_KEY_FILE": os.path.join(_instance, "casework-keys.json"),
    "CASEWORK_SECRET_KEY": "bench-" + "x" * 40,
    "CASEWORK_LOGIN_RATE_LIMIT": "100000 per minute",
    "CASEWORK_SEARCH_RATE_LIMIT": "100000 per minute",
})
