"""
Runs the benchmark scenarios against generated data and reports p50/p95/p99, throughput, the floor ratio
and the server's memory:

    .venv/bin/python -m bench.run --scale small [--requests 100] [--concurrency 4] [--only worklist,chart]

Every scenario is timed four ways, interleaved request by request (so load from other work on the machine
hits all four alike): the floor (one hand-written SQL query), the app's selectors in-process, the page
in-process (Django's test client) and the page over HTTP against `carecoord serve` (gunicorn, 2 workers);
then a concurrent HTTP run gives throughput. Results go to bench/results.json (and a copy per scale and
database under bench/.data/), and a table is printed.
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import threading
import time

from .env import BENCH_DIR, BENCH_PASSWORD, DATA_DIR, configure, redact, setup_django
from .stats import Samples

METHODS = ("floor", "selector", "page", "http")
WARMUP = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", "100")))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--no-http", action="store_true", help="skip the server (in-process and floor only)")
    args = parser.parse_args(argv)
    url = configure(args.scale)
    setup_django()

    from rich.console import Console

    from . import report
    from .scenarios import SCENARIOS, build_context
    from .server import HttpSession, Server

    console = Console(width=max(170, Console().width))
    ctx = build_context(args.scale)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    chosen = [s for s in SCENARIOS if not only or s.name in only]
    results = _header(args, url)
    console.print(
        f"[bold]CareCoord bench[/] scale={args.scale} db={results['database']['vendor']} "
        f"requests={args.requests} concurrency={args.concurrency} load={results['machine']['loadavg']}"
    )
    server = session = None
    if not args.no_http:
        log = DATA_DIR / f"server-{args.scale}-{results['database']['vendor']}.log"
        server = Server(workers=args.workers, log_path=log)
        console.print(f"Starting carecoord serve on 127.0.0.1:{server.port} ({args.workers} workers)…")
        server.start()
        args.server_threads = server.request_threads
        session = HttpSession(server.port)
        session.login(ctx.user.email, BENCH_PASSWORD)
        results["memory_before"] = server.memory()
    try:
        client = _client(ctx)
        for scenario in chosen:
            if not scenario.available():
                results["scenarios"][scenario.name] = {"label": scenario.label, "status": scenario.status()}
                continue
            console.print(f"• {scenario.label}")
            try:
                results["scenarios"][scenario.name] = run_scenario(scenario, ctx, client, session, args)
            except ConnectionError:
                console.print(f"[red]The server stopped answering during {scenario.name}:[/] {server.diagnose()}")
                raise
        if server is not None:
            results["memory"] = server.memory()
            results["http_connect_retries"] = session.refused
    finally:
        if server is not None:
            server.stop()
    from . import scheduling

    results["scheduling"] = scheduling.run_all(ctx, args, console, only)
    from . import hl7v2

    results.update(hl7v2.run_all(ctx, args, console, only))
    from . import fhir

    results["fhir"] = fhir.run_all(ctx, args, console, only)
    results["machine"]["loadavg_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    report.verdicts(results)
    _write(results, args.scale)
    report.print_table(console, results)
    return 0


def _header(args, url: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    generated = DATA_DIR / f"generate-{args.scale}-{connection.vendor}.json"
    return {
        "scale": args.scale,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
        "database": {"vendor": connection.vendor, "version": version, "url": redact(url)},
        "machine": _machine(),
        "code": _code_version(),
        "settings": {"requests": args.requests, "concurrency": args.concurrency, "workers": args.workers},
        "generator": json.loads(generated.read_text()) if generated.exists() else None,
        "scenarios": {},
    }


def _machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpus": os.cpu_count(),
        "mem_total_gb": round(mem_kb / 1024 / 1024, 1),
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _code_version() -> dict:
    """The commit measured, and whether the application's sources differed from it (others edit the tree)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=BENCH_DIR.parent, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "src_modified": bool(git("status", "--porcelain", "src"))}


def _client(ctx):
    from django.test import Client

    client = Client()
    client.force_login(ctx.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def run_scenario(scenario, ctx, client, session, args) -> dict:
    """Times one scenario the four ways, interleaved; then the concurrent HTTP run."""
    from django.db import connection

    inputs = scenario.inputs(ctx)
    samples = {m: Samples() for m in METHODS}
    sizes: dict[str, int] = {}

    def floor(value):
        with connection.cursor() as cursor:
            return scenario.floor(ctx, cursor, value)

    def page(value):
        response = client.get(scenario.path(ctx, value))
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.name}: in-process page answered {response.status_code}")
        sizes["page"] = len(response.content)

    def over_http(value):
        status, _, body = session.get(scenario.path(ctx, value))
        if status != 200:
            raise RuntimeError(f"{scenario.name}: HTTP page answered {status}")
        sizes["http"] = len(body)

    run = {"floor": floor, "selector": lambda v: scenario.selector(ctx, v), "page": page, "http": over_http}
    methods = [m for m in METHODS if m != "http" or session is not None]
    for value in inputs[:WARMUP]:
        for method in methods:
            run[method](value)
    profile = _profile(scenario, ctx, client, inputs[0])
    mismatches, example = 0, None
    for i in range(args.requests):
        value = inputs[i % len(inputs)]
        order = methods[i % len(methods) :] + methods[: i % len(methods)]  # rotate who meets a cold cache
        got = {}
        for method in order:
            if method == "http":
                session.connect()  # outside the timing: a fresh connection, as a browser's next click often is
            got[method] = samples[method].time(run[method], value)
        if got["floor"] != got["selector"]:
            mismatches += 1
            example = example or {"input": str(value), "floor": got["floor"], "selector": got["selector"]}
    result = {
        "label": scenario.label,
        "targets": {"p95_ms": scenario.targets.p95_ms, "floor_ratio": scenario.targets.floor_ratio},
        **{m: samples[m].summary() for m in methods},
        "profile": {**profile, "page_kb": round(sizes.get("page", 0) / 1024, 1)},
        "rows_match": mismatches == 0,
        "mismatches": mismatches,
    }
    if example:
        result["mismatch_example"] = json.loads(json.dumps(example, default=str))
    if session is not None:
        # Untimed: every server thread's first page compiles its statements (core.prepared); without this the
        # first pages of a short run set its p95.
        _concurrent(scenario, ctx, session, inputs, args, warm_up=True)
        result["http_concurrent"] = _concurrent(scenario, ctx, session, inputs, args)
    return result


def _profile(scenario, ctx, client, value) -> dict:
    """One in-process page request with its SQL captured: how many queries, and how much of the time is SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        client.get(scenario.path(ctx, value))
    total = time.perf_counter() - started
    sql = sum(float(q.get("time") or 0) for q in captured.captured_queries)
    writes = sum(1 for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE")))
    slowest = max(captured.captured_queries, key=lambda q: float(q.get("time") or 0), default=None)
    return {
        "queries": len(captured.captured_queries),
        "writes": writes,
        "sql_ms": round(sql * 1000, 1),
        "request_ms": round(total * 1000, 1),
        "slowest_query_ms": round(float(slowest["time"]) * 1000, 1) if slowest else None,
        "slowest_query": slowest["sql"][:600] if slowest else None,
    }


def _concurrent(scenario, ctx, session, inputs, args, *, warm_up: bool = False) -> dict:
    """
    `concurrency` threads, each with its own keep-alive connection, sharing the signed-in session. `warm_up`:
    as many threads as the server has, four requests each (bench.server.warm_up_size).
    """
    from .server import HttpSession, warm_up_size

    total, concurrency = max(args.requests, 4 * args.concurrency), args.concurrency
    if warm_up:
        total, concurrency = warm_up_size(args.server_threads)
    samples, errors, retries, lock = Samples(), [], [], threading.Lock()
    counter = iter(range(total))

    def worker():
        mine = HttpSession(session.port)
        mine.cookies = dict(session.cookies)
        local = Samples()
        for i in iter(lambda: next(counter, None), None):
            status, _, _ = local.time(mine.get, scenario.path(ctx, inputs[i % len(inputs)]))
            if status != 200:
                errors.append(status)
        mine.close()
        with lock:
            samples.seconds.extend(local.seconds)
            retries.append(mine.refused)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    summary = samples.summary(wall_seconds=wall)
    return {"threads": concurrency, "errors": len(errors), "connect_retries": sum(retries), **summary}


def _write(results: dict, scale: str) -> None:
    from . import report

    text = json.dumps(results, indent=2, default=str) + "\n"
    (BENCH_DIR / "results.json").write_text(text)
    (DATA_DIR / f"results-{scale}-{results['database']['vendor']}.json").write_text(text)
    (DATA_DIR / f"results-{scale}-{results['database']['vendor']}.md").write_text(report.markdown(results))


if __name__ == "__main__":
    sys.exit(main())
