"""The verdicts against the issue's targets, the printed table and a Markdown copy for bench/README.md."""

WORKER_RSS_TARGET_MB = 250


def verdicts(results: dict) -> None:
    """Adds each scenario's floor ratio and whether its targets are met (HTTP p95 is the figure that counts)."""
    for data in results["scenarios"].values():
        if "targets" not in data:
            continue
        ours = (data.get("http") or data.get("page") or {}).get("p95_ms")
        floor = (data.get("floor") or {}).get("p95_ms")
        data["measured_p95_ms"] = ours
        data["floor_ratio"] = round(ours / floor, 1) if ours and floor else None
        checks = {}
        if data["targets"]["p95_ms"] is not None and ours is not None:
            checks["p95"] = ours <= data["targets"]["p95_ms"]
        if data["targets"]["floor_ratio"] is not None and data["floor_ratio"] is not None:
            checks["floor_ratio"] = data["floor_ratio"] <= data["targets"]["floor_ratio"]
        data["met"] = checks
    memory = results.get("memory")
    if memory and memory.get("max_worker_rss_mb") is not None:
        memory["target_mb"] = WORKER_RSS_TARGET_MB
        memory["met"] = memory["max_worker_rss_mb"] <= WORKER_RSS_TARGET_MB


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def rows(results: dict) -> list[list[str]]:
    out = []
    for name, d in results["scenarios"].items():
        if "targets" not in d:
            out.append([name, d.get("status", ""), *[""] * 11])
            continue
        sel, page, http, floor = (d.get(k) or {} for k in ("selector", "page", "http", "floor"))
        conc = d.get("http_concurrent") or {}
        target = []
        if d["targets"]["p95_ms"]:
            target.append(f"p95≤{d['targets']['p95_ms']:g}")
        if d["targets"]["floor_ratio"]:
            target.append(f"≤{d['targets']['floor_ratio']:g}x floor")
        met = d.get("met", {})
        verdict = "met" if met and all(met.values()) else ("MISSED " + ",".join(k for k, v in met.items() if not v))
        prof = d.get("profile", {})
        out.append(
            [
                name,
                _fmt(sel.get("p95_ms")),
                f"{_fmt(page.get('p50_ms'))}/{_fmt(page.get('p95_ms'))}",
                f"{_fmt(http.get('p50_ms'))}/{_fmt(http.get('p95_ms'))}/{_fmt(http.get('p99_ms'))}",
                _fmt(conc.get("throughput_rps")),
                _fmt(floor.get("p95_ms"), 2),
                _fmt(d.get("floor_ratio")),
                f"{prof.get('queries', '—')} ({prof.get('writes', 0)}w)",
                _fmt(prof.get("sql_ms")),
                _fmt(prof.get("page_kb"), 0),
                "yes" if d.get("rows_match") else "NO",
                " ".join(target),
                verdict,
            ]
        )
    return out


HEADERS = [
    "scenario",
    "selector p95",
    "page p50/p95",
    "HTTP p50/p95/p99",
    "HTTP req/s",
    "floor p95",
    "x floor",
    "queries",
    "SQL ms",
    "KB",
    "rows=floor",
    "target",
    "verdict",
]


def memory_line(results: dict) -> str:
    memory = results.get("memory")
    if not memory:
        return "memory: not measured (no HTTP run)"
    workers = ", ".join(f"{w['rss_mb']:.0f}" for w in memory["workers"])
    before = results.get("memory_before", {}).get("workers", [])
    start = ", ".join(f"{w['rss_mb']:.0f}" for w in before)
    verdict = "met" if memory.get("met") else "MISSED"
    return (
        f"memory: gunicorn worker RSS after the scenarios {workers} MB (at start {start} MB; master "
        f"{memory['master']['rss_mb']:.0f} MB); target ≤ {memory.get('target_mb')} MB: {verdict}"
    )


SCHEDULING_HEADERS = ["scenario", "p50/p95/p99 ms", "per second", "floor p95", "x floor", "check", "notes"]


def _triple(d: dict) -> str:
    return f"{_fmt(d.get('p50_ms'))}/{_fmt(d.get('p95_ms'))}/{_fmt(d.get('p99_ms'))}"


def scheduling_rows(results: dict) -> list[list[str]]:
    """One row per scheduling scenario (bench/scheduling.py), in-process."""
    out = []
    for name, d in (results.get("scheduling") or {}).items():
        if "status" in d:
            out.append([name, d["status"], "", "", "", "", ""])
        elif name == "slot_search":
            conc = d["concurrent"]
            out.append([
                f"slot_search ({d['practitioners']} practitioners, 30 days)", _triple(d["selector"]),
                f"{_fmt(d['selector'].get('throughput_rps'))} (1 thread), {_fmt(conc.get('throughput_rps'))} "
                f"({conc['threads']} threads)", _fmt(d["floor"].get("p95_ms"), 2), _fmt(d.get("floor_ratio")),
                f"slots=floor: {'yes' if d['rows_match'] else 'NO'}",
                f"{d['queries']} queries; {d['slots_per_search']} slots; floor {d['floor_rows']} rows",
            ])  # fmt: skip
        elif name == "planner":
            out.append([
                "planner (6 visits, CP-SAT)", _triple(d["plan"]), "—", "—", "—",
                f"optimal {d['optimal']}/{d['runs']}, feasible {d['feasible']}/{d['runs']}",
                f"{d['candidate_slots']} candidates, gathered in {_fmt(d['candidates'].get('p50_ms'))} ms p50; "
                f"trips {d['trips']}",
            ])  # fmt: skip
        elif name == "booking":
            conc, race = d["concurrent"], d["race"]
            out.append([
                f"booking ({conc['threads']} threads)", _triple(conc), f"{_fmt(conc.get('throughput_rps'))} bookings",
                "—", "—", f"race: exactly one of {race['threads']} in {race['exactly_one_booked']}/{race['rounds']}",
                f"{d['booked']}/{d['bookings']} booked, {conc['errors']} errors; other race errors: "
                f"{len(race['other_errors'])}",
            ])  # fmt: skip
    return out


def print_table(console, results: dict) -> None:
    from rich.table import Table

    title = (
        f"CareCoord bench — scale {results['scale']}, {results['database']['vendor']} "
        f"{results['database']['version']}, {results['machine']['cpus']} CPUs, load {results['machine']['loadavg']}"
    )
    table = Table(title=title, caption="times in ms; page = in-process test client; HTTP = gunicorn")
    for header in HEADERS:
        table.add_column(header, justify="left" if header in {"scenario", "target", "verdict"} else "right")
    for row in rows(results):
        table.add_row(*row)
    console.print(table)
    if results.get("scheduling"):
        sched = Table(title="Scheduling (in-process)", caption="bench/scheduling.py")
        for header in SCHEDULING_HEADERS:
            sched.add_column(header)
        for row in scheduling_rows(results):
            sched.add_row(*row)
        console.print(sched)
    console.print(memory_line(results))
    console.print(f"results: bench/results.json ({results['date']})")


def markdown(results: dict) -> str:
    machine, code = results["machine"], results.get("code", {})
    lines = [
        f"{results['date']} · scale {results['scale']} · {results['database']['vendor']} "
        f"{results['database']['version']} · {machine['cpus']} CPUs, {machine['mem_total_gb']} GB · load "
        f"{machine['loadavg']} → {machine.get('loadavg_end', '?')} · commit {code.get('commit', '?')}"
        f"{' (sources modified)' if code.get('src_modified') else ''} · `{results['command']}`",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    text = "\n".join(lines) + "\n\n" + memory_line(results) + "\n"
    if results.get("scheduling"):
        sched = ["", "| " + " | ".join(SCHEDULING_HEADERS) + " |", "|" + "---|" * len(SCHEDULING_HEADERS)]
        sched += ["| " + " | ".join(row) + " |" for row in scheduling_rows(results)]
        text += "\n".join(sched) + "\n"
    return text
