"""A :class:`CodeRunner` backed by a Judge0-compatible server (https://judge0.com), for when
grading outgrows one machine.

Protocol (Judge0 CE 1.13 API): per test case ``POST /submissions?base64_encoded=true&wait=false``
with ``source_code``, ``language_id`` (Python 71, JavaScript 63), ``stdin``,
``expected_output`` (stdio tests) and the limits, then poll ``GET /submissions/{token}`` until
the status is no longer *In Queue* (1) or *Processing* (2).

Verdicts: statuses 3 *Accepted* and 4 *Wrong Answer* mean "the program ran to completion";
Campus then compares the returned stdout itself (exact / whitespace / numeric, exactly as the
local sandbox does: Judge0's own comparison strips trailing whitespace, which would make
``exact`` looser on one runner than on the other). 5 is a timeout, 6 a compilation error,
7-12 runtime errors (signals, non-zero exit), 13/14 and anything unknown an infrastructure
error of the grader (the submission's verdict becomes ``ERROR``).

Function-call cases are wrapped into a stdin/stdout program: the wrapper reads the arguments
from stdin, calls ``solve(*args)`` and prints one result frame ``<nonce> <json>`` (the nonce is
fresh per test); the return value is compared here, so expected values of function cases never
leave Campus. Hidden test cases never reveal output, diff or error text (same rule as the
local sandbox). The Judge0 server is trusted infrastructure: it receives hidden inputs and the
expected output of hidden stdio cases, as a grader must.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import secrets
from collections.abc import Sequence
from typing import Any

import httpx

from campus.coding.settings import CodingSettings
from campus.kernel.logging import get_logger
from campus.sandbox import (
    RunReport,
    RunStatus,
    SandboxLayers,
    SandboxLimits,
    TestCase,
    TestResult,
    TestStatus,
    UnsupportedLanguage,
)
from campus.sandbox.compare import (
    canonical_json,
    text_matches,
    truncate,
    unified_diff,
    value_matches,
)
from campus.sandbox.models import total_weight

log = get_logger("campus.coding.judge0")

LANGUAGE_IDS = {"python": 71, "javascript": 63}
IN_QUEUE, PROCESSING, ACCEPTED, WRONG_ANSWER, TIME_LIMIT, COMPILATION_ERROR = 1, 2, 3, 4, 5, 6
RUNTIME_ERRORS = frozenset(range(7, 13))  # SIGSEGV, SIGXFSZ, SIGFPE, SIGABRT, NZEC, Other
_RESULT_FIELDS = "stdout,stderr,compile_output,message,status,time,memory,exit_code"

PYTHON_WRAPPER = """\
import json, os, sys
NONCE = {nonce!r}
SOURCE = {source!r}
def _campus_main():
    args = json.loads(sys.stdin.read())["args"]
    namespace = {{"__name__": "solution", "__file__": "solution.py"}}
    try:
        exec(compile(SOURCE, "solution.py", "exec"), namespace)
        function = namespace.get({entry!r})
        if not callable(function):
            raise NameError("the submission does not define a function {entry}")
        value = function(*args)
        json.dumps(value, allow_nan=False)
        out = {{"ok": True, "value": value}}
    except BaseException as exc:
        out = {{"ok": False, "exc_type": type(exc).__name__, "message": str(exc)[:2000]}}
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    os.write(1, ("\\n" + NONCE + " " + json.dumps(out, allow_nan=False) + "\\n").encode())
    os._exit(0)
_campus_main()
"""

JAVASCRIPT_WRAPPER = """\
'use strict';
const NONCE = {nonce};
const SOURCE = {source};
const fs = require('fs');
function emit(out) {{
  fs.writeSync(1, '\\n' + NONCE + ' ' + JSON.stringify(out) + '\\n');
  process.reallyExit(0);
}}
function failure(err) {{
  const type = (err && err.constructor && err.constructor.name) || typeof err;
  const message = String(err && err.message !== undefined ? err.message : err).slice(0, 2000);
  return {{ ok: false, exc_type: type, message: message }};
}}
try {{
  const args = JSON.parse(fs.readFileSync(0, 'utf8')).args;
  const module = {{ exports: {{}} }};
  const load = new Function('module', 'exports', 'require',
    SOURCE + '\\n;return typeof {entry} === "function" ? {entry} : undefined;');
  const local = load(module, module.exports, require);
  const mod = module.exports;
  let fn = local;
  if (typeof mod === 'function') fn = mod;
  else if (mod && typeof mod.{entry} === 'function') fn = mod.{entry};
  if (typeof fn !== 'function') {{
    throw new ReferenceError("the submission does not export a function '{entry}'");
  }}
  Promise.resolve(fn(...args)).then(
    (value) => {{
      const encoded = JSON.stringify(value);
      emit({{ ok: true, value: encoded === undefined ? null : JSON.parse(encoded) }});
    }},
    (err) => emit(failure(err)),
  );
}} catch (err) {{
  emit(failure(err));
}}
"""


class Judge0Error(RuntimeError):
    """The Judge0 server failed or answered something unusable (an infrastructure error)."""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


def _unb64(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return base64.b64decode(value).decode("utf-8", "replace")
    except (ValueError, UnicodeDecodeError):
        return ""


def wrap_function_program(language: str, source: str, nonce: str, entry: str = "solve") -> str:
    """The stdin/stdout program that runs one function-call case (see the module docstring)."""
    if language == "python":
        return PYTHON_WRAPPER.format(nonce=nonce, source=source, entry=entry)
    return JAVASCRIPT_WRAPPER.format(
        nonce=json.dumps(nonce), source=json.dumps(source), entry=entry
    )


def _layers(base_url: str) -> SandboxLayers:
    return SandboxLayers(
        rlimits=False,
        uid_switch=False,
        bubblewrap=False,
        pid_namespace=False,
        network_isolated=False,
        notes=(f"graded remotely by Judge0 at {httpx.URL(base_url).host}",),
    )


class Judge0Runner:
    """:class:`~campus.sandbox.CodeRunner` talking to Judge0 over HTTP.

    Test cases of one submission run concurrently (at most ``max_parallel`` at a time); each
    one polls every ``poll_seconds`` and gives up after ``timeout_seconds``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str = "",
        poll_seconds: float = 0.5,
        timeout_seconds: float = 60.0,
        max_parallel: int = 4,
        display_limit: int = 2000,
        entrypoint: str = "solve",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.display_limit = display_limit
        self.entrypoint = entrypoint
        self._parallel = asyncio.Semaphore(max_parallel)
        headers = {"X-Auth-Token": auth_token} if auth_token else {}
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=30.0, transport=transport
        )
        self.layers = _layers(self.base_url)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def languages(self) -> tuple[str, ...]:
        return tuple(LANGUAGE_IDS)

    async def run(
        self,
        language: str,
        source: str,
        tests: Sequence[TestCase],
        limits: SandboxLimits,
    ) -> RunReport:
        if language not in LANGUAGE_IDS:
            raise UnsupportedLanguage(f"unsupported language {language!r}")
        if not tests:
            raise ValueError("at least one test case is required")
        outcomes = await asyncio.gather(
            *(self._one(language, source, test, limits) for test in tests)
        )
        results = [result for result, _executed, _infra in outcomes]
        infra = [error for _r, _e, error in outcomes if error]
        executed = sum(1 for _r, ran, _e in outcomes if ran)
        total = total_weight(tests)
        earned = math.fsum(r.weight for r in results if r.passed)
        if infra:
            status = RunStatus.ERROR
            log.error("judge0_infrastructure_failure", error=infra[0][:300])
        elif all(r.passed for r in results):
            status = RunStatus.PASSED
        else:
            status = RunStatus.FAILED
        return RunReport(
            status=status,
            score=round(earned / total * 100.0, 6) if total > 0 else 0.0,
            max_score=100.0,
            results=tuple(results),
            tests_executed=executed,
            tests_expected=len(tests),
            language=language,
            layers=self.layers,
            error=infra[0] if infra else None,
        )

    async def _one(
        self, language: str, source: str, test: TestCase, limits: SandboxLimits
    ) -> tuple[TestResult, bool, str | None]:
        nonce = secrets.token_hex(16)
        body: dict[str, Any] = {
            "language_id": LANGUAGE_IDS[language],
            "cpu_time_limit": limits.cpu_seconds,
            "wall_time_limit": limits.wall_seconds,
            "memory_limit": max(2048, limits.memory_bytes // 1024),
            "max_file_size": max(1, limits.max_file_bytes // 1024),
            "enable_network": False,
        }
        if test.kind == "stdio":
            body["source_code"] = _b64(source)
            body["stdin"] = _b64(test.input)
            body["expected_output"] = _b64(str(test.expected))
        else:
            program = wrap_function_program(language, source, nonce, self.entrypoint)
            body["source_code"] = _b64(program)
            body["stdin"] = _b64(json.dumps({"args": test.arguments()}, allow_nan=False))
        try:
            async with self._parallel:
                answer = await asyncio.wait_for(self._submit_and_wait(body), self.timeout_seconds)
        except (httpx.HTTPError, Judge0Error, TimeoutError, ValueError) as exc:
            reason = f"Judge0 failed: {type(exc).__name__}"
            if isinstance(exc, Judge0Error):
                reason = f"Judge0 failed: {exc}"
            return self._result(test, TestStatus.ERROR, error="grader failure"), False, reason
        return self._judge(test, answer, nonce)

    async def _submit_and_wait(self, body: dict[str, Any]) -> dict[str, Any]:
        created = await self._client.post(
            "/submissions", params={"base64_encoded": "true", "wait": "false"}, json=body
        )
        if created.status_code not in (200, 201):
            raise Judge0Error(f"submission refused with HTTP {created.status_code}")
        token = created.json().get("token")
        if not isinstance(token, str) or not token or "/" in token:
            raise Judge0Error("no submission token in the answer")
        while True:
            polled = await self._client.get(
                f"/submissions/{token}",
                params={"base64_encoded": "true", "fields": _RESULT_FIELDS},
            )
            if polled.status_code != 200:
                raise Judge0Error(f"polling answered HTTP {polled.status_code}")
            answer = polled.json()
            status = answer.get("status") if isinstance(answer, dict) else None
            status_id = status.get("id") if isinstance(status, dict) else None
            if not isinstance(status_id, int):
                raise Judge0Error("no status in the answer")
            if status_id not in (IN_QUEUE, PROCESSING):
                return dict(answer)
            await asyncio.sleep(self.poll_seconds)

    def _result(
        self,
        test: TestCase,
        status: TestStatus,
        *,
        answer: dict[str, Any] | None = None,
        output: str | None = None,
        diff: str | None = None,
        error: str | None = None,
    ) -> TestResult:
        seconds = answer.get("time") if answer else None
        memory = answer.get("memory") if answer else None
        try:
            time_ms = round(float(seconds) * 1000, 3) if seconds is not None else 0.0
        except (TypeError, ValueError):
            time_ms = 0.0
        hidden = test.hidden
        return TestResult(
            id=test.id,
            passed=status is TestStatus.PASSED,
            status=status,
            time_ms=time_ms,
            memory_kb=memory if isinstance(memory, int) and memory >= 0 else 0,
            weight=test.weight,
            hidden=hidden,
            output=None if hidden else output,
            diff=None if hidden else diff,
            error=None if hidden else error,
        )

    def _judge(
        self, test: TestCase, answer: dict[str, Any], nonce: str
    ) -> tuple[TestResult, bool, str | None]:
        status_id = answer["status"]["id"]
        stdout = _unb64(answer.get("stdout"))
        stderr = _unb64(answer.get("stderr"))
        shown = self.display_limit
        if status_id == TIME_LIMIT:
            return (
                self._result(test, TestStatus.TIMEOUT, answer=answer, error="time limit exceeded"),
                False,
                None,
            )
        if status_id == COMPILATION_ERROR:
            detail = truncate(_unb64(answer.get("compile_output")), shown)
            error = f"compilation error\n{detail}".strip()
            return self._result(test, TestStatus.ERROR, answer=answer, error=error), False, None
        if status_id in RUNTIME_ERRORS:
            what = str(answer["status"].get("description") or "runtime error")
            error = f"runtime error ({what})\n{stderr[-shown:]}".strip()
            return self._result(test, TestStatus.ERROR, answer=answer, error=error), False, None
        if status_id not in (ACCEPTED, WRONG_ANSWER):
            reason = f"Judge0 status {status_id}: {answer['status'].get('description', '')}"
            failure = self._result(test, TestStatus.ERROR, answer=answer, error="grader failure")
            return failure, False, reason[:300]
        if test.kind == "stdio":
            passed = text_matches(stdout, str(test.expected), test)
            diff = None if passed else unified_diff(str(test.expected), stdout, shown)
            status = TestStatus.PASSED if passed else TestStatus.FAILED
            result = self._result(
                test, status, answer=answer, output=truncate(stdout, shown), diff=diff
            )
            return result, True, None
        return self._judge_function(test, answer, stdout, nonce)

    def _judge_function(
        self, test: TestCase, answer: dict[str, Any], stdout: str, nonce: str
    ) -> tuple[TestResult, bool, str | None]:
        prefix = nonce + " "
        frames = [line[len(prefix) :] for line in stdout.split("\n") if line.startswith(prefix)]
        if len(frames) != 1:
            error = "no result: the program ended before the function returned"
            if frames:
                error = "the program interfered with the test harness"
            return self._result(test, TestStatus.ERROR, answer=answer, error=error), False, None
        try:
            frame = json.loads(frames[0])
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            error = "the program interfered with the test harness"
            return self._result(test, TestStatus.ERROR, answer=answer, error=error), False, None
        if frame.get("ok") is not True or "value" not in frame:
            exc_type = str(frame.get("exc_type", "Exception"))
            if exc_type == "MemoryError":
                return (
                    self._result(
                        test, TestStatus.MEMORY, answer=answer, error="memory limit exceeded"
                    ),
                    False,
                    None,
                )
            message = truncate(f"{exc_type}: {frame.get('message', '')}", self.display_limit)
            return self._result(test, TestStatus.ERROR, answer=answer, error=message), False, None
        value = frame["value"]
        passed = value_matches(value, test.expected, test)
        rendered = canonical_json(value)
        diff = None
        if not passed:
            diff = unified_diff(canonical_json(test.expected), rendered, self.display_limit)
        status = TestStatus.PASSED if passed else TestStatus.FAILED
        output = truncate(rendered, self.display_limit)
        return self._result(test, status, answer=answer, output=output, diff=diff), True, None


def judge0_runner(coding: CodingSettings) -> Judge0Runner:
    """The Judge0 runner ``CAMPUS_JUDGE0_*`` configure (``CAMPUS_CODE_RUNNER=judge0``)."""
    if not coding.judge0_url:
        raise ValueError("CAMPUS_JUDGE0_URL must be set when CAMPUS_CODE_RUNNER=judge0")
    return Judge0Runner(
        coding.judge0_url,
        auth_token=coding.judge0_auth_token.get_secret_value(),
        poll_seconds=coding.judge0_poll_seconds,
        timeout_seconds=coding.judge0_timeout_seconds,
    )
