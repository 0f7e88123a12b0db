"""In-sandbox harness for Python submissions (runs INSIDE the sandbox, under the sandbox's
interpreter, as ``python -I -S -B -X utf8 -c <this source> MODE NONCE SOLUTION_PATH ENTRY``).

It must stay standard-library only and compatible with Python >= 3.8 (the sandbox may use the
system interpreter rather than the worker's). It never sees an expected output: comparing is
the trusted runner's job.

Protocol (the result channel is fd 3, a pipe whose other end only the runner holds; every
frame is one line ``<nonce> <json object>``):

``stdio`` mode
    write ``{"event": "ready"}``, close fd 3, then run the submission as ``__main__`` with the
    test's input on stdin. Its stdout is the answer. The ready frame proves that the sandbox
    came up (a missing one is an infrastructure failure, not the learner's); closing fd 3
    before any learner code runs seals the channel.
``function`` mode
    read ``{"args": [...]}`` from stdin (an unlinked file the runner prepared), replace stdin
    with ``/dev/null``, write the ready frame, import the submission, call
    ``ENTRY(*args)`` and write ``{"event": "result", "ok": true, "value": <return value>}`` (or
    ``"ok": false`` with the exception), then ``os._exit(0)`` so that no learner ``atexit``
    hook, thread or ``__del__`` runs afterwards.

The submission runs in this very process, so it *can* tamper with the harness or write its
own frames. That is harmless by construction: the channel only carries "the value ``solve``
returned", which the submission could produce honestly by returning it; the verdict is made
outside by comparing that value with an expected value the sandbox never sees; and the runner
rejects any channel content that is not exactly the expected sequence of frames.
"""

from __future__ import annotations

import builtins
import os
import sys

# Only builtin modules at run time: every millisecond here is paid by every test execution
# (``json`` and ``traceback`` are imported lazily, and only where needed; not even ``typing``).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

RESULT_FD = 3
_MAX_MESSAGE = 2000


def _write(line: str) -> None:
    data = memoryview(line.encode("ascii"))
    while data:
        data = data[os.write(RESULT_FD, data) :]


def _frame(nonce: str, payload: dict[str, Any]) -> None:
    import json

    _write(nonce + " " + json.dumps(payload, separators=(",", ":"), allow_nan=False) + "\n")


def _learner_traceback(exc: BaseException, path: str) -> str:
    """The traceback restricted to the learner's own frames (no harness noise)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
    lines = traceback.format_exception_only(type(exc), exc)
    if frames:
        lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames), *lines]
    return "".join(lines)[-_MAX_MESSAGE:]


def _exception_payload(exc: BaseException, path: str) -> dict[str, Any]:
    try:
        message = str(exc)[:_MAX_MESSAGE]
    except BaseException:
        message = "<unprintable exception>"
    try:
        trace = _learner_traceback(exc, path)
    except BaseException:
        trace = ""
    return {
        "event": "result",
        "ok": False,
        "exc_type": type(exc).__name__,
        "message": message,
        "traceback": trace,
    }


def _load(path: str, name: str) -> Any:
    """Execute the submission as module ``name`` (``__main__`` for stdio programs)."""
    with open(path, "rb") as handle:
        code = compile(handle.read(), path, "exec", dont_inherit=True)
    if not hasattr(builtins, "exit"):  # provided by ``site``, which -S skips
        setattr(builtins, "exit", sys.exit)  # noqa: B010 - not a typed attribute
        setattr(builtins, "quit", sys.exit)  # noqa: B010
    module = type(sys)(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(code, module.__dict__)  # noqa: S102 - the point  # nosec B102
    return module


def _run_stdio(nonce: str, path: str) -> NoReturn:
    _write(nonce + ' {"event":"ready"}\n')
    os.close(RESULT_FD)
    sys.argv = [path]
    try:
        _load(path, "__main__")
    except SystemExit:
        raise
    except MemoryError:
        os.write(2, b"MemoryError\n")
        os._exit(1)
    except BaseException as exc:
        try:
            sys.stderr.write(_learner_traceback(exc, path))
            sys.stderr.flush()
        finally:
            os._exit(1)
    sys.exit(0)


def _run_function(nonce: str, path: str, entry: str) -> NoReturn:
    import json

    control = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    args = control["args"]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _frame(nonce, {"event": "ready"})
    payload: dict[str, Any]
    try:
        module = _load(path, "solution")
        function = getattr(module, entry, None)
        if not callable(function):
            raise NameError(f"the submission does not define a function {entry!r}")
        value = function(*args)
        payload = {"event": "result", "ok": True, "value": value}
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            payload = {
                "event": "result",
                "ok": False,
                "exc_type": "TypeError",
                "message": f"the return value is not JSON-serializable: {exc}"[:_MAX_MESSAGE],
                "traceback": "",
            }
    except BaseException as exc:  # SystemExit included: exiting is not returning
        payload = _exception_payload(exc, path)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: S110 - a broken stdout must not prevent the result frame
        pass
    _frame(nonce, payload)
    os._exit(0)


def main() -> NoReturn:
    mode, nonce, path, entry = sys.argv[1:5]
    os.set_inheritable(RESULT_FD, False)  # never leak the channel into learner subprocesses
    if mode == "stdio":
        _run_stdio(nonce, path)
    _run_function(nonce, path, entry)


if __name__ == "__main__":
    main()
