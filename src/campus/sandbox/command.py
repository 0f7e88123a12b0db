"""Command lines of a sandboxed execution: the bubblewrap wrapper and the minimal environment.

Filesystem view under bubblewrap (everything else of the host is simply absent):

=====================  ==========================================================
``/usr`` (+ ``/bin``,   read-only binds of the system directories needed to run the
``/lib``, ``/lib64``,   interpreter (symlinks are recreated as symlinks, as on
``/sbin``)              merged-/usr systems)
``/etc/ld.so.cache``,   read-only; nothing else of ``/etc`` (no passwd, no resolv.conf,
``/etc/alternatives``   no secrets)
interpreter prefix      read-only bind of the interpreter's prefix when it lives outside
                        ``/usr`` (e.g. ``/opt/python3.11``)
``/proc``               a fresh procfs of the new PID namespace
``/dev``                a minimal devtmpfs (null, zero, random, urandom, tty...), then
                        remounted read-only
``/dev/shm``, ``/tmp``  private tmpfs, ``max_workspace_bytes`` each
``/sandbox``            private tmpfs (mode 0700, ``max_workspace_bytes``): the working
                        directory and ``HOME``; the staged submission is bind-mounted
                        read-only into it from the host job directory
``/``                   bubblewrap's own tmpfs, remounted read-only at the end
=====================  ==========================================================

Nothing the program writes ever reaches the host's disk, and the writable areas are bounded;
all of them vanish with the mount namespace.

Without bubblewrap the launcher builds the same view itself (``namespace_mounts`` lists the
operations; ``launcher.enter_namespaces`` performs them in the job's own mount namespace and
``pivot_root``-s into it, ADR 0024), so a job sees the same file system either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from campus.sandbox.limits import SandboxLimits

SANDBOX_DIR = "/sandbox"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
_SYSTEM_DIRS = ("/usr",)
_SYSTEM_LINKS_OR_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/alternatives")


def sandbox_env(home: str) -> dict[str, str]:
    """The complete environment of a sandboxed program: nothing is inherited.

    (Under bubblewrap, ``--chdir`` additionally exports ``PWD=/sandbox``.)
    """
    return {
        "PATH": SANDBOX_PATH,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": home,
    }


def is_system_path(path: str) -> bool:
    """True if ``path`` is visible inside the sandbox through the system binds."""
    real = os.path.realpath(path)
    return any(real == d or real.startswith(d + "/") for d in _SYSTEM_DIRS)


def bwrap_command(
    bwrap: str,
    inner: Sequence[str],
    *,
    uid: int,
    gid: int,
    limits: SandboxLimits,
    files: Mapping[str, str],
    extra_ro_binds: Sequence[str] = (),
    seccomp_fd: int | None = None,
    mapped_ro_binds: Mapping[str, str] | None = None,
) -> list[str]:
    """``bwrap ... -- inner...``.

    ``files`` maps names inside ``/sandbox`` to host paths (bound read-only);
    ``extra_ro_binds`` are host directories made visible read-only at the same path.
    ``uid``/``gid`` are the ids *inside* the user namespace; we keep them equal to the ids
    bubblewrap runs as, so the mapping is the identity and host files keep their meaning.
    ``seccomp_fd`` is the descriptor (prepared by the launcher) holding the BPF filter.
    ``mapped_ro_binds`` maps paths inside the sandbox to host files bound read-only (trusted
    tools such as ``ruff`` at ``/opt/campus-tools/ruff``).
    """
    size = str(limits.max_workspace_bytes)
    args = [
        bwrap,
        "--unshare-all",  # user, ipc, pid, net, uts, cgroup namespaces
        "--unshare-user",
        "--disable-userns",  # no nested user namespaces (kernel attack surface)
        "--die-with-parent",
        "--new-session",  # setsid(): no TIOCSTI into a controlling terminal
        "--hostname",
        "sandbox",
        "--uid",
        str(uid),
        "--gid",
        str(gid),
    ]
    for directory in _SYSTEM_DIRS:
        args += ["--ro-bind", directory, directory]
    for path in _SYSTEM_LINKS_OR_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    for path in extra_ro_binds:
        args += ["--ro-bind", path, path]
    for inside, host_path in (mapped_ro_binds or {}).items():
        args += ["--ro-bind", host_path, inside]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", size, "--tmpfs", "/dev/shm"]  # noqa: S108 - private mount  # nosec B108
    args += ["--size", size, "--tmpfs", "/tmp"]  # noqa: S108 - private mount  # nosec B108
    args += ["--perms", "0700", "--size", size, "--tmpfs", SANDBOX_DIR]
    for name, host_path in files.items():
        args += ["--ro-bind", host_path, f"{SANDBOX_DIR}/{name}"]
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", SANDBOX_DIR]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args.append("--")
    return [*args, *inner]


def namespace_mounts(
    *,
    uid: int,
    gid: int,
    limits: SandboxLimits,
    files: Mapping[str, str],
    extra_ro_binds: Sequence[str] = (),
    mapped_ro_binds: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """The file system of a job without bubblewrap, as operations for the launcher: the
    same view as :func:`bwrap_command` (system directories read-only, a fresh ``/proc``, a
    minimal ``/dev``, private size-limited ``/tmp``, ``/dev/shm`` and ``/sandbox``, and a
    read-only root), so nothing else of the host - its data directory, other jobs, ``/run``,
    ``/var/tmp`` - exists for the job."""
    size = str(limits.max_workspace_bytes)
    ops: list[list[str]] = []
    for directory in _SYSTEM_DIRS:
        ops.append(["ro", directory, directory])
    for path in _SYSTEM_LINKS_OR_DIRS:
        if os.path.islink(path):
            ops.append(["symlink", os.readlink(path), path])
        elif os.path.isdir(path):
            ops.append(["ro", path, path])
    for path in _SYSTEM_FILES:
        ops.append(["ro-try", path, path])
    for path in extra_ro_binds:
        ops.append(["ro", path, path])
    for inside, host_path in (mapped_ro_binds or {}).items():
        ops.append(["ro", host_path, inside])
    ops.append(["proc", "/proc"])
    ops.append(["dev", "/dev"])
    shared = f"mode=1777,size={size}"
    ops.append(["tmpfs", "/dev/shm", shared])  # noqa: S108 - private mount  # nosec B108
    ops.append(["tmpfs", "/tmp", shared])  # noqa: S108 - private mount  # nosec B108
    ops.append(["tmpfs", SANDBOX_DIR, f"mode=0700,uid={uid},gid={gid},size={size}"])
    for name, host_path in files.items():
        ops.append(["ro", host_path, f"{SANDBOX_DIR}/{name}"])
    ops.append(["remount-ro", "/dev"])
    ops.append(["remount-ro", "/"])
    return ops
