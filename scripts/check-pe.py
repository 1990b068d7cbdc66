#!/usr/bin/env python3
"""Check a Windows build of tcp-playground.exe: GUI subsystem, icon, version.

For CI, after the cross-compiled Windows exe is built, to catch a build that
lost its resources (build.rs embeds assets/windows/tcp-playground.rc) or its
`#![windows_subsystem = "windows"]` (the exe would open a console window).
Reads the PE file by hand, with the standard library only.

    python3 scripts/check-pe.py target/x86_64-pc-windows-gnu/release/tcp-playground.exe
    python3 scripts/check-pe.py --expect-version 0.1.0 EXE   # also compare FileVersion

Prints the subsystem, the resource types present and the version strings.
Exit status: 0 all good; 1 subsystem is not GUI (2), or RT_ICON,
RT_GROUP_ICON or RT_VERSION is missing, or FileVersion is missing or is not
the expected one; 2 the file cannot be read as a PE image.
"""

import argparse
import struct
import sys

SUBSYSTEMS = {1: "native", 2: "Windows GUI", 3: "Windows console"}
GUI = 2
RT_NAMES = {
    1: "RT_CURSOR", 2: "RT_BITMAP", 3: "RT_ICON", 4: "RT_MENU", 5: "RT_DIALOG",
    6: "RT_STRING", 9: "RT_ACCELERATOR", 10: "RT_RCDATA", 12: "RT_GROUP_CURSOR",
    14: "RT_GROUP_ICON", 16: "RT_VERSION", 24: "RT_MANIFEST",
}
RT_ICON, RT_GROUP_ICON, RT_VERSION, RT_MANIFEST = 3, 14, 16, 24


class NotPE(Exception):
    pass


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def parse_pe(data):
    """Return (subsystem, sections, resource directory RVA, its size)."""
    if data[:2] != b"MZ":
        raise NotPE("no MZ header")
    pe = u32(data, 0x3C)
    if data[pe:pe + 4] != b"PE\0\0":
        raise NotPE("no PE signature")
    coff = pe + 4
    nsections, opt_size = u16(data, coff + 2), u16(data, coff + 16)
    opt = coff + 20
    magic = u16(data, opt)
    if magic not in (0x10B, 0x20B):  # PE32, PE32+
        raise NotPE(f"unknown optional header magic {magic:#x}")
    subsystem = u16(data, opt + 68)
    dirs = opt + (96 if magic == 0x10B else 112)
    ndirs = u32(data, dirs - 4)
    rsrc_rva, rsrc_size = struct.unpack_from("<II", data, dirs + 2 * 8) if ndirs > 2 else (0, 0)
    sections = []
    for i in range(nsections):
        s = opt + opt_size + 40 * i
        vsize, va, rawsize, rawptr = struct.unpack_from("<IIII", data, s + 8)
        sections.append((va, max(vsize, rawsize), rawptr))
    return subsystem, sections, rsrc_rva, rsrc_size


def rva_to_offset(sections, rva):
    for va, size, rawptr in sections:
        if va <= rva < va + size:
            return rva - va + rawptr
    raise NotPE(f"RVA {rva:#x} is in no section")


def resources(data, sections, rsrc_rva):
    """{type id: [(name or id, language, file offset, size)]} of the resource tree."""
    base = rva_to_offset(sections, rsrc_rva)

    def entries(dir_off):
        named, ids = struct.unpack_from("<HH", data, base + dir_off + 12)
        for i in range(named + ids):
            name, target = struct.unpack_from("<II", data, base + dir_off + 16 + 8 * i)
            if name & 0x80000000:  # a name: counted UTF-16 string
                s = base + (name & 0x7FFFFFFF)
                name = data[s + 2:s + 2 + 2 * u16(data, s)].decode("utf-16-le")
            yield name, target

    tree = {}
    for rtype, t in entries(0):
        for name, n in entries(t & 0x7FFFFFFF):
            for lang, leaf in entries(n & 0x7FFFFFFF):
                rva, size = struct.unpack_from("<II", data, base + leaf)
                tree.setdefault(rtype, []).append((name, lang, rva_to_offset(sections, rva), size))
    return tree


def version_info(block):
    """(fixed file version "a.b.c.d" or None, {string name: value}) of a VS_VERSIONINFO."""
    strings = {}
    fixed = None

    def node(off, depth):
        nonlocal fixed
        length, value_len, kind = struct.unpack_from("<HHH", block, off)
        end = off + length
        k = off + 6
        key_end = k
        while block[key_end:key_end + 2] != b"\0\0":
            key_end += 2
        key = block[k:key_end].decode("utf-16-le")
        value = (key_end + 2 + 3) & ~3  # after the key's NUL, 32-bit aligned
        if depth == 0 and value_len >= 52 and u32(block, value) == 0xFEEF04BD:
            ms, ls = struct.unpack_from("<II", block, value + 8)
            fixed = f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"
        if depth == 3:  # StringFileInfo > StringTable > String: text, NUL-ended
            text = block[value:end].decode("utf-16-le", "replace")
            strings[key] = text.split("\0", 1)[0]
            return end
        # Children follow the value; a text value's length counts characters.
        child = (value + value_len * (2 if kind == 1 else 1) + 3) & ~3
        if depth == 1 and key != "StringFileInfo":
            return end  # VarFileInfo: nothing printed from it
        while child + 6 <= end:
            child = (node(child, depth + 1) + 3) & ~3
        return end

    node(0, 0)
    return fixed, strings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("exe")
    parser.add_argument("--expect-version", help="FileVersion string the exe must have")
    args = parser.parse_args()
    try:
        with open(args.exe, "rb") as f:
            data = f.read()
        subsystem, sections, rsrc_rva, _ = parse_pe(data)
        tree = resources(data, sections, rsrc_rva) if rsrc_rva else {}
    except (OSError, NotPE, struct.error) as e:
        print(f"{args.exe}: not a readable PE image: {e}", file=sys.stderr)
        return 2

    problems = []
    print(f"{args.exe}")
    print(f"  subsystem: {subsystem} ({SUBSYSTEMS.get(subsystem, 'other')})")
    if subsystem != GUI:
        problems.append(f"subsystem is {subsystem}, not {GUI} (Windows GUI): "
                        'is #![windows_subsystem = "windows"] in src/main.rs?')
    print("  resources:", ", ".join(
        f"{RT_NAMES.get(t, t)} x{len(v)}" for t, v in sorted(tree.items(), key=lambda i: (isinstance(i[0], str), str(i[0]).zfill(9)))) or "none")
    for t in (RT_ICON, RT_GROUP_ICON, RT_VERSION):
        if t not in tree:
            problems.append(f"no {RT_NAMES[t]} resource: was assets/windows/tcp-playground.rc embedded (build.rs)?")
    if RT_MANIFEST not in tree:
        print("  warning: no RT_MANIFEST (application manifest)")

    if RT_VERSION in tree:
        _, _, off, size = tree[RT_VERSION][0]
        try:
            fixed, strings = version_info(data[off:off + size])
        except (struct.error, UnicodeDecodeError) as e:
            fixed, strings = None, {}
            problems.append(f"unreadable version resource: {e}")
        print(f"  fixed file version: {fixed}")
        for k, v in strings.items():
            print(f"  {k}: {v}")
        file_version = strings.get("FileVersion")
        if file_version is None:
            problems.append("no FileVersion string in the version resource")
        elif args.expect_version is not None and file_version != args.expect_version:
            problems.append(f"FileVersion is {file_version!r}, expected {args.expect_version!r}")

    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    if not problems:
        print("OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
