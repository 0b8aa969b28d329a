"""Float32 arrays in shared memory: blocks the window creates, the engine attaches to.

Three faults shape this module:

- A block bigger than the free space of /dev/shm (64 MB in a default Docker container) is
  created without complaint, and the first write beyond the space ends the writing process
  with SIGBUS. So free space is checked first and every block's pages are reserved
  (``posix_fallocate``) before anything is written: a block that does not fit fails with
  ``SharedMemoryShort`` instead, and the caller sends that array through the pipe.
- CPython's ``SharedMemory`` unlinks the block when its mmap fails, even when it only attaches
  (an engine out of address space would delete the window's block). ``attach`` never unlinks.
- Outputs are shown straight from their blocks (no copy). A block handed out as an array is
  given to the engine again only after the last view of that array is gone, so the engine
  never writes the block on screen (``BlockPool``).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import errno
import os
import sys
import threading
from multiprocessing import shared_memory

import numpy as np

from engine.backend.protocol import BlockRef, EngineOutOfMemory

#: Where POSIX shared memory lives on Linux (a tmpfs); other systems have no such folder.
SHM_FOLDER = "/dev/shm"
#: Space left free in SHM_FOLDER for everyone else.
SHM_MARGIN_BYTES = 16 * 2**20
#: Free blocks of one shape kept for the next edits (the one on screen is leased, not free).
FREE_PER_SHAPE = 2


class SharedMemoryShort(Exception):
    """There is not enough shared memory for a block; the message says how much there is."""


def shm_free_bytes(folder: str = SHM_FOLDER) -> int | None:
    """Free bytes in the shared-memory folder, or None where there is none to ask."""
    if not sys.platform.startswith("linux") or not os.path.isdir(folder):
        return None
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def _mb(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.0f} MB"


class OwnedBlock:
    """A block this process created (and unlinks), its pages reserved."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(int(v) for v in shape)
        self.nbytes = max(int(np.prod(self.shape)) * 4, 1)
        free = shm_free_bytes()
        if free is not None and self.nbytes + SHM_MARGIN_BYTES > free:
            raise SharedMemoryShort(f"{SHM_FOLDER} has {_mb(free)} free, too little for "
                                    f"{_mb(self.nbytes)}")
        try:
            self._block = shared_memory.SharedMemory(create=True, size=self.nbytes)
        except OSError as exc:  # its mmap failed: no address space or memory left here
            raise EngineOutOfMemory(f"the window could not map {_mb(self.nbytes)} "
                                    f"({exc.strerror or exc})") from exc
        self.name = self._block.name
        self._lock = threading.Lock()
        self._released = self._unlinked = False
        try:
            _reserve(self.name, self.nbytes)
        except OSError as exc:
            self.release()
            if exc.errno in (errno.ENOSPC, errno.EFBIG):
                raise SharedMemoryShort(f"{SHM_FOLDER} could not hold {_mb(self.nbytes)}"
                                        ) from exc
            raise EngineOutOfMemory(f"the window could not reserve {_mb(self.nbytes)} "
                                    f"({exc.strerror or exc})") from exc

    @property
    def ref(self) -> BlockRef:
        return BlockRef(self.name, self.shape)

    def writable(self) -> np.ndarray:
        """The block as a writable array (drop it before ``release``)."""
        return np.ndarray(self.shape, np.float32, buffer=self._block.buf)

    def read_only(self, on_last_view) -> np.ndarray:
        """The block as a read-only array; ``on_last_view(self)`` runs once no view of it is
        left. The array reads the mapping through its address (no buffer export), so nothing
        keeps the block from being closed once that has run."""
        return np.asarray(_Lease(self, on_last_view))

    def release(self) -> None:
        """Unmap and unlink, once, whatever has gone before (never raises). Never while a
        read-only view is alive: it reads the mapping by address."""
        with self._lock:
            if self._released:
                return
            self._released = True
        with contextlib.suppress(BufferError, OSError):  # BufferError: a writable view
            self._block.close()  # is still alive; the mapping then ends with it
        self.unlink()

    def unlink(self) -> None:
        """Remove the block's name (its memory stays mapped here until ``release``)."""
        with self._lock:
            if self._unlinked:
                return
            self._unlinked = True
        with contextlib.suppress(OSError):  # FileNotFoundError: already gone
            self._block.unlink()


class _Lease:
    """The owner of a read-only view: when numpy lets go of it, the block is free again."""

    def __init__(self, block: OwnedBlock, on_last_view) -> None:
        self.block, self._on_last_view = block, on_last_view
        anchor = ctypes.c_char.from_buffer(block._block.buf)  # the address, then let go
        address = ctypes.addressof(anchor)
        del anchor
        self.__array_interface__ = {"data": (address, True), "shape": block.shape,
                                    "typestr": "<f4", "version": 3}

    def __del__(self) -> None:
        self._on_last_view(self.block)


def _reserve(name: str, nbytes: int) -> None:
    """Give the block its pages now (tmpfs allocates them lazily, and a write to one it then
    cannot allocate is a SIGBUS). Only where the block is a file in SHM_FOLDER."""
    path = os.path.join(SHM_FOLDER, name.lstrip("/"))
    if not hasattr(os, "posix_fallocate") or not os.path.exists(path):
        return
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, nbytes)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
    finally:
        os.close(fd)


class BlockPool:
    """Output blocks kept across edits of the same shape, each given to the engine again only
    when no view of it is left (so the one on screen is never written: double buffering, or
    more while old results are still referenced)."""

    def __init__(self) -> None:
        self._free: dict[tuple[int, ...], list[OwnedBlock]] = {}
        self._returned: collections.deque[OwnedBlock] = collections.deque()
        self._leased: dict[str, OwnedBlock] = {}
        self._forgotten: list[str] = []
        self._shapes: set[tuple[int, ...]] = set()
        self._closed = False

    def want(self, shapes: list[tuple[int, ...]]) -> None:
        """The shapes the next request needs; free blocks of any other shape are let go."""
        self._collect()
        self._shapes = {tuple(shape) for shape in shapes}
        for shape in [s for s in self._free if s not in self._shapes]:
            for block in self._free.pop(shape):
                self._drop(block)

    def take(self, shape: tuple[int, ...]) -> OwnedBlock:
        """A block no view refers to: a kept one, or a new one (SharedMemoryShort or
        EngineOutOfMemory when it cannot be made)."""
        self._collect()
        free = self._free.get(tuple(shape))
        return free.pop() if free else OwnedBlock(shape)

    def give_back(self, block: OwnedBlock) -> None:
        """A block taken but not handed out (the request failed)."""
        self._keep_or_drop(block)

    def lease(self, block: OwnedBlock) -> np.ndarray:
        """The block as a read-only array; it returns to the pool with its last view."""
        self._leased[block.name] = block
        return block.read_only(self._on_last_view)

    def forgotten(self) -> tuple[str, ...]:
        """Blocks let go of since the last call: the engine closes its mappings of them."""
        self._collect()
        names, self._forgotten = tuple(self._forgotten), []
        return names

    def close(self) -> None:
        """Let go of every free block; leased ones are unlinked now and unmapped with their
        last view."""
        self._closed = True
        self._collect()
        for blocks in self._free.values():
            for block in blocks:
                block.release()
        self._free.clear()
        for block in list(self._leased.values()):
            block.unlink()

    def _on_last_view(self, block: OwnedBlock) -> None:  # any thread, during deallocation
        if self._closed:
            block.release()
        else:
            self._returned.append(block)  # deque.append is atomic: sorted out by _collect

    def _collect(self) -> None:
        while self._returned:
            block = self._returned.popleft()
            self._leased.pop(block.name, None)
            self._keep_or_drop(block)

    def _keep_or_drop(self, block: OwnedBlock) -> None:
        free = self._free.setdefault(block.shape, [])
        if self._closed or block.shape not in self._shapes or len(free) >= FREE_PER_SHAPE:
            self._drop(block)
        else:
            free.append(block)

    def _drop(self, block: OwnedBlock) -> None:
        block.release()
        self._forgotten.append(block.name)


# -- the engine side ------------------------------------------------------------------------
class _AttachedBlock(shared_memory.SharedMemory):
    """Attach only. CPython's SharedMemory.__init__ unlinks the block when its mmap fails,
    even when attaching; the window owns every name, so this side never unlinks."""

    def unlink(self) -> None:
        pass


def attach(ref: BlockRef) -> tuple[shared_memory.SharedMemory, np.ndarray]:
    """Map the window's block ``ref``: (block, writable array). Raises EngineOutOfMemory when
    it cannot be mapped here, FileNotFoundError when the window let go of it."""
    try:
        block = _AttachedBlock(name=ref.name)
    except FileNotFoundError:
        raise  # the window let go of it: not a memory problem
    except OSError as exc:
        if exc.errno in (errno.ENOMEM, errno.EFBIG, errno.EOVERFLOW):
            raise EngineOutOfMemory(f"the engine could not map {_mb(np.prod(ref.shape) * 4)} "
                                    f"({exc.strerror or exc})") from exc
        raise
    return block, np.ndarray(ref.shape, np.float32, buffer=block.buf)


def detach(block: shared_memory.SharedMemory | None) -> None:
    """Unmap this side's view of a block (never raises)."""
    if block is not None:
        with contextlib.suppress(BufferError, OSError):
            block.close()
