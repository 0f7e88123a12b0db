"""Credentials benchmark (issue 15).

1. **Rendering** (in process, one core): certificates per second of the rendering job's drawing
   (the PDF alone, and the PDF with the PNG the job also makes), learner names in Latin,
   Cyrillic, Greek, Arabic and CJK, and the process's peak resident memory (``VmHWM``).
   Target: >= 20 PDFs/s, < 200 MB.
2. **Public verification** on PostgreSQL: ``GET /api/v1/verify/{publicId}`` (the certificate by
   its public id, then the verification count's upsert) under 32 connections, next to
   Campus's ``GET /bench/reference`` and the bare stack (``benchmarks.bare_app``: FastAPI +
   asyncpg, no Campus code) doing the same kind of work: ``GET /me`` (one row by key) and
   ``POST /upsert`` (one single-row upsert). Target: >= 60 % of the bare reference, p99 < 100 ms.

    .venv/bin/python -m benchmarks.credentials_bench [--renders 200] [--duration 10]
        [--connections 32] [--skip-http]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.request_path_bench import server, upsert_script

PASSWORD = "correct horse battery staple 42"
NAMES = (
    "Zoë Ångström-Łukasiewicz",
    "Анна Каренина",
    "Αλέξανδρος Παπαδόπουλος",
    "ليلى عبد الله",
    "李小龍",
)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def rendering(renders: int) -> dict[str, Any]:
    from campus.credentials.service.rendering import Sheet, render_pdf, render_png

    def sheet(n: int) -> Sheet:
        url = f"https://campus.example/verify/01J{n:023d}"
        return Sheet(
            values={
                "learner_name": NAMES[n % len(NAMES)],
                "course_title": "Python Programming",
                "completion_date": "2026-12-02",
                "issue_date": "2026-12-02",
                "score": "92.50",
                "grade": "A",
                "hours": "12.5",
                "instructor_names": "Ada Lovelace",
                "certificate_number": f"CAMPUS-2026-{n:06d}",
                "verification_url": url,
                "issuer_name": "Campus",
            },
            verification_url=url,
            signers=(("Grace Hopper", "Dean"),),
        )

    render_pdf(sheet(0))  # fonts loaded and cached, as in a running worker
    render_png(sheet(0))
    before = peak_rss_mb()
    results: dict[str, Any] = {"rss_mb_after_warm_up": before}
    for label, draw in (
        ("pdf", lambda s: render_pdf(s)),
        ("pdf_and_png", lambda s: (render_pdf(s), render_png(s))),
    ):
        times = []
        start = time.perf_counter()
        for n in range(renders):
            one = time.perf_counter()
            draw(sheet(n))
            times.append((time.perf_counter() - one) * 1000)
        elapsed = time.perf_counter() - start
        results[f"{label}_per_second"] = round(renders / elapsed, 1)
        results[f"{label}_ms_median"] = round(statistics.median(times), 2)
        results[f"{label}_ms_max"] = round(max(times), 2)
    results["peak_rss_mb"] = peak_rss_mb()
    return results


async def seed_certificate(database_url: str) -> tuple[str, str]:
    """One learner and one issued certificate (the demo's seeding needs the coding sandbox,
    which this benchmark does not); their public id and the learner's id for the bare
    ``/me``."""
    from campus.credentials.models import Certificate
    from campus.credentials.service import codes
    from campus.identity.api import create_user
    from campus.kernel.clock import utcnow
    from campus.kernel.db import Database
    from campus.kernel.ids import new_id

    db = Database(database_url, null_pool=True)
    now = utcnow()
    async with db.session() as session:
        user_id = await create_user(
            session,
            email="bench.learner@example.com",
            password=PASSWORD,
            first_name="Bench",
            last_name="Learner",
            verified=True,
        )
        public_id = codes.public_id()
        session.add(
            Certificate(
                id=new_id(),
                public_id=public_id,
                number=codes.number("CAMPUS", now.year),
                verification_code=codes.verification_code(),
                user_id=user_id,
                course_id=new_id(),
                version_id=new_id(),
                status="issued",
                learner_name="Zoë Ångström-Łukasiewicz",
                learner_email="bench.learner@example.com",
                course_title="Python Programming",
                language="en",
                completed_at=now,
                issued_at=now,
                details={},
                is_public=True,
                status_index=0,
                revision=1,
                render_status="ready",
                created_at=now,
                updated_at=now,
            )
        )
    await db.dispose()
    return public_id, str(user_id)


def verification(duration: int, connections: int) -> dict[str, Any]:
    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(
                database_url,
                Path(tmp),
                CAMPUS_CREDENTIALS_VERIFY_RATE_LIMIT="100000000/minute",
            )
            harness.migrate(env)
            public_id, user_id = asyncio.run(seed_certificate(database_url))
            bare_env = {**env, "BARE_DATABASE_URL": database_url, "BARE_POOL_SIZE": "20"}
            common = {"connections": connections, "duration": duration}
            with (
                server(env, "benchmarks.bench_app:create_bench_app", "/readyz", 1) as (campus, _),
                server(bare_env, "benchmarks.bare_app:create_bare_app", "/healthz", 1) as (
                    bare,
                    _,
                ),
            ):
                verify_url = f"{campus}/api/v1/verify/{public_id}"
                harness.wrk("warm-up", f"{campus}/bench/reference", connections=8, duration=2)
                harness.wrk("warm-up", verify_url, connections=8, duration=2)
                harness.wrk("warm-up", f"{bare}/me?id={user_id}", connections=8, duration=2)
                figures = {}
                for name, url, script in (
                    ("bare GET /me (1 row by key)", f"{bare}/me?id={user_id}", None),
                    ("bare POST /upsert (1 row)", f"{bare}/upsert", upsert_script()),
                    ("reference (SELECT 1)", f"{campus}/bench/reference", None),
                    ("GET /api/v1/verify/{publicId}", verify_url, None),
                ):
                    harness.settle(campus)
                    figures[name] = (
                        harness.wrk_script(name, url, script, **common)
                        if script
                        else harness.wrk(name, url, **common)
                    )
    finally:
        asyncio.run(harness.drop_database(database_url))
    verify = figures["GET /api/v1/verify/{publicId}"]
    rows = {name: asdict(fig) for name, fig in figures.items()}
    for name, fig in figures.items():
        rows[name]["verify_ratio_to_this"] = round(
            verify.requests_per_second / fig.requests_per_second, 3
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()

    info = harness.machine()
    print(f"Credentials ({info['date']}, {info['cpu']}, {info['cores']} cores)")
    render = rendering(args.renders)
    print("Rendering, one core:", json.dumps(render))
    rows: dict[str, Any] = {}
    if not args.skip_http:
        rows = verification(args.duration, args.connections)
        print(f"{'scenario':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'verify/this':>13}")
        for name, row in rows.items():
            print(
                f"{name:<34}{row['requests_per_second']:>10.1f}{row['p50_ms']:>10.2f}"
                f"{row['p99_ms']:>10.2f}{row['verify_ratio_to_this']:>13.3f}"
            )
    with harness.RESULTS.open("a") as handle:
        handle.write(
            json.dumps(
                {"title": "credentials", "machine": info, "rendering": render, "verify": rows}
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
