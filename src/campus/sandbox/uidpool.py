"""A pool of dedicated, unprivileged uids: one per concurrently running job.

Two jobs must never share a uid: the uid is what separates their files and processes, and the
post-run sweep kills *every* process of the job's uid. The pool therefore guarantees

* within one worker process: a uid is leased to at most one job at a time (a
  :class:`threading.Lock` guards the free list, so leases can be taken from the event loop and
  from worker threads alike; async callers wait for a release without polling);
* across worker processes on the same host (several ``campus worker`` processes): every lease
  also holds an exclusive ``flock`` on ``<lock_dir>/uid-<n>.lock``; a uid locked by another
  process is skipped. ``lock_dir`` must be owned by us and not writable by anyone else.

Uids that exist in the passwd or group database are excluded: a "dedicated" uid belongs to
no real account, so killing all its processes can never hit anything else. gid == uid.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import grp
import logging
import os
import pwd
import stat
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

logger = logging.getLogger("campus.sandbox")

DEFAULT_FIRST_UID = 61000
DEFAULT_POOL_SIZE = 64
_CROSS_PROCESS_RETRY_SECONDS = 0.05


class UidPoolExhausted(RuntimeError):
    pass


@dataclass(eq=False)
class UidLease:
    """A uid/gid reserved for one job. Release it exactly once (extra releases are no-ops)."""

    uid: int
    gid: int
    _pool: UidPool = field(repr=False)
    _lock_fd: int | None = field(default=None, repr=False)
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        self._pool._release(self)


def _safe_lock_dir(path: str) -> str:
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise PermissionError(
            f"uid pool lock directory {path!r} must be a directory owned by uid "
            f"{os.geteuid()} and writable by nobody else"
        )
    return path


def default_lock_dir() -> str:
    if os.geteuid() == 0 and os.path.isdir("/run"):
        return "/run/campus-sandbox"
    return os.path.join(tempfile.gettempdir(), f"campus-sandbox-{os.geteuid()}")


def _uid_in_use(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    try:
        grp.getgrgid(uid)
        return True
    except KeyError:
        return False


class UidPool:
    """Leases uids ``first_uid .. first_uid + size - 1`` (minus the ones in use on the host)."""

    def __init__(
        self,
        first_uid: int = DEFAULT_FIRST_UID,
        size: int = DEFAULT_POOL_SIZE,
        *,
        lock_dir: str | None = None,
        cross_process: bool = True,
    ) -> None:
        if first_uid < 1000 or size < 1 or first_uid + size > 2**31:
            raise ValueError("the uid pool must be a range of unprivileged uids")
        uids = [u for u in range(first_uid, first_uid + size) if not _uid_in_use(u)]
        skipped = size - len(uids)
        if skipped:
            logger.warning(
                "uid pool: %d uid(s) in %d..%d belong to accounts, skipped",
                skipped,
                first_uid,
                first_uid + size - 1,
            )
        if not uids:
            raise ValueError("the uid pool has no usable uid")
        self.uids: tuple[int, ...] = tuple(uids)
        self._free: collections.deque[int] = collections.deque(uids)
        self._mutex = threading.Lock()
        self._waiters: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]
        self._waiters = collections.deque()
        self._lock_dir = _safe_lock_dir(lock_dir or default_lock_dir()) if cross_process else None

    @property
    def size(self) -> int:
        return len(self.uids)

    def in_use(self) -> int:
        with self._mutex:
            return len(self.uids) - len(self._free)

    def _try_flock(self, uid: int) -> tuple[bool, int | None]:
        if self._lock_dir is None:
            return True, None
        path = os.path.join(self._lock_dir, f"uid-{uid}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False, None
        except BaseException:
            os.close(fd)
            raise
        return True, fd

    def try_acquire(self) -> UidLease | None:
        """A lease, or ``None`` if every uid is taken right now (never blocks)."""
        with self._mutex:
            for _ in range(len(self._free)):
                uid = self._free.popleft()
                ok, fd = self._try_flock(uid)
                if ok:
                    return UidLease(uid, uid, self, fd)
                self._free.append(uid)  # held by another process: try the next one
        return None

    async def acquire(self) -> UidLease:
        """Wait until a uid is free and lease it."""
        loop = asyncio.get_running_loop()
        while True:
            lease = self.try_acquire()
            if lease is not None:
                return lease
            future: asyncio.Future[None] = loop.create_future()
            with self._mutex:
                all_local = not self._free  # every uid is leased by *this* process
                self._waiters.append((loop, future))
            try:
                if all_local:
                    await future  # woken by _release
                else:  # some uid is locked by another process: it does not notify us
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(future, _CROSS_PROCESS_RETRY_SECONDS)
            finally:
                with self._mutex, contextlib.suppress(ValueError):
                    self._waiters.remove((loop, future))

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[UidLease]:
        lease = await self.acquire()
        try:
            yield lease
        finally:
            lease.release()

    def _release(self, lease: UidLease) -> None:
        with self._mutex:
            if lease._released:
                return
            lease._released = True
            if lease._lock_fd is not None:
                os.close(lease._lock_fd)  # drops the flock
                lease._lock_fd = None
            self._free.append(lease.uid)
            waiters = list(self._waiters)
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # loop closed
                loop.call_soon_threadsafe(_wake, future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
