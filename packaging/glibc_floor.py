"""The oldest glibc (and libstdc++) a Linux bundle can run on, and the files that decide it.

Reads the version needs (ELF .gnu.version_r) of every ELF file in the folder: each names the
library and the symbol versions it requires (GLIBC_2.29 from libm.so.6, GLIBCXX_3.4.26 from
libstdc++.so.6, ...). The bundle runs only where the system's glibc and libstdc++ provide the
highest of each. Also lists the libraries the bundle expects from the system (needed by some
file, bundled by none).

    python packaging/glibc_floor.py dist/ConvScope [--max-glibc 2.31] [--max-glibcxx 3.4.28]

Exit status 1 when a floor is above its --max (used by `make package-test`).
"""

from __future__ import annotations

import argparse
import struct
import sys
from collections import defaultdict
from pathlib import Path

SHT_DYNAMIC, SHT_GNU_VERNEED = 6, 0x6FFFFFFE
DT_NEEDED = 1
FAMILIES = ("GLIBC", "GLIBCXX", "CXXABI")


def read_elf(data: bytes) -> tuple[set[str], set[str]] | None:
    """(needed libraries, required symbol versions) of one ELF image, None if not ELF."""
    if data[:4] != b"\x7fELF":
        return None
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        section = order + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        section = order + "IIIIIIIIII"
    sections = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]

    def string(table: int, offset: int) -> str:
        start = sections[table][4] + offset
        return data[start:data.index(b"\0", start)].decode("ascii", "replace")

    needed, versions = set(), set()
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind == SHT_DYNAMIC:
            step = entsize or (16 if wide else 8)
            for pos in range(offset, offset + size, step):
                tag, value = struct.unpack_from(order + ("qQ" if wide else "iI"), data, pos)
                if tag == DT_NEEDED:
                    needed.add(string(link, value))
        elif kind == SHT_GNU_VERNEED:
            pos = offset
            while True:  # Elf_Verneed entries, each with a chain of Elf_Vernaux
                _ver, count, _file, aux, following = struct.unpack_from(order + "HHIII", data, pos)
                entry = pos + aux
                for _ in range(count):
                    _hash, _fl, _other, name, step = struct.unpack_from(order + "IHHII", data,
                                                                        entry)
                    versions.add(string(link, name))
                    entry += step
                if not following:
                    break
                pos += following
    return needed, versions


def version_key(version: str) -> tuple[int, ...]:
    """GLIBC_2.31 -> (2, 31), so that 2.4 < 2.31."""
    return tuple(int(p) for p in version.split("_", 1)[1].split(".") if p.isdigit())


def scan(folder: Path):
    """Per family, the highest version and the files requiring it; and the system libraries."""
    highest: dict[str, tuple[tuple[int, ...], str, list[str]]] = {}
    needed_by: dict[str, list[str]] = defaultdict(list)
    names = set()
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            names.add(path.name)
            continue
        names.add(path.name)
        with path.open("rb") as file:
            if file.read(4) != b"\x7fELF":
                continue
        found = read_elf(path.read_bytes())
        if found is None:
            continue
        needed, versions = found
        relative = path.relative_to(folder).as_posix()
        for library in needed:
            needed_by[library].append(relative)
        for version in versions:
            family = version.split("_", 1)[0]
            if family not in FAMILIES or not any(c.isdigit() for c in version):
                continue
            key = version_key(version)
            best = highest.get(family)
            if best is None or key > best[0]:
                highest[family] = (key, version, [relative])
            elif key == best[0] and relative not in best[2]:
                best[2].append(relative)
    system = {lib: users for lib, users in needed_by.items() if lib not in names}
    return highest, system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--max-glibc", help="fail when the bundle needs a newer glibc")
    parser.add_argument("--max-glibcxx", help="fail when it needs a newer libstdc++ (GLIBCXX)")
    parser.add_argument("--system", action="store_true",
                        help="also list the libraries expected from the system")
    args = parser.parse_args(argv)
    highest, system = scan(args.folder)
    status = 0
    for family, limit in (("GLIBC", args.max_glibc), ("GLIBCXX", args.max_glibcxx),
                          ("CXXABI", None)):
        if family not in highest:
            print(f"{family}: none required")
            continue
        key, version, files = highest[family]
        over = limit is not None and key > version_key(f"{family}_{limit}")
        verdict = f"  ABOVE the target {limit}" if over else (f"  (target {limit})" if limit
                                                              else "")
        print(f"{family}: {version} needed{verdict}, by {len(files)} file(s):")
        for name in files[:12]:
            print(f"    {name}")
        if len(files) > 12:
            print(f"    ... and {len(files) - 12} more")
        status |= over
    if args.system:
        print("libraries expected from the system:")
        for library in sorted(system):
            print(f"    {library}  ({len(system[library])} file(s), e.g. {system[library][0]})")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
