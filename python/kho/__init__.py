# SPDX-License-Identifier: MIT
"""kho: Python access to libkho, the Kexec HandOver (KHO) verifier.

    import kho
    doc = kho.inspect("vmcore.elf", scratch_array=[(0x3fb0000, 0x20)])

returns what `kho-inspect --json verify --ranges` prints, for the keys it
shares with it: "schema", "source" {"page_size"}, "handovers" [{"fdt"
{"phys", "compatible"}, "ranges" [{"phys", "order", "size"}], "stats"
{"keys"}, "findings" [{"check", "severity", "phys", "message"}]}],
"findings" and "summary" (addresses and sizes as hex strings, as there).
kho.drgn.inspect(prog, ...) verifies through a drgn Program instead of a
file; kho.checks() lists every check (name, default severity, summary and
--explain's why and how). The library is found as $KHO_LIBRARY, else as libkho.so.1 on the
loader's path. Only the opaque kho_report API and two small stable
structs (kho_error, kho_source_opts) cross the boundary.
"""
import ctypes
import os

__all__ = ["KhoError", "checks", "inspect", "elf_ranges", "library"]

SCHEMA = 1


class KhoError(Exception):
    """libkho could not inspect: the message names the file and why."""


class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("msg", ctypes.c_char * 512)]


class _SourceOpts(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("raw_base", ctypes.c_uint64),
                ("page_size", ctypes.c_uint64), ("threads", ctypes.c_uint)]


class _MemRange(ctypes.Structure):
    _fields_ = [("start", ctypes.c_uint64), ("size", ctypes.c_uint64),
                ("state", ctypes.c_int)]


READ_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p,
                           ctypes.c_size_t)
CLOSE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
STATE_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64,
                            ctypes.POINTER(ctypes.c_uint64))


class _MemoryOps(ctypes.Structure):
    _fields_ = [("read", READ_CB), ("close", CLOSE_CB), ("state", STATE_CB)]


class _MemoryDesc(ctypes.Structure):
    _fields_ = [("ranges", ctypes.POINTER(_MemRange)), ("nranges", ctypes.c_size_t),
                ("page_size", ctypes.c_uint64), ("big_endian", ctypes.c_bool),
                ("arch", ctypes.c_char_p), ("name", ctypes.c_char_p)]


_FORMATS = {"auto": 0, "raw": 1, "elf": 2, "kdump": 3}
_lib = None


def library():
    """The loaded libkho (ctypes.CDLL), with its prototypes declared."""
    global _lib
    if _lib is not None:
        return _lib
    # this API is libkho.so.1's (find_library could name an older SONAME)
    path = os.environ.get("KHO_LIBRARY") or "libkho.so.1"
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise KhoError(f"{path}: cannot load libkho ({e}); set KHO_LIBRARY") from None
    vp, u64, sz, cp = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t, ctypes.c_char_p
    err = ctypes.POINTER(_Error)
    protos = {
        "kho_version": (cp, []),
        "kho_source_open": (ctypes.c_int, [cp, ctypes.POINTER(_SourceOpts),
                                           ctypes.POINTER(vp), err]),
        "kho_source_open_memory": (ctypes.c_int, [ctypes.POINTER(_MemoryOps), vp,
                                                  ctypes.POINTER(_MemoryDesc),
                                                  ctypes.POINTER(vp), err]),
        "kho_source_close": (None, [vp]),
        "kho_source_page_size": (u64, [vp]),
        "kho_source_page_size_assumed": (ctypes.c_bool, [vp]),
        "kho_source_detect_page_size": (ctypes.c_int, [cp, ctypes.POINTER(_SourceOpts), u64,
                                                       ctypes.POINTER(u64), err]),
        "kho_report_run": (ctypes.c_int, [vp, ctypes.c_bool, u64, ctypes.POINTER(u64), sz,
                                          ctypes.POINTER(vp), err]),
        "kho_report_free": (None, [vp]),
        "kho_report_handovers": (sz, [vp]),
        "kho_report_fdt": (u64, [vp, sz]),
        "kho_report_compatible": (cp, [vp, sz]),
        "kho_report_keys": (u64, [vp, sz]),
        "kho_report_ranges": (sz, [vp, sz]),
        "kho_report_range": (None, [vp, sz, sz, ctypes.POINTER(u64),
                                    ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(u64)]),
        "kho_report_findings": (sz, [vp, sz]),
        "kho_report_finding": (None, [vp, sz, sz, ctypes.POINTER(cp), ctypes.POINTER(cp),
                                      ctypes.POINTER(u64), ctypes.POINTER(cp)]),
        "kho_report_summary": (None, [vp, ctypes.POINTER(sz)]),
        "kho_report_partial": (ctypes.c_bool, [vp]),
        "kho_check_count": (sz, []),
        "kho_check_name": (cp, [sz]),
        "kho_check_severity": (ctypes.c_int, [sz]),
        "kho_check_summary": (cp, [sz]),
        "kho_severity_str": (cp, [ctypes.c_int]),
        "kho_check_explain": (ctypes.c_bool, [cp, ctypes.POINTER(cp), ctypes.POINTER(cp)]),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    _lib = lib
    return lib


def _findings(lib, rep, h):
    out = []
    check, sev, msg = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
    phys = ctypes.c_uint64()
    for i in range(lib.kho_report_findings(rep, h)):
        lib.kho_report_finding(rep, h, i, ctypes.byref(check), ctypes.byref(sev),
                               ctypes.byref(phys), ctypes.byref(msg))
        out.append({"check": check.value.decode(), "severity": sev.value.decode(),
                    "phys": hex(phys.value), "message": msg.value.decode(errors="replace")})
    return out


def _document(lib, src, fdt, scratch_array):
    err = _Error()
    rep = ctypes.c_void_p()
    flat = [v for pair in scratch_array for v in pair]
    arrays = (ctypes.c_uint64 * max(len(flat), 1))(*flat)
    st = lib.kho_report_run(src, fdt is not None, fdt or 0, arrays, len(flat) // 2,
                            ctypes.byref(rep), ctypes.byref(err))
    if st:
        raise KhoError(err.msg.decode(errors="replace"))
    try:
        handovers = []
        phys, size, order = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint()
        for h in range(lib.kho_report_handovers(rep)):
            ranges = []
            for i in range(lib.kho_report_ranges(rep, h)):
                lib.kho_report_range(rep, h, i, ctypes.byref(phys), ctypes.byref(order),
                                     ctypes.byref(size))
                ranges.append({"phys": hex(phys.value), "order": order.value,
                               "size": hex(size.value)})
            handovers.append({
                "fdt": {"phys": hex(lib.kho_report_fdt(rep, h)),
                        "compatible": lib.kho_report_compatible(rep, h).decode()},
                "ranges": ranges,
                "stats": {"keys": lib.kho_report_keys(rep, h)},
                "findings": _findings(lib, rep, h),
            })
        top = _findings(lib, rep, ctypes.c_size_t(-1).value)
        # the totals count findings past the per-check cap too
        totals = (ctypes.c_size_t * 4)()
        lib.kho_report_summary(rep, totals)
        counts = {"note": totals[0], "incomplete": totals[1], "warning": totals[2],
                  "error": totals[3], "partial": bool(lib.kho_report_partial(rep))}
        return {"schema": SCHEMA,
                "tool": {"name": "kho (python)", "version": lib.kho_version().decode()},
                "source": {"page_size": lib.kho_source_page_size(src)},
                "handovers": handovers, "findings": top, "summary": counts}
    finally:
        lib.kho_report_free(rep)


def checks():
    """Every check a finding can carry, as kho-inspect --list-checks and
    --explain give them: [{"name", "severity" (the default), "summary",
    "why", "how"}, ...] in the library's order."""
    lib = library()
    out = []
    for i in range(lib.kho_check_count()):
        name = lib.kho_check_name(i)
        why, how = ctypes.c_char_p(), ctypes.c_char_p()
        known = lib.kho_check_explain(name, ctypes.byref(why), ctypes.byref(how))
        out.append({"name": name.decode(),
                    "severity": lib.kho_severity_str(lib.kho_check_severity(i)).decode(),
                    "summary": lib.kho_check_summary(i).decode(),
                    "why": why.value.decode() if known and why.value else "",
                    "how": how.value.decode() if known and how.value else ""})
    return out


def inspect(path, *, fdt=None, scratch_array=(), page_size=0, format="auto", raw_base=0):
    """The verdict on the dump at @path: a dict shaped as kho-inspect's
    --json verify --ranges document (see the module's doc). @scratch_array
    is [(address, bytes), ...] of in-dump struct kho_scratch[]. A dump
    that does not record its page size is read with the one kho-inspect
    detects; KhoError when none or several fit (give @page_size)."""
    lib = library()
    opts = _SourceOpts(_FORMATS[format], raw_base, page_size)
    src = _open(lib, path, opts)
    guessed = False
    try:
        # A dump that does not record its page size (a raw image, an ELF
        # without VMCOREINFO) is read with the size its handover reads
        # consistently with, as kho-inspect does; 4 KiB is never guessed
        # silently.
        if lib.kho_source_page_size_assumed(src):
            err, size = _Error(), ctypes.c_uint64()
            if lib.kho_source_detect_page_size(os.fsencode(path), ctypes.byref(opts),
                                               fdt or 0, ctypes.byref(size),
                                               ctypes.byref(err)):
                raise KhoError(err.msg.decode(errors="replace") + " (page_size=)")
            guessed = not size.value
            if size.value and size.value != lib.kho_source_page_size(src):
                lib.kho_source_close(src)
                src = None
                opts.page_size = size.value
                src = _open(lib, path, opts)
        doc = _document(lib, src, fdt, scratch_array)
    finally:
        if src:
            lib.kho_source_close(src)
    if guessed and doc["handovers"]:
        raise KhoError(f"{path}: the dump does not record its page size and no KHO page "
                       "size (4, 16 or 64 KiB) reads its handover without structural "
                       "errors: give page_size=")
    return doc


def _open(lib, path, opts):
    err = _Error()
    src = ctypes.c_void_p()
    if lib.kho_source_open(os.fsencode(path), ctypes.byref(opts), ctypes.byref(src),
                           ctypes.byref(err)):
        raise KhoError(err.msg.decode(errors="replace"))
    return src


def open_memory(read, ranges, *, page_size=0, big_endian=False, arch=None, name=None,
                state=None):
    """A libkho memory source read through @read(phys, size) -> bytes (or
    None when it cannot), over @ranges [(start, size[, "present"|"excluded"]),
    ...] (excluded: RAM the source has no bytes of). @state(phys) ->
    ("present"|"excluded", run bytes), if given, says which present pages
    the source really has. Returns (source handle, keep-alive tuple); close
    with library().kho_source_close."""
    lib = library()

    def cb(ctx, phys, buf, size):
        try:
            data = read(phys, size)
        except Exception:       # a refused read is a finding, not a crash
            return -1
        if data is None or len(data) != size:
            return -1
        ctypes.memmove(buf, data, size)
        return 0

    states = {"present": 0, "excluded": 1}

    def scb(ctx, phys, run):
        try:
            what, n = state(phys)
            run[0] = n
            return states[what]
        except Exception:       # taken as excluded: reported, never read
            run[0] = 0
            return 1

    rcb, ccb, stcb = READ_CB(cb), CLOSE_CB(0), STATE_CB(scb) if state else STATE_CB(0)
    arr = (_MemRange * len(ranges))(*[_MemRange(r[0], r[1], states[r[2] if len(r) > 2 else
                                                               "present"]) for r in ranges])
    ops = _MemoryOps(rcb, ccb, stcb)
    desc = _MemoryDesc(arr, len(ranges), page_size, big_endian,
                       arch.encode() if arch else None, (name or "memory").encode())
    err = _Error()
    src = ctypes.c_void_p()
    if lib.kho_source_open_memory(ctypes.byref(ops), None, ctypes.byref(desc),
                                  ctypes.byref(src), ctypes.byref(err)):
        raise KhoError(err.msg.decode(errors="replace"))
    return src, (rcb, ccb, stcb, arr, ops, desc)


def inspect_memory(read, ranges, *, fdt=None, scratch_array=(), **source):
    """inspect() over memory read through @read (see open_memory)."""
    lib = library()
    src, keep = open_memory(read, ranges, **source)
    try:
        return _document(lib, src, fdt, scratch_array)
    finally:
        lib.kho_source_close(src)
        del keep


def elf_ranges(path):
    """[(paddr, size, "present"|"excluded"), ...] of an ELF core's PT_LOAD
    segments: the bytes the file holds, and the RAM it describes without
    bytes (p_filesz < p_memsz, or past the end of a file cut short), as
    kho-inspect reads them. Segments that
    alias RAM already described (kcore's kernel text) are left out."""
    import struct
    with open(path, "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
            raise KhoError(f"{path}: not an ELF64 file")
        end = "<" if hdr[5] == 1 else ">"
        phoff, = struct.unpack_from(end + "Q", hdr, 32)
        phnum, = struct.unpack_from(end + "H", hdr, 56)
        f.seek(phoff)
        ph = f.read(56 * phnum)
    segs = []
    file_size = os.path.getsize(path)
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz = struct.unpack_from(end + "IIQQQQQ", ph,
                                                                      56 * i)
        if p_type == 1 and paddr != 0xffffffffffffffff and memsz:
            # a file cut short holds only what is before its end
            segs.append((paddr, i, max(0, min(filesz, memsz, file_size - off)), memsz))
    out, covered = [], 0
    for paddr, _, filesz, memsz in sorted(segs):
        if out and paddr < covered:
            continue                # an alias of RAM already described
        if filesz:
            out.append((paddr, filesz, "present"))
        if memsz > filesz:
            out.append((paddr + filesz, memsz - filesz, "excluded"))
        covered = paddr + memsz
    return out
