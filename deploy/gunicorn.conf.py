"""gunicorn settings for Casework (``gunicorn -c deploy/gunicorn.conf.py 'casework:create_app()'``).

Read by the systemd unit (deploy/systemd/casework.service) and by the production smoke test
(tests/deploy/test_production_install.py), so what is tested is what is deployed. Each setting
can be overridden from the environment file: CASEWORK_BIND, CASEWORK_WORKERS, CASEWORK_THREADS.
"""

import os

bind = os.environ.get("CASEWORK_BIND", "127.0.0.1:8000")  # loopback: nginx is the only client
workers = int(os.environ.get("CASEWORK_WORKERS", "2"))  # one per core is plenty (I/O bound)
worker_class = "gthread"
threads = int(os.environ.get("CASEWORK_THREADS", "4"))
timeout = 120  # reports and imports take seconds, never minutes
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then (memory), staggered
max_requests_jitter = 200
limit_request_line = 8190
limit_request_field_size = 8190
forwarded_allow_ips = "127.0.0.1"  # only nginx on this host may set X-Forwarded-*

# Request logs are the app's JSON lines (casework.requests): no access log with raw URLs.
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json_line": {"format": "%(message)s"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "requests": {"class": "logging.StreamHandler", "formatter": "json_line",
                     "stream": "ext://sys.stdout"},
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "casework.requests": {"handlers": ["requests"], "level": "INFO", "propagate": False},
        "casework": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}


def on_starting(server):  # gunicorn hook
    """Several workers share one metrics view (prometheus-client's multiprocess mode)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for name in os.listdir(folder):  # values of a previous run are not this run's
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))


def child_exit(server, worker):  # gunicorn hook
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
