"""Peak memory and time of reading the worst hostile import files, each in a child process.

    .venv/bin/python bench/bench_hostile_imports.py                  # this checkout's reader
    .venv/bin/python bench/bench_hostile_imports.py --code /work/main  # another checkout's
    .venv/bin/python bench/bench_hostile_imports.py --only blank_rows --scale 0.1

The files come from ``tests/imports/hostile.py`` (built here, at full size by default: the
sizes a tester reported) and are written to a temporary folder. Each is read by
``reader.read_uploads`` (the code path of the web upload and of ``flask import-records``) in a
fresh child process limited to ``--memory-mb`` of address space (RLIMIT_AS) and killed after
``--timeout`` seconds, so an old reader cannot take the machine down. The parent prints the
child's peak resident memory (``ru_maxrss`` from ``wait4``), its wall time and the outcome:
``refused`` (a clear message), ``read`` (rows read), ``exceeded-memory`` or ``exceeded-time``.
``valid_rows`` is not hostile: 20,000 valid rows (the cap), the cost of a real full file.
A baseline child that only imports the reader is measured in the same run.

No database is needed: the reader runs without an app (default limits: 10 MB, 20,000 rows).

Measured on the shared 2-core machine (30 Nov 2026; other test runs going on), limits 3 GB
and 120 s; peak resident MB / seconds. Before = openpyxl's reader (main), after = xlsx.py.
Import-only baseline: 62 MB before (openpyxl imported on first read), 98 MB after.

    file (scale 1.0)        size     before                          after
    declared_dimension      2 KB     exceeded-time (120 s), 70 MB    read, 1.6 s, 98 MB
    blank_rows (50 M rows)  1.6 MB   exceeded-memory (3,010 MB,      refused, 1.4 s, 98 MB
                                     reported "damaged"), 55 s
    shared_strings (15 M)   3.0 MB   exceeded-time, 2,308 MB at      refused, 2.0 s, 98 MB
                                     120 s
    wide_rows               0.7 MB   exceeded-time (120 s), 80 MB    refused, 2.1 s, 98 MB
    many_elements (10 M)    1.3 MB   exceeded-memory (3,023 MB), 36 s refused, 1.4 s, 98 MB
    huge_cell (60 M chars)  0.3 MB   read, 3.9 s, 218 MB             read (cut), 1.6 s, 98 MB
    repeated_long_string    34 KB    exceeded-time (120 s), 191 MB   refused, 0.8 s, 132 MB
    csv_blank_lines (9 M)   8.8 MB   read, 9.6 s, 122 MB             refused, 1.8 s, 128 MB
    valid_rows (20,000)     0.4 MB   read, 2.9 s, 108 MB             read, 3.2 s, 106 MB

At scale 1.0 the four big files are refused by the new per-part cap (64 MB expanded); at
``--scale 0.2`` (under it) the counters refuse them: before blank_rows 963 MB / 33 s,
shared_strings 525 MB / 22 s, wide_rows 29 s, many_elements 1,249 MB / 22 s; after all
refused in 0.8-5.0 s at 98 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Files are built in their own process: a child's ru_maxrss starts from its parent's peak, so
# this process must stay small.
BUILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from tests.imports import hostile
builder, _name = hostile.FILES[sys.argv[2]]
with open(sys.argv[3], "wb") as fh:
    fh.write(builder(float(sys.argv[4])))
"""
FILES = ["declared_dimension", "far_row", "blank_rows", "shared_strings", "wide_rows",
         "many_elements", "huge_cell", "billion_laughs", "csv_blank_lines",
         "repeated_long_string", "valid_rows"]
NAMES = {"csv_blank_lines": "cases.csv"}

CHILD = r"""
import resource, sys, time
limit = int(sys.argv[3]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.path.insert(0, sys.argv[1])
from casework.services.imports import reader
if sys.argv[2] == "-":
    print("baseline")
    sys.exit(0)
name = sys.argv[4]
with open(sys.argv[2], "rb") as fh:
    data = fh.read()
try:
    book = reader.read_uploads([reader.Upload(name, data)])
except MemoryError:
    print("exceeded-memory")
    sys.exit(3)
except reader.FileRefused as refused:
    print("refused: " + str(refused.message)[:70])
    sys.exit(0)
print(f"read: {book.total_rows} rows")
"""


def run_child(code: Path, path: str, name: str, memory_mb: int, timeout: float
              ) -> tuple[str, float, float]:
    """(outcome, seconds, peak resident MB) of reading ``path`` in a limited child."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(code), path, str(memory_mb), name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = started + timeout
    status = None
    usage = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.monotonic() - started
            return "exceeded-time", elapsed, usage.ru_maxrss / 1024
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    out = proc.stdout.read().strip() if proc.stdout else ""
    err = proc.stderr.read().strip() if proc.stderr else ""
    peak = usage.ru_maxrss / 1024
    if "MemoryError" in err or out == "exceeded-memory":
        outcome = "exceeded-memory"
    elif peak > 0.9 * memory_mb:  # a reader that caught the MemoryError and said "damaged"
        outcome = "exceeded-memory (reported as: " + (out.splitlines()[-1][:40] if out else "?")\
            + ")"
    elif os.waitstatus_to_exitcode(status) != 0:
        outcome = "crashed: " + (err.splitlines()[-1][:70] if err else "?")
    else:
        outcome = out.splitlines()[-1] if out else "?"
    return outcome, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="checkout whose casework package reads the files [this one]")
    parser.add_argument("--memory-mb", type=int, default=3072,
                        help="address-space limit of each child [3072]")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds before a child is killed [120]")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size of the big files relative to the reported ones [1.0]")
    parser.add_argument("--only", action="append", choices=FILES,
                        help="run only these files (repeatable)")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    names = args.only or FILES
    print(f"reader from {args.code.resolve()}; limits {args.memory_mb} MB address space, "
          f"{args.timeout:.0f} s; scale {args.scale}")
    outcome, seconds, peak = run_child(args.code, "-", "-", args.memory_mb, args.timeout)
    print(f"{'baseline (import only)':24} {'':>10} {seconds:8.1f} s {peak:8.0f} MB  {outcome}")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            filename = NAMES.get(name, "nhap.xlsx")
            path = Path(folder) / filename
            subprocess.run([sys.executable, "-c", BUILD, str(ROOT), name, str(path),
                            str(args.scale)], check=True)
            size = path.stat().st_size
            outcome, seconds, peak = run_child(args.code, str(path), filename, args.memory_mb,
                                               args.timeout)
            print(f"{name:24} {size / 1024:8.0f} KB {seconds:8.1f} s {peak:8.0f} MB  {outcome}",
                  flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
