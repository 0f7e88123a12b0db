"""Local sandbox that runs learners' (hostile) code for auto-grading.

Public interface
----------------
``LocalSandboxRunner().run(language, source, tests, limits) -> RunReport`` (a
:class:`CodeRunner`), value objects :class:`SandboxLimits`, :class:`TestCase`,
:class:`TestResult`, :class:`RunReport`, and :func:`probe_layers` (which layers work here).
Languages: ``"python"``; ``"javascript"`` when ``node`` is installed.

Threat model
------------
The submission is arbitrary code written by an adversary who knows this design. It may try
to: exhaust CPU, memory, processes/threads, disk, inodes, file descriptors or output; run
forever or block; escape supervision (daemonize, ``setsid``, kill its parent); read secrets
(the worker's environment, root-only files, other jobs' data, hidden test cases); write or
delete host files (directly or through planted symlinks); use the network; spawn shells; use
``ptrace``; and above all *forge a passing grade*. The worker process, the launcher and the
kernel are trusted; bubblewrap is trusted when present.

Grading integrity does not depend on containment: expected outputs never enter the sandbox,
the trusted runner compares outputs itself, every test case is a separate execution, and a
test passes only when the runner holds a trustworthy answer (stdio: the program's stdout after
a clean exit; function: exactly the frames ``ready`` + ``result`` on a dedicated pipe, fd 3,
with the per-execution nonce - see ``harness.py`` for why in-process tampering with that
channel gains nothing). Early ``sys.exit``/``os._exit``, killing the harness, printing fake
frames on stdout, ``conftest.py``/``sitecustomize.py``/``.pth`` files (the interpreter runs
with ``-I -S``; the job directory is fresh per execution) therefore cannot raise the score.
Hidden tests never reveal input, expected value, output, diff or error message, and run after
the visible ones.

Layers (``probe_layers()`` verifies each one by running a real probe program)
------------------------------------------------------------------------------
1. **Trusted launcher** (``launcher.py``, always): per execution a single-threaded supervisor
   process - forked from the runner's long-lived ``-I -S`` zygote launcher (ADR 0018), or a
   one-shot ``-I -S`` interpreter - that is a child subreaper; its child calls ``setsid``,
   applies the rlimits
   (``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE``,
   ``RLIMIT_CORE=0``), drops privileges, sets ``no_new_privs`` and ``exec``-s the program with
   an empty environment (only ``PATH``, ``LANG``, ``PYTHONDONTWRITEBYTECODE``, ``HOME``) and
   stdin from an unlinked, read-only file holding exactly the test's input (function tests:
   the harness's control message, after which stdin is ``/dev/null``). The launcher enforces
   the wall-clock budget, then SIGKILLs the process group and every descendant (nothing can
   leave a subreaper's subtree), reaps them all and reports exit status, time and peak RSS.
   The job directory holds only the submission; the harness is passed with ``-c``.
2. **Dedicated uid** (when the worker runs as root): each concurrent job leases its own uid
   from :class:`UidPool` (gid = uid, no supplementary groups); the job directory is 0700 and
   owned by it; at the start and end of every job the runner sweeps ``/proc`` for that uid as
   a last line of defence, and after every execution (without bubblewrap) deletes the uid's
   files in ``/tmp``, ``/var/tmp``, ``/dev/shm``. Not root: the layer is reported inactive and
   jobs run as the worker's uid.
3. **bubblewrap** (when ``bwrap`` exists and works): new user, PID, network (loopback only),
   IPC, UTS and cgroup namespaces, no nested user namespaces, ``--die-with-parent``,
   ``--new-session``; a filesystem view with read-only system directories, no ``/etc``
   secrets, private bounded tmpfs for ``/sandbox`` (cwd), ``/tmp`` and ``/dev/shm``, and a
   read-only root (see ``command.py``). bubblewrap runs *as the job uid*, so the identity
   mapping keeps host permissions meaningful even inside the namespace.
4. **seccomp** (x86_64/aarch64, with or without bubblewrap): a hand-assembled BPF deny-list
   (``seccomp.py``) removes ``ptrace``, namespaces/mounts, keyrings, eBPF, perf, io_uring,
   userfaultfd, module loading and similar kernel attack surface.
5. **Bounded I/O and clean-up** (runner, always): stdout/stderr/result are read up to
   ``max_output_bytes`` (overflow kills the execution), job directories are removed with a
   symlink-safe ``rmtree``.

Residual risks: without bubblewrap there is no network isolation and no filesystem view
(world-readable host files are readable; world-writable directories are shared until the
post-execution sweep; SysV IPC objects are not cleaned) and disk usage is bounded only by
``max_file_bytes`` x time; without root, all jobs share the worker's uid and a job can kill
its own launcher (the report then says ``ERROR``). Kernel exploits through the remaining
syscalls and side channels (timing, CPU contention between concurrent jobs: there are no
cgroups) are out of scope. Production workers should run as root with bubblewrap; the probe
logs every inactive layer as a warning.
"""

from campus.sandbox.limits import SandboxLimits
from campus.sandbox.models import (
    Comparison,
    RunReport,
    RunStatus,
    TestCase,
    TestKind,
    TestResult,
    TestStatus,
)
from campus.sandbox.probe import SandboxLayers, SandboxUnavailable, probe_layers
from campus.sandbox.runner import (
    CodeRunner,
    LocalSandboxRunner,
    UnsupportedLanguage,
)
from campus.sandbox.uidpool import UidLease, UidPool

__all__ = [
    "CodeRunner",
    "Comparison",
    "LocalSandboxRunner",
    "RunReport",
    "RunStatus",
    "SandboxLayers",
    "SandboxLimits",
    "SandboxUnavailable",
    "TestCase",
    "TestKind",
    "TestResult",
    "TestStatus",
    "UidLease",
    "UidPool",
    "UnsupportedLanguage",
    "probe_layers",
]
