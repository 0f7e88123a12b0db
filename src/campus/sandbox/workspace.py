"""The per-execution job directory on the host, and the clean-up that never follows links.

Layout: ``<workspace_root>/campus-sbx-<random suffix>/`` (owned by the worker, mode 0711: others may
traverse it but neither list nor modify it) containing ``job/`` (mode 0700, owned by the job
uid) with the staged submission, and ``fs/`` (mode 0700, the worker's): the mount point on
which the launcher builds the job's own root file system when it makes the namespaces itself.
Because the outer directory is not writable by the job uid, the program cannot rename
``job/`` away or swap it for a symlink.

Removal uses :func:`shutil.rmtree`, which on Linux works with ``openat``/``O_NOFOLLOW``
(``rmtree.avoids_symlink_attacks``): symlinks planted by the program are unlinked, never
followed, so files outside the job directory are never deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("campus.sandbox")

# Host directories any uid can write to: without namespaces (the weak, development-only
# sandbox) a job could leave files there (to persist data between its executions, or to pass
# hidden test data to another job). With namespaces the job never sees them.
WORLD_WRITABLE_DIRS = (  # nosec B108
    "/tmp",  # noqa: S108
    "/var/tmp",  # noqa: S108
    "/dev/shm",  # noqa: S108
    "/dev/mqueue",
    "/run/lock",
)
_SWEEP_MAX_ENTRIES = 100_000

if not shutil.rmtree.avoids_symlink_attacks:  # pragma: no cover - not Linux
    raise ImportError("the sandbox needs a symlink-attack-safe shutil.rmtree (Linux)")


class Workspace:
    def __init__(self, root: str, job_dir: str) -> None:
        self.root = root
        self.job_dir = job_dir
        self.fs_dir = os.path.join(root, "fs")

    @classmethod
    def create(cls, base: str | None, uid: int | None, gid: int | None) -> Workspace:
        root = tempfile.mkdtemp(prefix="campus-sbx-", dir=base)
        try:
            os.chmod(root, 0o711)  # noqa: S103 - traverse only  # nosec B103
            job_dir = os.path.join(root, "job")
            os.mkdir(job_dir, 0o700)
            os.mkdir(os.path.join(root, "fs"), 0o700)
            if uid is not None and gid is not None:
                os.chown(job_dir, uid, gid)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cls(root, job_dir)

    def stage(self, name: str, data: bytes) -> str:
        """Write a read-only file (owned by the worker) into the job directory."""
        if "/" in name or name in (".", ".."):
            raise ValueError(f"bad staged file name {name!r}")
        path = os.path.join(self.job_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o444)  # umask may have removed bits
        return path

    def remove(self) -> None:
        shutil.rmtree(self.root, onerror=_make_removable)


def _make_removable(function: Callable[..., Any], path: str, exc_info: Any) -> None:
    """Unprivileged clean-up: the job may have chmod-ed its own directories to 000.

    (``onerror`` rather than 3.12's ``onexc``: the project supports Python 3.11.)
    """
    exc = exc_info[1]
    if not isinstance(exc, PermissionError):
        raise exc
    parent = os.path.dirname(path)
    info = os.lstat(parent)
    if not stat.S_ISDIR(info.st_mode):
        raise exc
    os.chmod(parent, 0o700)
    with contextlib.suppress(FileNotFoundError):
        target = os.lstat(path)
        if stat.S_ISDIR(target.st_mode):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=_make_removable)
        else:
            os.unlink(path)


def sweep_files_of_uid(uid: int, gid: int, roots: tuple[str, ...] = WORLD_WRITABLE_DIRS) -> int:
    """Delete what ``uid`` left in the host's world-writable directories; returns the count.

    Only directories the uid could write into are descended; nothing is followed.
    """
    removed, seen = 0, 0
    todo = [r for r in roots if os.path.isdir(r) and not os.path.islink(r)]
    while todo and seen < _SWEEP_MAX_ENTRIES:
        directory = todo.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid == uid:
                try:
                    if stat.S_ISDIR(info.st_mode):
                        shutil.rmtree(entry.path, onerror=_make_removable)
                    else:
                        os.unlink(entry.path)
                    removed += 1
                except OSError as exc:
                    logger.warning("sandbox sweep could not remove %s: %s", entry.path, exc)
            elif stat.S_ISDIR(info.st_mode) and (
                info.st_mode & stat.S_IWOTH or (info.st_gid == gid and info.st_mode & stat.S_IWGRP)
            ):
                todo.append(entry.path)
    return removed
