"""Catalog benchmark (issue: catalog).

On PostgreSQL seeded with N published courses (``campus seed-catalog-bench``), in one run per
size: the bare reference endpoint, the course list (20 per page, three filters, sorted by
popularity), a full-text search (``q=``) and a course page of a 10 x 10 course. The public
catalog caches whole responses server-side (key: path + query + languages), so each endpoint
is measured twice:

* cached: the same URL over and over (after the first request, served from the cache);
* uncached: wrk cycles through thousands of distinct URLs (other filter values and pages for
  the list, other queries and pages for search, other 10 x 10 courses for the page), more than
  the run sends, so every request misses the cache and queries the database (the endpoints
  reject unknown query parameters, so there is no cache-busting parameter: course pages
  rotate over ``--detail-courses`` distinct 10 x 10 courses, 2000 by default).

Targets: list and detail at >= 60 % of the reference's throughput with p99 < 100 ms; at the
larger size every figure within 20 % of its value at the smaller one.

    .venv/bin/python -m benchmarks.catalog_bench [--sizes 10000,100000] [--duration 10]
        [--connections 32] [--detail-courses 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from benchmarks import harness
from benchmarks.catalog_data import LEVELS, SUBJECTS, TOPICS
from campus.catalog.data import CourseLevel
from campus.catalog.service import browse
from campus.catalog.service.browse import BrowseParams
from campus.catalog.text import search_words
from campus.kernel.pagination import PageParams

API = "/api/v1/courses"
#: The measured list: 20 per page, level + language + price range (a price range names its
#: currency), most popular first.
LIST_QUERY = {
    "level": "beginner",
    "language": "en",
    "currency": "USD",
    "minPrice": "10",
    "maxPrice": "50",
    "sort": "-popularity",
    "limit": "20",
}
SEARCH_QUERY = {"q": "python", "limit": "20"}
ROTATION = 20_000  # distinct URLs per uncached scenario (more than a 10 s run sends)


def _url(query: dict[str, str]) -> str:
    return f"{API}?{urlencode(query)}"


def list_paths(rng: random.Random) -> list[str]:
    """Distinct list URLs: same shape as LIST_QUERY, other filter values and pages."""
    combos = itertools.product(LEVELS, ("en", "es", "de"), range(10, 40), range(41, 141), (1, 2))
    paths = [
        _url(
            {
                "level": level,
                "language": language,
                "currency": "USD",
                "minPrice": str(low),
                "maxPrice": str(high),
                "sort": "-popularity",
                "limit": "20",
                "page": str(page),
            }
        )
        for level, language, low, high, page in combos
    ]
    rng.shuffle(paths)
    return paths[:ROTATION]


def search_paths(rng: random.Random) -> list[str]:
    """Distinct searches: one- and two-word queries from the titles' vocabulary, pages 1-5."""
    topics = [" ".join(search_words(t)) for t in TOPICS]
    subjects = [" ".join(search_words(s)) for s in SUBJECTS]
    queries = topics + [f"{t} {s}" for t in topics for s in subjects]
    paths = [
        _url({"q": q, "limit": "20", "page": str(page), **({"level": lv} if lv else {})})
        for q in queries
        for page in range(1, 6)
        for lv in ("", *LEVELS)
    ]
    rng.shuffle(paths)
    return paths[:ROTATION]


def detail_paths(rng: random.Random, slugs: list[str]) -> list[str]:
    paths = [f"{API}/{slug}" for slug in slugs]
    rng.shuffle(paths)
    return paths


def seed(env: dict[str, str], courses: int, detail_courses: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "campus.cli",
            "seed-catalog-bench",
            "--courses",
            str(courses),
            "--modules",
            "10",
            "--lessons",
            "10",
            "--detail-courses",
            str(detail_courses),
        ],
        env=env,
        check=True,
        cwd=harness.ROOT,
    )
    return round(time.perf_counter() - start, 1)


async def database_facts(url: str) -> dict[str, Any]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        slugs = list(
            (
                await conn.execute(
                    sa.text(
                        "SELECT slug FROM catalog_courses WHERE status = 'published' "
                        "AND module_count = 10 AND lesson_count = 100 "
                        "ORDER BY enrollment_count DESC, id"
                    )
                )
            ).scalars()
        )
        counts = {}
        for table in (
            "catalog_courses",
            "catalog_modules",
            "catalog_lessons",
            "catalog_course_tags",
        ):
            counts[table] = int(await conn.scalar(sa.text(f"SELECT count(*) FROM {table}")))
        size = await conn.scalar(
            sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        )
    await engine.dispose()
    return {"detail_slugs": slugs, "rows": counts, "database_size": size}


def _params(query: dict[str, str]) -> BrowseParams:
    fields = {"minPrice": "min_price", "maxPrice": "max_price"}
    values: dict[str, Any] = {
        fields.get(k, k): v for k, v in query.items() if k not in {"limit", "page"}
    }
    if "level" in values:
        values["level"] = CourseLevel(values["level"])
    return BrowseParams(**values)


async def explain(url: str) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the SQL the app runs for the list and the search: the
    statements are captured from the real service call, then explained with their parameters."""
    engine = create_async_engine(url)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "catalog_course" in statement:
            captured.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", capture)
    plans: dict[str, list[str]] = {}
    for name, query in (("list", LIST_QUERY), ("search", SEARCH_QUERY)):
        captured.clear()
        async with AsyncSession(engine) as session:
            params = _params(query)
            await browse.list_courses(session, params, PageParams(page=1, limit=20), ())
        statements = captured[:2]  # the page, then its capped count (instructor names after)
        sa.event.remove(engine.sync_engine, "before_cursor_execute", capture)
        async with engine.connect() as conn:
            for label, (statement, parameters) in zip(("page", "count"), statements, strict=False):
                result = await conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                )
                plans[f"{name} {label}"] = [statement, *(row[0] for row in result)]
        sa.event.listen(engine.sync_engine, "before_cursor_execute", capture)
    await engine.dispose()
    return plans


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run_size(courses: int, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(courses)
    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(database_url, Path(tmp))
            harness.migrate(env)
            seed_seconds = seed(env, courses, args.detail_courses)
            facts = asyncio.run(database_facts(database_url))
            slugs = facts["detail_slugs"]
            load_before = load_average()
            common = {"connections": args.connections, "duration": args.duration}
            port = harness.free_port()
            with harness.server(env, port) as base:
                harness.wrk("warm-up", f"{base}/bench/reference", connections=8, duration=2)
                harness.wrk("warm-up", f"{base}{_url(LIST_QUERY)}", connections=8, duration=2)
                reference = harness.wrk("reference (SELECT 1)", f"{base}/bench/reference", **common)
                rotations = {
                    "list uncached": list_paths(rng),
                    "search uncached": search_paths(rng),
                    "detail uncached": detail_paths(rng, slugs),
                }
                figures = [
                    harness.wrk("list cached", f"{base}{_url(LIST_QUERY)}", **common),
                    harness.wrk(
                        "list uncached", base + API, paths=rotations["list uncached"], **common
                    ),
                    harness.wrk("search cached", f"{base}{_url(SEARCH_QUERY)}", **common),
                    harness.wrk(
                        "search uncached", base + API, paths=rotations["search uncached"], **common
                    ),
                    harness.wrk("detail cached", f"{base}{API}/{slugs[0]}", **common),
                    harness.wrk(
                        "detail uncached", base + API, paths=rotations["detail uncached"], **common
                    ),
                ]
            load_after = load_average()
            for fig in figures:
                distinct = len(rotations.get(fig.scenario, []))
                if distinct and fig.requests > distinct:
                    print(f"warning: {fig.scenario}: {fig.requests} requests, {distinct} URLs")
            plans = asyncio.run(explain(database_url)) if args.explain else {}
            extra = {
                "courses": courses,
                "seed_seconds": seed_seconds,
                "rows": facts["rows"],
                "database_size": facts["database_size"],
                "detail_course": slugs[0],
                "uncached_distinct_urls": {k: len(v) for k, v in rotations.items()},
                "load_average_before": load_before,
                "load_average_after": load_after,
            }
            harness.report(f"catalog ({courses} courses)", figures, reference, extra)
            return {"reference": reference, "figures": figures, "plans": plans}
    finally:
        asyncio.run(harness.drop_database(database_url))


def _change(new: float, old: float) -> str:
    return f"{(new - old) / old * 100:+.1f}%" if old else "n/a"


def compare(runs: dict[int, dict[str, Any]]) -> None:
    sizes = sorted(runs)
    base, other = runs[sizes[0]], runs[sizes[-1]]
    print(f"\nchange from {sizes[0]} to {sizes[-1]} courses (target: within 20 %)")
    print(f"{'scenario':<22}{'req/s':>24}{'p50 ms':>26}{'p99 ms':>26}")
    rows = [
        (base["reference"], other["reference"]),
        *zip(base["figures"], other["figures"], strict=True),
    ]
    for a, b in rows:
        cells = [
            f"{x:.1f} -> {y:.1f} ({_change(y, x)})"
            for x, y in (
                (a.requests_per_second, b.requests_per_second),
                (a.p50_ms, b.p50_ms),
                (a.p99_ms, b.p99_ms),
            )
        ]
        print(f"{a.scenario:<22}{cells[0]:>24}{cells[1]:>26}{cells[2]:>26}")


def check_targets(courses: int, run: dict[str, Any]) -> None:
    print(f"\ntargets at {courses} courses (list/detail: ratio >= 0.60, p99 < 100 ms)")
    for fig in run["figures"]:
        if fig.scenario.startswith(("list", "detail")):
            ok = (fig.ratio_to_reference or 0) >= 0.6 and fig.p99_ms < 100
            print(
                f"  {fig.scenario:<18} ratio {fig.ratio_to_reference:.3f}  "
                f"p99 {fig.p99_ms:.1f} ms  {'met' if ok else 'NOT met'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--detail-courses", type=int, default=2000)
    parser.add_argument("--no-explain", dest="explain", action="store_false")
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    runs: dict[int, dict[str, Any]] = {}
    for n in sizes:
        runs[n] = run_size(n, args)
        check_targets(n, runs[n])
    if len(sizes) > 1:
        compare(runs)
    largest = runs[max(sizes)]
    for name, lines in largest["plans"].items():
        sql = " ".join(lines[0].split())
        sql = sql if len(sql) < 400 else f"SELECT ... {sql[sql.index(' FROM ') :]}"
        print(f"\nEXPLAIN ANALYZE ({max(sizes)} courses), {name}:\n  {sql}")
        for line in lines[1:]:
            print(f"    {line}")


if __name__ == "__main__":
    main()
