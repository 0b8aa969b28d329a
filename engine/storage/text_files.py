"""Reading a small text file (a kernel file) whatever the disk holds: bounded, never blocking,
in the encodings real editors write.

The size is checked before anything is read, so a 1 GB file is refused at once without using
memory; only regular files are opened, so a pipe or a device cannot block the window. The
bytes are decoded the way they were most likely written: UTF-8, with or without a byte-order
mark (Notepad), UTF-16 or UTF-32 with a byte-order mark (PowerShell's ``>`` writes UTF-16 LE),
UTF-16 without one, and otherwise Latin-1, which older editors use for accented comments.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from engine.storage.paths import os_reason, shown_name

#: Byte-order marks, longest first: UTF-32 LE's mark begins with UTF-16 LE's.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
                    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
                    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
                    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
                    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
               | getattr(os, "O_NOINHERIT", 0))


class TextFileError(Exception):
    """The file cannot be read as text; the message names it and says why."""


def read_small_text(path: str | Path, limit: int, what: str = "text file") -> str:
    """The text of ``path``, at most ``limit`` bytes on disk, or a TextFileError whose message
    names the file and the reason (``what`` names the kind of file in it)."""
    path = Path(path)
    return decode_text(_read_bounded(path, limit, what), shown_name(path))


def _read_bounded(path: Path, limit: int, what: str) -> bytes:
    name = shown_name(path)
    try:
        _check_regular(os.stat(path), name, limit, what)  # before opening: a FIFO would block
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise TextFileError(f"{name}: no such file.") from None
    except (OSError, ValueError) as exc:
        raise TextFileError(f"{name} cannot be opened: {os_reason(exc)}.") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            _check_regular(os.fstat(handle.fileno()), name, limit, what)  # what was opened
            data = handle.read(limit + 1)
    except OSError as exc:
        raise TextFileError(f"{name} cannot be read: {os_reason(exc)}.") from None
    if len(data) > limit:  # it grew after the check
        raise TextFileError(_too_large(name, len(data), limit, what))
    return data


def _check_regular(info: os.stat_result, name: str, limit: int, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise TextFileError(f"{name} is a folder, not a {what}.")
    if not stat.S_ISREG(info.st_mode):
        raise TextFileError(f"{name} is not a regular file (a pipe, a socket or a device): "
                            f"only ordinary files are read.")
    if info.st_size > limit:
        raise TextFileError(_too_large(name, info.st_size, limit, what))


def _too_large(name: str, size: int, limit: int, what: str) -> str:
    return (f"{name} is too large for a {what}: {size:,} bytes, and at most {limit:,} are "
            f"read.")


def decode_text(data: bytes, name: str = "the file") -> str:
    """The text in ``data``: by its byte-order mark, else UTF-16 when every other byte is 0,
    else UTF-8, else Latin-1 (which decodes any bytes). Binary data is refused."""
    for mark, codec, label in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise TextFileError(f"{name} starts with a {label} byte-order mark but is not "
                                    f"valid {label} text (byte {exc.start}).") from None
    unmarked_utf16 = _utf16_without_mark(data)
    if unmarked_utf16:
        return data.decode(unmarked_utf16)
    if b"\x00" in data:
        raise TextFileError(f"{name} is not a text file (it holds binary data).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _utf16_without_mark(data: bytes) -> str:
    """"utf-16-le" or "utf-16-be" when ``data`` reads as ASCII-range UTF-16, else ""."""
    half = len(data) // 2
    if half == 0 or len(data) % 2:
        return ""
    if data[1::2].count(0) == half and data[0::2].count(0) == 0:
        return "utf-16-le"
    if data[0::2].count(0) == half and data[1::2].count(0) == 0:
        return "utf-16-be"
    return ""
