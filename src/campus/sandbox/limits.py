"""Resource limits of one sandboxed execution, and their translation into ``setrlimit`` calls.

Every limit applies to ONE execution, i.e. to one test case: the runner starts a fresh
sandboxed process (tree) per test case, so a test that exhausts its budget cannot starve the
next one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-execution limits.

    cpu_seconds
        ``RLIMIT_CPU`` (rounded up to whole seconds; the kernel sends ``SIGXCPU`` at the soft
        limit and ``SIGKILL`` one second later).
    wall_seconds
        Wall-clock budget, enforced by the trusted launcher; the whole process tree is
        ``SIGKILL``-ed when it is spent (sleeping or blocked programs do not use CPU).
    memory_bytes
        ``RLIMIT_AS`` (address space) of every process in the sandbox.
    max_processes
        ``RLIMIT_NPROC``: processes *and threads* of the sandbox uid (fork / thread bombs).
    max_file_bytes
        ``RLIMIT_FSIZE``: the largest file the program may write.
    max_open_files
        ``RLIMIT_NOFILE``.
    max_output_bytes
        Bytes read from each of stdout, stderr and the result channel; the program is killed
        and the test marked ``output_limit`` as soon as one of them overflows.
    max_workspace_bytes
        Size of the private, memory-backed writable areas (``/sandbox``, ``/tmp``,
        ``/dev/shm``) when bubblewrap is active. Without bubblewrap the job directory lives on
        the host filesystem and only ``max_file_bytes`` bounds what a single file may hold.
    """

    cpu_seconds: float = 2.0
    wall_seconds: float = 5.0
    memory_bytes: int = 256 * MiB
    max_processes: int = 32
    max_file_bytes: int = 1 * MiB
    max_open_files: int = 64
    max_output_bytes: int = 64 * KiB
    max_workspace_bytes: int = 16 * MiB

    def __post_init__(self) -> None:
        for name in (
            "cpu_seconds",
            "wall_seconds",
            "memory_bytes",
            "max_processes",
            "max_file_bytes",
            "max_open_files",
            "max_output_bytes",
            "max_workspace_bytes",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"SandboxLimits.{name} must be a positive number, got {value!r}")
        if self.max_open_files < 8:
            raise ValueError("SandboxLimits.max_open_files must be at least 8")

    @property
    def cpu_rlimit(self) -> tuple[int, int]:
        """``(soft, hard)`` for ``RLIMIT_CPU``: SIGXCPU at the soft limit, SIGKILL at hard."""
        soft = max(1, math.ceil(self.cpu_seconds))
        return soft, soft + 1

    def rlimits(self, *, address_space: bool = True) -> list[tuple[str, int, int]]:
        """``(resource name, soft, hard)`` triples that the launcher applies before ``exec``.

        Names (not numbers) cross the process boundary so that the launcher resolves them
        with its own :mod:`resource` module. ``address_space=False`` limits ``RLIMIT_DATA``
        instead of ``RLIMIT_AS``, for runtimes that reserve (but do not use) huge address
        ranges, such as V8/node.
        """
        cpu_soft, cpu_hard = self.cpu_rlimit
        memory = "RLIMIT_AS" if address_space else "RLIMIT_DATA"
        return [
            ("RLIMIT_CORE", 0, 0),
            ("RLIMIT_CPU", cpu_soft, cpu_hard),
            (memory, self.memory_bytes, self.memory_bytes),
            ("RLIMIT_NPROC", self.max_processes, self.max_processes),
            ("RLIMIT_FSIZE", self.max_file_bytes, self.max_file_bytes),
            ("RLIMIT_NOFILE", self.max_open_files, self.max_open_files),
        ]
