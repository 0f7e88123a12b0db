"""Upload content inspection: what a stored file really is, decided from its bytes, with every
archive bounded before and while it is looked at (ADR 0020, UP-03/UP-05).

``detect(handle, limits)`` is blocking, CPU-bound work with a time budget;
``detect_off_loop(path, limits)`` runs it in a small pool of worker processes, so the event
loop (and its interpreter lock) is never held by it. ``LocalFileStorage.save`` uses it.

* Markup (HTML, SVG, XML, script) is refused by its first tag, after any whitespace and
  byte-order marks (UTF-8, UTF-16, UTF-32), as browsers sniff it.
* A ZIP's central directory is walked record by record, never handed whole to ``zipfile``:
  the walk stops at ``max_entries`` and refuses declared sizes over ``max_expanded_bytes`` or
  over ``max_ratio`` times their compressed size, unsafe names (absolute, ``..``, NUL, drive
  letters), symbolic links, encryption and compression methods it cannot check.
* Then every entry is expanded with flat memory (64 KiB at a time, the output counted and
  dropped): entries may not overlap, their real sizes and CRCs must match the directory, and
  the expanded total stays in the same budget. An entry that is itself an archive (ZIP, gzip,
  bzip2, xz) is inspected the same way, at most ``max_depth`` levels down, sharing the budget;
  archives that cannot be checked (7z, RAR, zstd) are refused inside an archive.
"""

from __future__ import annotations

import asyncio
import bz2
import codecs
import contextlib
import lzma
import multiprocessing
import os
import re
import struct
import tempfile
import threading
import time
import zlib
from array import array
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from pathlib import Path
from typing import IO, Any, Protocol

from campus.kernel.errors import AppError

CHUNK = 64 * 1024
MIB = 1_048_576
#: Entries smaller than this expanded are never refused for their ratio (a page of zeros).
RATIO_FLOOR = MIB
#: Nested archives up to this size are inspected in memory, larger ones in a temporary file.
SPOOL_IN_MEMORY = 4 * MIB


@dataclass(frozen=True, slots=True)
class InspectionLimits:
    """Bounds of one upload's inspection (``CAMPUS_UPLOAD_ARCHIVE_*`` and
    ``CAMPUS_UPLOAD_INSPECTION_SECONDS``)."""

    max_entries: int = 10_000
    max_expanded_bytes: int = 256 * MIB
    max_ratio: int = 100
    max_depth: int = 1
    seconds: float = 5.0


class ArchiveRefused(AppError):
    status_code = 422
    code = "archive_refused"
    message = "The archive cannot be accepted."


_REASONS = {
    "too_many_entries": "The archive holds too many files.",
    "too_large_expanded": "The archive expands to more than allowed.",
    "compression_ratio": "The archive is compressed more than real files ever are.",
    "nested_too_deep": "The archive holds archives nested too deeply.",
    "nested_unsupported": "The archive holds an archive of a kind that cannot be checked.",
    "overlapping_entries": "The archive's entries overlap.",
    "sizes_do_not_match": "The archive's entries are larger than their headers say.",
    "unsafe_entry": "The archive holds a link or a path outside itself.",
    "encrypted_entry": "The archive holds encrypted files.",
    "unsupported_compression": "The archive uses a compression method that is not accepted.",
    "malformed": "The archive is damaged or not a ZIP archive.",
    "inspection_timeout": "The archive took too long to check.",
}


def _refuse(reason: str, **details: Any) -> ArchiveRefused:
    return ArchiveRefused(_REASONS[reason], details={"reason": reason, **details})


# --------------------------------------------------------------------------- markup

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: The WHATWG MIME sniffing HTML and XML signatures, plus the other active-content tags.
_MARKUP = re.compile(
    r"<(?:!doctype|!--|\?xml|(?:html|head|body|script|iframe|svg|meta|h1|div|font|table|a|"
    r"style|title|b|br|p|object|embed|link|base|form|img|math|frameset|noscript|xsl:\w+)"
    r"(?=[\s/>]|$))",
    re.I,
)


def _decoded_head(head: bytes) -> str:
    text, encoding = head, "latin-1"
    for bom, name in _BOMS:
        if text.startswith(bom):
            text, encoding = text[len(bom) :], name
            break
    decoded = text.decode(encoding, errors="ignore")
    return decoded.lstrip("\ufeff\x00 \t\r\n\x0c")


def looks_like_markup(head: bytes) -> bool:
    """Whether a browser could take these first bytes for HTML, SVG or XML."""
    return _MARKUP.match(_decoded_head(head)) is not None


# --------------------------------------------------------------------------- budget


@dataclass(slots=True)
class _Budget:
    limits: InspectionLimits
    deadline: float
    entries: int = 0
    expanded: int = 0
    declared: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _refuse("inspection_timeout", seconds=self.limits.seconds)

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise _refuse("too_many_entries", limit=self.limits.max_entries)
        if self.entries % 512 == 0:
            self.tick()

    def declare(self, size: int) -> None:
        self.declared += size
        if self.declared > self.limits.max_expanded_bytes:
            raise _refuse("too_large_expanded", limit=self.limits.max_expanded_bytes)

    def expand(self, size: int) -> None:
        self.expanded += size
        if self.expanded > self.limits.max_expanded_bytes:
            raise _refuse("too_large_expanded", limit=self.limits.max_expanded_bytes)
        self.tick()

    def ratio(self, expanded: int, compressed: int) -> None:
        if expanded > RATIO_FLOOR and expanded > self.limits.max_ratio * max(compressed, 1):
            raise _refuse("compression_ratio", limit=self.limits.max_ratio)


# --------------------------------------------------------------------------- ZIP directory

_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_DRIVE = re.compile(r"^[A-Za-z]:")
_S_IFMT, _S_IFLNK = 0o170000, 0o120000
_METHODS = frozenset({0, 8, 12})  # stored, deflate, bzip2


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    method: int
    flags: int
    crc: int
    compressed: int
    size: int
    offset: int


@dataclass(slots=True)
class _Directory:
    """The walked central directory, column by column: flat arrays of numbers and a list of
    strings, none of them tracked by the garbage collector, so a directory of many entries
    never sets off a full collection (which would hold the interpreter lock for a while)."""

    start: int = 0  # where the central directory begins (after any prepended bytes)
    shift: int = 0  # bytes prepended before the archive proper
    names: list[str] = field(default_factory=list)
    methods: array[int] = field(default_factory=lambda: array("H"))
    flags: array[int] = field(default_factory=lambda: array("H"))
    crcs: array[int] = field(default_factory=lambda: array("L"))
    compressed: array[int] = field(default_factory=lambda: array("Q"))
    sizes: array[int] = field(default_factory=lambda: array("Q"))
    offsets: array[int] = field(default_factory=lambda: array("Q"))

    def add(self, name: str, method: int, flags: int, crc: int, packed: int, size: int,
            offset: int) -> None:  # fmt: skip
        self.names.append(name)
        self.methods.append(method)
        self.flags.append(flags)
        self.crcs.append(crc)
        self.compressed.append(packed)
        self.sizes.append(size)
        self.offsets.append(offset)

    def entry(self, index: int) -> _Entry:
        return _Entry(
            self.names[index], self.methods[index], self.flags[index], self.crcs[index],
            self.compressed[index], self.sizes[index], self.offsets[index],
        )  # fmt: skip


def _file_size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    return handle.tell()


def _end_record(handle: IO[bytes], size: int) -> tuple[int, int, int]:
    """(directory size, directory offset, end record position) from the end records."""
    tail_start = max(0, size - (_END.size + 0xFFFF))
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        raise _refuse("malformed")
    _, _, _, _, count, cd_size, cd_offset, _ = _END.unpack_from(tail, at)
    end = tail_start + at
    if (cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF or count == 0xFFFF) and end >= 20:
        handle.seek(end - _END64_LOCATOR.size)
        locator = handle.read(_END64_LOCATOR.size)
        if locator[:4] == b"PK\x06\x07":
            _, _, end64, _ = _END64_LOCATOR.unpack(locator)
            handle.seek(end64)
            record = handle.read(_END64.size)
            if len(record) != _END64.size or record[:4] != b"PK\x06\x06":
                raise _refuse("malformed")
            cd_size, cd_offset = _END64.unpack(record)[8:10]
            end = end - _END64_LOCATOR.size - _END64.size
    return cd_size, cd_offset, end


def _zip64_sizes(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, position)
        body = extra[position + 4 : position + 4 + length]
        position += 4 + length
        if tag != 1:
            continue
        values = [v for (v,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
        if size == 0xFFFFFFFF and values:
            size = values.pop(0)
        if compressed == 0xFFFFFFFF and values:
            compressed = values.pop(0)
        if offset == 0xFFFFFFFF and values:
            offset = values.pop(0)
    return size, compressed, offset


def _unsafe(name: str, external: int, creator: int) -> bool:
    if "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    if ".." in re.split(r"[/\\]", name):
        return True
    return creator == 3 and (external >> 16) & _S_IFMT == _S_IFLNK  # a Unix symbolic link


def _directory(handle: IO[bytes], budget: _Budget) -> _Directory:
    size = _file_size(handle)
    cd_size, cd_offset, end = _end_record(handle, size)
    start = end - cd_size
    shift = start - cd_offset
    if start < 0 or shift < 0:
        raise _refuse("malformed")
    handle.seek(start)
    directory = _Directory(start=start, shift=shift)
    remaining = cd_size
    while remaining > 0:
        header = handle.read(_CENTRAL.size)
        if len(header) != _CENTRAL.size or header[:4] != b"PK\x01\x02":
            raise _refuse("malformed")
        budget.entry()
        fields = _CENTRAL.unpack(header)
        creator, flags, method, crc, compressed, expanded = (
            fields[i] for i in (2, 5, 6, 9, 10, 11)
        )
        name_len, extra_len, comment_len, external, offset = (
            fields[i] for i in (12, 13, 14, 17, 18)
        )
        raw_name = handle.read(name_len)
        extra = handle.read(extra_len)
        handle.seek(comment_len, 1)
        remaining -= _CENTRAL.size + name_len + extra_len + comment_len
        expanded, compressed, offset = _zip64_sizes(extra, expanded, compressed, offset)
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        if _unsafe(name, external, creator):
            raise _refuse("unsafe_entry", entry=name[:200])
        if flags & 0x1:
            raise _refuse("encrypted_entry", entry=name[:200])
        if method not in _METHODS:
            raise _refuse("unsupported_compression", entry=name[:200])
        budget.declare(expanded)
        budget.ratio(expanded, compressed)
        directory.add(name, method, flags, crc, compressed, expanded, offset + shift)
    if remaining != 0:
        raise _refuse("malformed")
    return directory


def zip_names(handle: IO[bytes], limits: InspectionLimits) -> list[str]:
    """The entry names of a ZIP, within the limits (the directory walk only, no expansion)."""
    budget = _Budget(limits, time.monotonic() + limits.seconds)
    return _directory(handle, budget).names


# --------------------------------------------------------------------------- expansion


class _Sink(Protocol):
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class _Counter:
    """Output nobody needs: counted by the budget, then dropped."""

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_STREAM_MAGIC: tuple[tuple[bytes, Callable[[], Any]], ...] = (
    (b"\x1f\x8b", lambda: zlib.decompressobj(32 + 15)),
    (b"BZh", bz2.BZ2Decompressor),
    (b"\xfd7zXZ\x00", lzma.LZMADecompressor),
)
_OPAQUE_MAGIC = (b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x28\xb5\x2f\xfd")


class _Sniffer:
    """Decides from an entry's first bytes whether it is an archive, and passes the rest on
    to the sink for its kind: nested ZIPs are spooled and walked, compressed streams expanded."""

    def __init__(self, budget: _Budget, depth: int) -> None:
        self.budget = budget
        self.depth = depth
        self.head = b""
        self.sink: _Sink | None = None

    def _choose(self) -> _Sink:
        head = self.head
        nested = head.startswith(_ZIP_MAGIC) or any(head.startswith(m) for m, _ in _STREAM_MAGIC)
        if head.startswith(_OPAQUE_MAGIC):
            raise _refuse("nested_unsupported")
        if nested and self.depth >= self.budget.limits.max_depth:
            raise _refuse("nested_too_deep", limit=self.budget.limits.max_depth)
        if head.startswith(_ZIP_MAGIC):
            return _NestedZip(self.budget, self.depth + 1)
        for magic, decompressor in _STREAM_MAGIC:
            if head.startswith(magic):
                return _Stream(decompressor(), self.budget, self.depth + 1)
        return _Counter()

    def write(self, data: bytes) -> None:
        if self.sink is None:
            self.head += data
            if len(self.head) < 8:
                return
            self.sink = self._choose()
            data, self.head = self.head, b""
        self.sink.write(data)

    def close(self) -> None:
        if self.sink is None:
            self.sink = self._choose()
            if self.head:
                self.sink.write(self.head)
        self.sink.close()


class _NestedZip:
    def __init__(self, budget: _Budget, depth: int) -> None:
        self.budget = budget
        self.depth = depth
        self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115

    def write(self, data: bytes) -> None:
        self.spool.write(data)

    def close(self) -> None:
        with self.spool:
            _walk_zip(self.spool, self.budget, self.depth)


class _Stream:
    """A gzip, bzip2 or xz stream inside an archive, expanded into the same budget."""

    def __init__(self, decompressor: Any, budget: _Budget, depth: int) -> None:
        self.decompressor = decompressor
        self.budget = budget
        self.compressed = 0
        self.expanded = 0
        self.out = _Sniffer(budget, depth)

    def _emit(self, data: bytes) -> None:
        self.expanded += len(data)
        self.budget.expand(len(data))
        self.budget.ratio(self.expanded, self.compressed)
        self.out.write(data)

    def write(self, data: bytes) -> None:
        self.compressed += len(data)
        for chunk in _expand(self.decompressor, data):
            self._emit(chunk)

    def close(self) -> None:
        self.out.close()


def _expand(decompressor: Any, data: bytes) -> Any:
    """Yield ``decompressor``'s output for ``data`` at most ``CHUNK`` bytes at a time."""
    if isinstance(decompressor, type(zlib.decompressobj())):
        while data and not decompressor.eof:
            yield decompressor.decompress(data, CHUNK)
            data = decompressor.unconsumed_tail
        return
    if decompressor.eof:
        return
    yield decompressor.decompress(data, max_length=CHUNK)
    while not decompressor.eof and not decompressor.needs_input:
        yield decompressor.decompress(b"", max_length=CHUNK)


def _check_entry(handle: IO[bytes], entry: _Entry, end: int, budget: _Budget, depth: int) -> int:
    """Expand one entry with flat memory; returns where its data ends."""
    handle.seek(entry.offset)
    header = handle.read(_LOCAL.size)
    if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise _refuse("malformed")
    name_len, extra_len = _LOCAL.unpack(header)[9:11]
    data_start: int = entry.offset + _LOCAL.size + name_len + extra_len
    data_end = data_start + entry.compressed
    if data_end > end:
        raise _refuse("overlapping_entries")
    handle.seek(data_start)
    decompressor: Any = None
    if entry.method == 8:
        decompressor = zlib.decompressobj(-15)
    elif entry.method == 12:
        decompressor = bz2.BZ2Decompressor()
    sink = _Sniffer(budget, depth)
    crc = 0
    produced = 0
    left = entry.compressed
    while left > 0:
        data = handle.read(min(CHUNK, left))
        if not data:
            raise _refuse("malformed")
        left -= len(data)
        chunks = [data] if decompressor is None else _expand(decompressor, data)
        for chunk in chunks:
            produced += len(chunk)
            if produced > entry.size:
                raise _refuse("sizes_do_not_match", entry=entry.name[:200])
            budget.expand(len(chunk))
            crc = zlib.crc32(chunk, crc)
            sink.write(chunk)
    if produced != entry.size or crc != entry.crc:
        raise _refuse("malformed", entry=entry.name[:200])
    sink.close()
    return data_end


def _walk_zip(handle: IO[bytes], budget: _Budget, depth: int) -> list[str]:
    directory = _directory(handle, budget)
    offsets = directory.offsets
    order = array("L", sorted(range(len(offsets)), key=offsets.__getitem__))
    budget.tick()
    for position, index in enumerate(order):
        offset = offsets[index]
        if offset < directory.shift or (position and offset == offsets[order[position - 1]]):
            raise _refuse("overlapping_entries")
        following = offsets[order[position + 1]] if position + 1 < len(order) else directory.start
        _check_entry(handle, directory.entry(index), following, budget, depth)
    return directory.names


def inspect_zip(handle: IO[bytes], limits: InspectionLimits) -> list[str]:
    """Walk and expand a ZIP within ``limits`` (blocking; run it in a thread); its entry names,
    or ``ArchiveRefused`` saying why not."""
    budget = _Budget(limits, time.monotonic() + limits.seconds)
    budget.tick()
    return _walk_zip(handle, budget, 0)


# --------------------------------------------------------------------------- whole files


def _is_utf8(handle: IO[bytes]) -> bool:
    incremental = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            incremental.decode(chunk)
        incremental.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect(handle: IO[bytes], limits: InspectionLimits) -> str | None:
    """The file type by content (``pdf``, ``png``, ``jpeg``, ``zip``, ``docx``, ``text``), or
    ``None`` when unknown or unsafe; ``ArchiveRefused`` for an archive over the limits."""
    handle.seek(0)
    head = handle.read(4096)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_ZIP_MAGIC):
        names = set(inspect_zip(handle, limits))
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        return "zip"
    if b"\x00" in head or looks_like_markup(head):
        return None
    handle.seek(0)
    return "text" if _is_utf8(handle) else None


# --------------------------------------------------------------------------- off the loop

#: Inspections run in worker processes: a CPU-bound walk in a thread would still share the
#: interpreter lock with the event loop. Two workers; more uploads queue for them.
WORKERS = 2
#: The workers run at a lower priority than the server, so a hostile archive never takes the
#: CPU from requests: inspection gets what serving leaves.
WORKER_NICENESS = 10
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
            )
        return _pool


def worker_pids() -> frozenset[int]:
    """The process ids of the inspection workers running now, and of the resource tracker the
    "spawn" start method runs beside them (operators and tests tell them from other children
    of the server)."""
    with _pool_lock:
        pool = _pool
    pids = set(getattr(pool, "_processes", None) or {})
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    tracker_pid = getattr(tracker, "_pid", None)
    if isinstance(tracker_pid, int):
        pids.add(tracker_pid)
    return frozenset(pids)


def shutdown_inspection() -> None:
    """Stop the inspection workers (the app's shutdown); a later upload starts new ones."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _detect_path(path: str, limits: InspectionLimits) -> tuple[str | None, dict[str, Any] | None]:
    """In a worker process: the type, or the refusal's details (exceptions with keyword
    arguments do not survive pickling)."""
    try:
        with open(path, "rb") as handle:
            return detect(handle, limits), None
    except ArchiveRefused as refused:
        return None, refused.details


async def detect_off_loop(path: Path, limits: InspectionLimits) -> str | None:
    """``detect`` in a worker process, bounded by the time budget (plus a second for the
    round trip); the event loop only waits for the answer."""
    pool = _executor()
    loop = asyncio.get_running_loop()
    try:
        file_type, refusal = await asyncio.wait_for(
            loop.run_in_executor(pool, _detect_path, str(path), limits), limits.seconds + 1
        )
    except TimeoutError:
        raise _refuse("inspection_timeout", seconds=limits.seconds) from None
    except BrokenProcessPool:
        _discard(pool)  # a worker died (killed, out of memory): the next upload gets a new pool
        raise _refuse("inspection_timeout", seconds=limits.seconds) from None
    if refusal is not None:
        raise ArchiveRefused(_REASONS[refusal["reason"]], details=refusal)
    return file_type
