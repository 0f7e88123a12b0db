"""A tiny server that speaks Judge0's submission API (the subset Campus uses), for tests.

``POST /submissions?base64_encoded=true&wait=false`` answers ``{"token"}``; ``GET
/submissions/{token}?base64_encoded=true`` answers *Processing* for the first
``polls_before_done`` polls, then the verdict. Code really runs (a plain subprocess: this is a
test double, not a sandbox): Python (71) with this interpreter, JavaScript (63) with node.
Statuses follow Judge0: 3 Accepted / 4 Wrong Answer (Judge0's own trailing-whitespace
comparison against ``expected_output``), 5 Time Limit Exceeded, 11 Runtime Error (NZEC).
A source containing ``# judge0-status: N`` gets status ``N`` without running (scripted
failures: 6 Compilation Error, 13 Internal Error...). Every request body is recorded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DESCRIPTIONS = {
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    11: "Runtime Error (NZEC)",
    13: "Internal Error",
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(value: Any) -> str:
    return base64.b64decode(value).decode() if isinstance(value, str) and value else ""


def _judge0_strip(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


@dataclass
class FakeJudge0:
    polls_before_done: int = 1
    received: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    _jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/submissions", self.create, methods=["POST"]),
                Route("/submissions/{token}", self.get, methods=["GET"]),
            ]
        )

    async def create(self, request: Request) -> JSONResponse:
        if request.query_params.get("base64_encoded") != "true":
            return JSONResponse({"error": "base64 only"}, status_code=422)
        body = await request.json()
        self.received.append(body)
        token = str(uuid.uuid4())
        self._jobs[token] = {"body": body, "polls": 0, "answer": None}
        return JSONResponse({"token": token}, status_code=201)

    async def get(self, request: Request) -> JSONResponse:
        self.polls += 1
        job = self._jobs.get(request.path_params["token"])
        if job is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        if job["polls"] < self.polls_before_done:
            job["polls"] += 1
            return JSONResponse({"status": {"id": 2, "description": "Processing"}})
        if job["answer"] is None:
            job["answer"] = await self._execute(job["body"])
        return JSONResponse(job["answer"])

    async def _execute(self, body: dict[str, Any]) -> dict[str, Any]:
        source = _unb64(body.get("source_code"))
        for line in source.splitlines():
            if line.startswith("# judge0-status:"):
                status = int(line.split(":", 1)[1])
                return self._answer(status, compile_output="SyntaxError: scripted")
        argv = (
            [sys.executable, "-I", "-S", "-c", source]
            if body["language_id"] == 71
            else ["node", "-e", source]
        )
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(_unb64(body.get("stdin")).encode()),
                timeout=float(body.get("wall_time_limit") or 5),
            )
        except TimeoutError:
            process.kill()
            await process.wait()
            return self._answer(5)
        stdout, stderr = out.decode(), err.decode()
        if process.returncode != 0:
            return self._answer(11, stdout=stdout, stderr=stderr, exit_code=process.returncode)
        expected = body.get("expected_output")
        status = 3
        if expected is not None and _judge0_strip(_unb64(expected)) != _judge0_strip(stdout):
            status = 4
        return self._answer(status, stdout=stdout, stderr=stderr, exit_code=0)

    @staticmethod
    def _answer(status: int, **fields: Any) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "status": {"id": status, "description": DESCRIPTIONS.get(status, "Other")},
            "time": "0.012",
            "memory": 3100,
            "exit_code": fields.get("exit_code"),
            "message": None,
        }
        for name in ("stdout", "stderr", "compile_output"):
            value = fields.get(name)
            answer[name] = _b64(value) if value else None
        return answer


@contextlib.asynccontextmanager
async def serve(fake: FakeJudge0) -> AsyncIterator[FakeJudge0]:
    """Serve ``fake`` with uvicorn on 127.0.0.1 (a random port) for the duration."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fake.app(), lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield fake
    finally:
        server.should_exit = True
        await task
        sock.close()
