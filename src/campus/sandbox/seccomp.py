"""A small seccomp-BPF deny-list, assembled by hand (no libseccomp in the standard library).

It removes kernel attack surface that no exercise needs: debugging other processes
(``ptrace``, ``process_vm_*``), namespaces and mounts (``unshare``, ``setns``, ``mount``...,
and ``clone`` with any ``CLONE_NEW*`` flag), kernel keyrings, eBPF, perf events,
``userfaultfd``, ``io_uring``, module loading, ``kexec``, ``reboot``, swap, ``acct``,
``syslog``, ``quotactl``, file handles, raw port I/O, and reaching into other processes
through pidfds (``pidfd_open``, ``pidfd_getfd``: a job could otherwise copy the descriptors of
another process of its uid). Without a network namespace (``inet=False``), ``socket()`` is
allowed for ``AF_UNIX`` only. Denied calls fail with ``EPERM``;
``clone3`` fails with ``ENOSYS`` so that the C library falls back to ``clone`` (whose flags,
unlike ``clone3``'s, a filter can inspect). A foreign architecture/ABI (e.g. x32 or a 32-bit
compat call) kills the process.

The filter is applied by bubblewrap (``--seccomp FD``) or, without bubblewrap, by the
launcher right before ``exec``. Syscall numbers were checked against the kernel headers
(``asm/unistd_64.h`` for x86_64, ``asm-generic/unistd.h`` for aarch64).

Why a deny-list assembled here rather than libseccomp or an allow-list: see ADR 0024 (no
maintained libseccomp binding installs from PyPI into our virtual environment; the namespaces,
the dedicated uid and the cgroup are the isolation, seccomp only trims kernel surface).
"""

from __future__ import annotations

import errno
import platform
import struct

# classic BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000

_OFFSET_NR = 0
_OFFSET_ARCH = 4
_OFFSET_ARG0_LOW = 16  # little-endian low 32 bits of args[0]

_AF_UNIX = 1
_CLONE_NEW_ANY = 0x7E020080  # NEWUSER|NEWPID|NEWNET|NEWIPC|NEWUTS|NEWCGROUP|NEWNS|NEWTIME

_DENIED = [
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "mount",
    "umount2",
    "pivot_root",
    "unshare",
    "setns",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "syslog",
    "quotactl",
    "open_by_handle_at",
    "name_to_handle_at",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "lookup_dcookie",
    "pidfd_open",
    "pidfd_getfd",
]

_ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        {
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "bpf": 321,
            "perf_event_open": 298,
            "userfaultfd": 323,
            "kexec_load": 246,
            "kexec_file_load": 320,
            "init_module": 175,
            "finit_module": 313,
            "delete_module": 176,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "unshare": 272,
            "setns": 308,
            "reboot": 169,
            "swapon": 167,
            "swapoff": 168,
            "acct": 163,
            "syslog": 103,
            "quotactl": 179,
            "open_by_handle_at": 304,
            "name_to_handle_at": 303,
            "iopl": 172,
            "ioperm": 173,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "mount_setattr": 442,
            "lookup_dcookie": 212,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "socket": 41,
            "clone": 56,
            "clone3": 435,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "bpf": 280,
            "perf_event_open": 241,
            "userfaultfd": 282,
            "kexec_load": 104,
            "kexec_file_load": 294,
            "init_module": 105,
            "finit_module": 273,
            "delete_module": 106,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "unshare": 97,
            "setns": 268,
            "reboot": 142,
            "swapon": 224,
            "swapoff": 225,
            "acct": 89,
            "syslog": 116,
            "quotactl": 60,
            "open_by_handle_at": 265,
            "name_to_handle_at": 264,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "mount_setattr": 442,
            "lookup_dcookie": 18,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "socket": 198,
            "clone": 220,
            "clone3": 435,
        },
    ),
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def build_filter(machine: str | None = None, *, inet: bool = True) -> bytes | None:
    """The filter as an array of ``struct sock_filter``, or ``None`` for an unknown arch.

    ``inet=False`` (no network namespace could be made): ``socket()`` of any family but
    ``AF_UNIX`` fails with ``EPERM``."""
    arch = _ARCHES.get(machine or platform.machine())
    if arch is None:
        return None
    audit_arch, numbers = arch
    denied = [numbers[name] for name in _DENIED if name in numbers]
    if "iopl" in numbers:
        denied += [numbers["iopl"], numbers["ioperm"]]
    # Layout (jump offsets are relative to the next instruction):
    #   0 ld arch; 1 jeq audit_arch ? 2 : KILL; 2 ld nr; [3 jge 0x40000000 -> KILL (x86 x32)]
    #   per denied nr: jeq nr -> EPERM
    #   jeq clone3 -> ENOSYS; jeq clone ? +0 : ALLOW; ld arg0; jset NEW_* -> EPERM; ret ALLOW
    #   ALLOW; EPERM; ENOSYS; KILL
    body: list[tuple[int, int, int, int]] = []
    body.append((_LD_W_ABS, 0, 0, _OFFSET_NR))
    if audit_arch == 0xC000003E:
        body.append((_JGE_K, 0, 0, 0x40000000))  # x32 ABI: jt patched to KILL
    for nr in denied:
        body.append((_JEQ_K, 0, 0, nr))  # jt patched to EPERM
    if not inet:
        # jeq socket ? next : skip 3; ld arg0; jeq AF_UNIX ? ALLOW : EPERM; ld nr again
        body.append((_JEQ_K, 0, 3, numbers["socket"]))  # "socket" marker, see below
        body.append((_LD_W_ABS, 0, 0, _OFFSET_ARG0_LOW))
        body.append((_JEQ_K, 0, 0, -_AF_UNIX))  # jt patched to ALLOW, jf to EPERM
        body.append((_RET_K, 0, 0, _RET_KILL_PROCESS))  # never reached (both jumps leave)
    body.append((_JEQ_K, 0, 0, numbers["clone3"]))  # jt patched to ENOSYS
    body.append((_JEQ_K, 0, 0, numbers["clone"]))  # jf patched to ALLOW
    body.append((_LD_W_ABS, 0, 0, _OFFSET_ARG0_LOW))
    body.append((_JSET_K, 0, 0, _CLONE_NEW_ANY))  # jt patched to EPERM, jf to ALLOW

    head = [(_LD_W_ABS, 0, 0, _OFFSET_ARCH), (_JEQ_K, 0, 0, audit_arch)]  # jf patched to KILL
    program = head + body
    allow = len(program)
    eperm, enosys, kill = allow + 1, allow + 2, allow + 3
    out: list[bytes] = []
    for index, (code, jt, jf, k) in enumerate(program):
        after = index + 1
        if index == 1:
            jf = kill - after
        elif code == _JGE_K:
            jt = kill - after
        elif code == _JEQ_K and k == -_AF_UNIX:
            jt, jf, k = allow - after, eperm - after, _AF_UNIX
        elif code == _JEQ_K and jf == 3 and k == numbers["socket"]:
            pass  # falls through to the AF_UNIX check, else skips it
        elif code == _JEQ_K and k == numbers["clone3"]:
            jt = enosys - after
        elif code == _JEQ_K and k == numbers["clone"]:
            jf = allow - after
        elif code == _JEQ_K:
            jt = eperm - after
        elif code == _JSET_K:
            jt, jf = eperm - after, allow - after
        if not (0 <= jt <= 255 and 0 <= jf <= 255):  # pragma: no cover - static layout
            raise ValueError("seccomp jump out of range")
        out.append(_insn(code, jt, jf, int(k)))
    out.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    out.append(_insn(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    out.append(_insn(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS))
    out.append(_insn(_RET_K, 0, 0, _RET_KILL_PROCESS))
    return b"".join(out)
