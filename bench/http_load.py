"""HTTP drivers for the benchmarks: log in through the real forms, wrk throughput, and a load
test of simulated users (threads with their own think time) against a running server.

Standard library only (urllib); ``wrk`` comes from apt.
"""

from __future__ import annotations

import http.cookiejar
import random
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def login(base: str, username: str, password: str, totp_seed: str | None = None) -> str:
    """Log in through /login (and /login/verify); the Cookie header value of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, data: dict[str, str]) -> None:
        page = opener.open(base + path).read().decode()
        token = _CSRF.search(page)
        data = {**data, "csrf_token": token.group(1) if token else ""}
        opener.open(base + path, urllib.parse.urlencode(data).encode()).read()

    post("/login", {"username": username, "password": password})
    if totp_seed:
        from casework.crypto import totp

        step = int(time.time() // totp.STEP_SECONDS) + 1
        post("/login/verify", {"code": totp.code_at(totp_seed, step * totp.STEP_SECONDS)})
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, cookie: str = "", seconds: int = 10, connections: int = 8) -> float:
    """Requests per second that ``wrk`` reaches on ``url`` (non-2xx answers counted apart)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk: non-2xx answers from {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    by_page: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        n = len(ordered)
        return {"requests": n, "errors": self.errors,
                "p50_ms": statistics.median(ordered) if n else 0.0,
                "p95_ms": ordered[int(n * 0.95) - 1] if n else 0.0,
                "max_ms": ordered[-1] if n else 0.0}


def load(base: str, users: list[tuple[str, list[str]]], seconds: float,
         think: tuple[float, float] = (0.5, 1.5)) -> LoadResult:
    """Each user (cookie, pages) requests a random page of its role, then waits a random think
    time, until ``seconds`` have passed; any answer but 200 is an error."""
    result = LoadResult()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user(cookie: str, pages: list[str], seed: int) -> None:
        rng = random.Random(seed)
        opener = urllib.request.build_opener()
        time.sleep(rng.uniform(0, think[1]))  # users do not all start at once
        while time.monotonic() < stop:
            page = rng.choice(pages)
            request = urllib.request.Request(base + page, headers={"Cookie": cookie})
            started = time.perf_counter()
            try:
                with opener.open(request, timeout=30) as response:
                    response.read()  # a redirect to the login page is an error too
                    ok = response.status == 200 and "/login" not in response.geturl()
            except Exception:  # any failure is an error of the run
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                result.latencies.append(elapsed)
                result.by_page.setdefault(page.split("?")[0], []).append(elapsed)
                result.errors += 0 if ok else 1
            time.sleep(rng.uniform(*think))

    threads = [threading.Thread(target=user, args=(cookie, pages, n))
               for n, (cookie, pages) in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
