"""Every figure of issue 14 in one run, as ratios against a baseline measured in the same run.

    .venv/bin/python bench/run_all.py \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/casework_bench_perf \\
        --sqlite-url sqlite:////tmp/perfbench/bench.sqlite3 --instance /tmp/perfbench/inst \\
        --baseline 0794ec3 [--generate] [--quick]
    make bench          # the same, with the defaults below

For each database (fill it with ``bench/generate.py`` first, or pass ``--generate`` for a fresh
one; same ``--instance``: the key file) and for each code tree (``--baseline``: a git revision
unpacked with ``git archive``; and this checkout), side by side:

* cold reads (``bench/cold_reads.py``): first read of a period, a read after 500 writes, the
  trend on an empty store, against the direct count from the case tables;
* the case list under ``gunicorn -w 2 -k gthread --threads 4`` with ``wrk``, as a ratio of
  ``/healthz`` on the same server;
* 50 simulated users (caseworkers, supervisors, partners; mixed pages; think time 0.5-1.5 s)
  for ``--seconds`` (60): requests, errors, p50, p95;
* field encryption (``bench/crypto_fields.py`` of each tree): encrypted / clear.

Timings on a shared machine drift: read the ratios, and the host load printed first.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
PERIOD = "2025H2"
TARGETS = {"first_read_ms": 1500, "trend_empty_store_ms": 3000, "read_after_writes_ms": 300,
           "list_ratio": 0.40, "p95_ms": 300, "crypto_ratio": 1.5}


def _env(tree: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), **extra}


def _unpack(revision: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="casework-baseline-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _generate(url: str, instance: str, cases: int, referrals: int) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    else:
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    subprocess.run([PYTHON, str(HERE / "generate.py"), "--database-url", url, "--instance",
                    instance, "--cases", str(cases), "--referrals", str(referrals)],
                   env=_env(ROOT), check=True, stdout=subprocess.DEVNULL)


def cold_reads(tree: Path, url: str, instance: str) -> dict[str, float]:
    output = subprocess.run([PYTHON, str(HERE / "cold_reads.py"), "--database-url", url,
                             "--instance", instance, "--period", PERIOD],
                            env=_env(tree), capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def crypto(tree: Path, url: str | None) -> float:
    command = [PYTHON, str(tree / "bench" / "crypto_fields.py"), "--records", "500"]
    if url and url.startswith("postgresql"):
        # Never the generated database: crypto_fields creates and drops its own tables.
        scratch = url.rsplit("/", 1)[0] + "/casework_bench_crypto_scratch"
        admin = url.rsplit("/", 1)[0].replace("+psycopg", "") + "/postgres"
        subprocess.run(["psql", admin, "-qc", "DROP DATABASE IF EXISTS "
                        "casework_bench_crypto_scratch"], check=True)
        subprocess.run(["psql", admin, "-qc", "CREATE DATABASE casework_bench_crypto_scratch"],
                       check=True)
        command += ["--database-url", scratch]
    output = subprocess.run(command, env=_env(tree), capture_output=True, text=True,
                            check=True, cwd=tree).stdout
    line = next(x for x in output.splitlines() if x.strip().startswith("save+load"))
    return float(line.rsplit("ratio", 1)[1].strip().rstrip("x"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn -w 2 -k gthread --threads 4 serving ``tree`` on the generated database."""

    def __init__(self, tree: Path, url: str, instance: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "-w", "2", "-k", "gthread", "--threads", "4", "-b",
             f"127.0.0.1:{self.port}", "--chdir", str(HERE), "--log-level", "warning",
             "serve:app"],
            env=_env(tree, BENCH_DATABASE_URL=url, BENCH_INSTANCE=instance),
            cwd=tree, start_new_session=True)  # gunicorn puts its cwd on sys.path
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a worker slow to finish on a busy machine
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def _case_ids(tree: Path, url: str, unit_code: str, n: int) -> list[str]:
    code = (
        "import sys; from sqlalchemy import create_engine, text\n"
        f"e = create_engine({url!r})\n"
        "with e.connect() as c:\n"
        "    rows = c.execute(text('SELECT c.id FROM cases c JOIN org_units u ON u.id = "
        f"c.org_unit_id WHERE u.code = :u AND c.merged_into_id IS NULL LIMIT {n}'), "
        f"{{'u': {unit_code!r}}}).scalars().all()\n"
        "print(' '.join(str(r) for r in rows))\n")
    out = subprocess.run([PYTHON, "-c", code], env=_env(tree), capture_output=True, text=True,
                         check=True).stdout
    return out.split()


def http_figures(tree: Path, url: str, instance: str, seconds: int,
                 users: int) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from http_load import load, login, wrk

    from casework.demo import DEMO_PASSWORD, DEMO_TOTP_SEED

    server = Server(tree, url, instance)
    try:
        worker = login(server.base, "canbo.thinhlong", DEMO_PASSWORD)
        worker2 = login(server.base, "canbo.nghiason", DEMO_PASSWORD)
        supervisor = login(server.base, "giamsat", DEMO_PASSWORD, DEMO_TOTP_SEED)
        district = login(server.base, "giamsat.haihau", DEMO_PASSWORD, DEMO_TOTP_SEED)
        partner = login(server.base, "doitac.vieclam", DEMO_PASSWORD)
        # Healthz first, then the list; each twice, the best kept (a burst elsewhere on the
        # machine is not the page's cost).
        hello = max(wrk(server.base + "/healthz", worker) for _ in range(2))
        listing = max(wrk(server.base + "/cases", worker) for _ in range(2))
        ids = _case_ids(tree, url, "ND-HH-THINHLONG", 20)
        worker_pages = (["/cases", "/cases", "/cases/worklist", "/referrals/"]
                        + [f"/cases/{i}" for i in ids[:8]])
        worker2_pages = ["/cases", "/cases/worklist", "/referrals/"]
        sup_pages = [f"/supervision/?period={PERIOD}", "/supervision/chart.svg",
                     "/cases", "/referrals/"]
        partner_pages = ["/partner/", "/partner/performance"]
        for cookie, pages in ((supervisor, sup_pages), (district, sup_pages)):
            for page in pages:  # periods built ahead, as the nightly refresh does
                urllib.request.urlopen(urllib.request.Request(
                    server.base + page, headers={"Cookie": cookie}), timeout=900).read()
        mix = ([(worker, worker_pages)] * 15 + [(worker2, worker2_pages)] * 15
               + [(supervisor, sup_pages)] * 5 + [(district, sup_pages)] * 5
               + [(partner, partner_pages)] * 10)
        mix = (mix * (users // len(mix) + 1))[:users]
        result = load(server.base, mix, seconds).summary()
    finally:
        server.stop()
    return {"healthz_rps": hello, "list_rps": listing, "list_ratio": listing / hello, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url")
    parser.add_argument("--sqlite-url")
    parser.add_argument("--instance", default="/tmp/perfbench/inst")  # noqa: S108 - bench keys
    parser.add_argument("--baseline", help="git revision to compare with (e.g. 0794ec3)")
    parser.add_argument("--generate", action="store_true", help="fill fresh databases first")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=300_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--skip", action="append", default=[],
                        help="cold, http or crypto: leave that part out")
    args = parser.parse_args()
    trees = [("after", ROOT)]
    if args.baseline:
        trees.insert(0, ("before", _unpack(args.baseline)))
    urls = [u for u in (args.pg_url, args.sqlite_url) if u]
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for url in urls:
        backend = url.split(":", 1)[0].split("+")[0]
        if args.generate:
            started = time.perf_counter()
            _generate(url, args.instance, args.cases, args.referrals)
            print(f"{backend}: generated in {time.perf_counter() - started:.0f} s", flush=True)
        for label, tree in trees:
            figures: dict[str, float] = {}
            if "cold" not in args.skip:
                figures.update(cold_reads(tree, url, args.instance))
                print(f"  {backend} {label} cold: {json.dumps(figures)}", flush=True)
            if "http" not in args.skip:
                figures.update(http_figures(tree, url, args.instance, args.seconds,
                                            args.users))
                print(f"  {backend} {label} http: {json.dumps(figures)}", flush=True)
            if "crypto" not in args.skip:
                figures["crypto_ratio"] = crypto(tree, url)
            rows[(backend, label)] = figures
            print(f"{backend} {label}: {json.dumps(figures)}", flush=True)
    print(f"\nhost load average at the end {os.getloadavg()[0]:.1f}")
    names = [("first_read_ms", "first read of a period (ms)"),
             ("read_after_writes_ms", "read after 500 writes (ms)"),
             ("trend_empty_store_ms", "trend on an empty store (ms)"),
             ("direct_count_ms", "direct count, case tables (ms)"),
             ("warm_read_ms", "warm read (ms)"),
             ("list_ratio", "case list / healthz (wrk)"),
             ("list_rps", "case list requests/s"), ("healthz_rps", "healthz requests/s"),
             ("requests", "50 users: requests"), ("errors", "50 users: errors"),
             ("p50_ms", "50 users: p50 (ms)"), ("p95_ms", "50 users: p95 (ms)"),
             ("crypto_ratio", "field encryption, encrypted/clear")]
    for backend in dict.fromkeys(b for b, _ in rows):
        labels = [label for b, label in rows if b == backend]
        print(f"\n{backend:10s} {'figure':36s}" + "".join(f"{x:>12s}" for x in labels)
              + f"{'target':>10s}")
        for key, title in names:
            values = [rows[(backend, label)].get(key) for label in labels]
            if all(v is None for v in values):
                continue
            target = TARGETS.get(key)
            print(f"{'':10s} {title:36s}" + "".join(
                f"{v:12.2f}" if isinstance(v, float) else f"{v!s:>12s}" for v in values)
                + (f"{target:>10}" if target is not None else ""))


if __name__ == "__main__":
    main()
