# SPDX-License-Identifier: MIT
"""kho: Python access to libkho, the Kexec HandOver (KHO) verifier.

    import kho
    doc = kho.inspect("vmcore.elf", scratch_array=[(0x3fb0000, 0x20)])

returns what `kho-inspect --json verify --ranges` prints, for the keys it
shares with it: "schema", "source" {"page_size"}, "handovers" [{"fdt"
{"phys", "compatible"}, "subtrees" [{"name", "phys", "size", "compatible"}],
"luo" {"format", "liveupdate_num", "sessions" [{"name", "files" [{"compatible",
"token", "data"}]}]} (with LUO), "ranges" [{"phys", "order", "size"}], "stats"
{"keys"}, "findings" [{"check", "severity", "phys", "message", "hint"}]}],
"findings" and "summary" (addresses and sizes as hex strings, as there).
kho.drgn.inspect(prog, ...) verifies through a drgn Program instead of a
file; kho.checks() lists every check (name, default severity, summary and
--explain's why and how). The library is found as $KHO_LIBRARY, else where
cmake --install put it (kho/_paths.py), else as libkho.so.1 on the loader's
path. Only the opaque kho_model API (kho/model.h: the discovery session
kho-inspect runs, page size detection included) and small stable structs
(kho_error, kho_source_opts, the versioned kho_model_opts) cross the
boundary.
"""
import ctypes
import os

__all__ = ["KhoError", "checks", "inspect", "elf_ranges", "elf_vmcoreinfo", "library"]

SCHEMA = 1


class KhoError(Exception):
    """libkho could not inspect: the message names the file and why."""


class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("msg", ctypes.c_char * 512)]


class _SourceOpts(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("raw_base", ctypes.c_uint64),
                ("page_size", ctypes.c_uint64)]


class _ModelOpts(ctypes.Structure):
    # struct kho_model_opts: versioned by its first member, its size
    _fields_ = [("size", ctypes.c_size_t), ("format", ctypes.c_int),
                ("raw_base", ctypes.c_uint64), ("page_size", ctypes.c_uint64),
                ("flags", ctypes.c_uint), ("fdt", ctypes.c_uint64),
                ("boot_params", ctypes.c_uint64), ("fdt_file", ctypes.c_char_p),
                ("vmlinux", ctypes.c_char_p), ("dtb", ctypes.c_char_p),
                ("scratch", ctypes.POINTER(ctypes.c_uint64)), ("nscratch", ctypes.c_size_t),
                ("scratch_arrays", ctypes.POINTER(ctypes.c_uint64)),
                ("nscratch_arrays", ctypes.c_size_t),
                ("severities", ctypes.c_void_p), ("nseverities", ctypes.c_size_t),
                ("max_order", ctypes.c_uint),
                ("kernel_fdt", ctypes.c_uint64), ("kernel_incoming_fdt", ctypes.c_uint64),
                ("kernel_scratch", ctypes.c_uint64), ("kernel_scratch_bytes", ctypes.c_uint64),
                ("kernel_out_tree", ctypes.c_uint64), ("kernel_in_tree", ctypes.c_uint64)]


class _Severity(ctypes.Structure):
    # struct kho_model_severity
    _fields_ = [("check", ctypes.c_char_p), ("severity", ctypes.c_int)]


_MODEL_FDT = 1
_MODEL_BOOT_PARAMS = 2
_MODEL_MAX_ORDER = 8
_MODEL_KERNEL, _MODEL_OUT_TREE, _MODEL_IN_TREE = 16, 32, 64
# enum kho_severity; "off" is -Wno-CHECK
_SEVERITIES = {"off": -1, "note": 0, "incomplete": 1, "warning": 2, "error": 3}
KEY_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64,
                          ctypes.c_uint)


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
    # this API is libkho.so.1's (find_library could name an older SONAME);
    # installed, the package knows where its library went (_paths.py)
    path = os.environ.get("KHO_LIBRARY")
    if not path:
        try:
            from kho._paths import LIBDIR
            path = os.path.join(LIBDIR, "libkho.so.1")
            if not os.path.exists(path):
                path = None
        except ImportError:
            pass
    path = path or "libkho.so.1"
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
        "kho_model_open": (vp, [cp, ctypes.POINTER(_ModelOpts), err]),
        "kho_model_open_source": (vp, [vp, ctypes.POINTER(_ModelOpts), err]),
        "kho_model_close": (None, [vp]),
        "kho_model_source": (vp, [vp]),
        "kho_model_handovers": (sz, [vp]),
        "kho_model_handover_fdt": (u64, [vp, sz]),
        "kho_model_handover_compatible": (cp, [vp, sz]),
        "kho_model_handover_found_by": (cp, [vp, sz]),
        "kho_model_handover_keys": (u64, [vp, sz]),
        "kho_model_handover_foreach_run": (ctypes.c_int, [vp, sz, KEY_CB, vp]),
        "kho_model_findings": (sz, [vp, sz]),
        "kho_model_finding": (ctypes.c_bool, [vp, sz, sz, ctypes.POINTER(cp),
                                              ctypes.POINTER(cp), ctypes.POINTER(u64),
                                              ctypes.POINTER(cp)]),
        "kho_model_summary": (None, [vp, ctypes.POINTER(sz)]),
        "kho_model_blobs": (sz, [vp, sz]),
        "kho_model_blob": (ctypes.c_bool, [vp, sz, sz, ctypes.POINTER(cp),
                                           ctypes.POINTER(u64), ctypes.POINTER(u64)]),
        "kho_model_blob_compatible": (cp, [vp, sz, sz]),
        "kho_model_luo_format": (cp, [vp, sz]),
        "kho_model_luo_liveupdate": (u64, [vp, sz]),
        "kho_model_luo_sessions": (sz, [vp, sz]),
        "kho_model_luo_session": (ctypes.c_bool, [vp, sz, sz, ctypes.POINTER(cp),
                                                  ctypes.POINTER(u64), ctypes.POINTER(sz)]),
        "kho_model_luo_file": (ctypes.c_bool, [vp, sz, sz, sz, ctypes.POINTER(cp),
                                               ctypes.POINTER(u64), ctypes.POINTER(u64),
                                               ctypes.POINTER(u64)]),
        "kho_model_partial": (ctypes.c_bool, [vp]),
        "kho_check_count": (sz, []),
        "kho_check_name": (cp, [sz]),
        "kho_check_severity": (ctypes.c_int, [sz]),
        "kho_check_summary": (cp, [sz]),
        "kho_severity_str": (cp, [ctypes.c_int]),
        "kho_check_explain": (ctypes.c_bool, [cp, ctypes.POINTER(cp), ctypes.POINTER(cp)]),
        "kho_check_lookup": (ctypes.c_bool, [cp, ctypes.POINTER(sz)]),
        "kho_check_hint": (cp, [sz, ctypes.c_int]),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    _lib = lib
    return lib


def _findings(lib, m, h):
    out = []
    check, sev, msg = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
    index, phys = ctypes.c_size_t(), ctypes.c_uint64()
    for i in range(lib.kho_model_findings(m, h)):
        lib.kho_model_finding(m, h, i, ctypes.byref(check), ctypes.byref(sev),
                              ctypes.byref(phys), ctypes.byref(msg))
        f = {"check": check.value.decode(), "severity": sev.value.decode(),
             "phys": hex(phys.value), "message": msg.value.decode(errors="replace")}
        # where to look next, as kho-inspect's "hint"
        if lib.kho_check_lookup(check.value, ctypes.byref(index)):
            hint = lib.kho_check_hint(index, _SEVERITIES[f["severity"]])
            if hint:
                f["hint"] = hint.decode()
        out.append(f)
    return out


def _subtrees(lib, m, h):
    """The FDT's sub-nodes: name, address, size, an FDT blob's compatible."""
    out = []
    name, phys, size = ctypes.c_char_p(), ctypes.c_uint64(), ctypes.c_uint64()
    for i in range(lib.kho_model_blobs(m, h)):
        if not lib.kho_model_blob(m, h, i, ctypes.byref(name), ctypes.byref(phys),
                                  ctypes.byref(size)):
            break
        t = {"name": name.value.decode(errors="replace"), "phys": hex(phys.value),
             "size": hex(size.value)}
        compat = lib.kho_model_blob_compatible(m, h, i)
        if compat:
            t["compatible"] = compat.decode(errors="replace")
        out.append(t)
    return out


def _luo(lib, m, h):
    """The live update's state (LUO, 7.1+): format, number, sessions and
    their files; None without LUO."""
    fmt = lib.kho_model_luo_format(m, h)
    if not fmt:
        return None
    sessions = []
    name, phys, nfiles = ctypes.c_char_p(), ctypes.c_uint64(), ctypes.c_size_t()
    compat, token, data, fphys = (ctypes.c_char_p(), ctypes.c_uint64(), ctypes.c_uint64(),
                                  ctypes.c_uint64())
    for s in range(lib.kho_model_luo_sessions(m, h)):
        if not lib.kho_model_luo_session(m, h, s, ctypes.byref(name), ctypes.byref(phys),
                                         ctypes.byref(nfiles)):
            break
        files = []
        for f in range(nfiles.value):
            if lib.kho_model_luo_file(m, h, s, f, ctypes.byref(compat), ctypes.byref(token),
                                      ctypes.byref(data), ctypes.byref(fphys)):
                files.append({"compatible": (compat.value or b"").decode(errors="replace"),
                              "token": hex(token.value), "data": hex(data.value)})
        sessions.append({"name": name.value.decode(errors="replace"), "files": files})
    return {"format": fmt.decode(), "liveupdate_num": lib.kho_model_luo_liveupdate(m, h),
            "sessions": sessions}


def _severities(severity):
    """{check: "error"|"warning"|"off"|...} as struct kho_model_severity[]
    (kho-inspect's -E, -W and -Wno-); ValueError names what is wrong."""
    items = list(severity.items()) if severity else []
    arr = (_Severity * max(len(items), 1))()
    for i, (check, sev) in enumerate(items):
        if sev not in _SEVERITIES:
            raise ValueError(f"severity of {check}: {sev!r} is not one of "
                             + ", ".join(_SEVERITIES))
        arr[i] = _Severity(check.encode(), _SEVERITIES[sev])
    return arr, len(items)


def _model(lib, src, fdt, scratch_array, vmlinux=None, dtb=None, boot_params=None,
           scratch=(), fdt_file=None, severity=None, max_order=None, kernel=None, **source):
    """A model of @src (a path, or an open source handle) made by the
    library's discovery session; KhoError when it cannot be made. The
    keywords are kho-inspect's --vmlinux, --dtb, --boot-params,
    --scratch ADDR,SIZE pairs, --fdt-file, -E/-W/-Wno- (@severity) and
    --max-order; @kernel {"fdt", "incoming_fdt", "scratch", "scratch_bytes",
    "out_tree", "in_tree"} is what a debugger read through the kernel's
    symbols (kho_model_opts.kernel_*; a tree None when not known)."""
    flat = [v for pair in scratch_array for v in pair]
    arrays = (ctypes.c_uint64 * max(len(flat), 1))(*flat)
    areas = [v for pair in scratch for v in pair]
    scratch_c = (ctypes.c_uint64 * max(len(areas), 1))(*areas)
    opts = _ModelOpts(size=ctypes.sizeof(_ModelOpts), scratch_arrays=arrays,
                      nscratch_arrays=len(flat) // 2, scratch=scratch_c,
                      nscratch=len(areas) // 2)
    sevs, nsevs = _severities(severity)
    opts.severities, opts.nseverities = ctypes.cast(sevs, ctypes.c_void_p), nsevs
    paths = [os.fsencode(p) if p is not None else None for p in (vmlinux, dtb, fdt_file)]
    opts.vmlinux, opts.dtb, opts.fdt_file = paths
    if fdt is not None:
        opts.flags, opts.fdt = _MODEL_FDT, fdt
    if boot_params is not None:
        opts.flags |= _MODEL_BOOT_PARAMS
        opts.boot_params = boot_params
    if max_order is not None:
        opts.flags |= _MODEL_MAX_ORDER
        opts.max_order = max_order
    if kernel is not None:
        opts.flags |= _MODEL_KERNEL
        for k in ("fdt", "incoming_fdt", "scratch", "scratch_bytes"):
            setattr(opts, "kernel_" + k, kernel.get(k) or 0)
        for k, flag in (("out_tree", _MODEL_OUT_TREE), ("in_tree", _MODEL_IN_TREE)):
            if kernel.get(k) is not None:
                opts.flags |= flag
                setattr(opts, "kernel_" + k, kernel[k])
    err = _Error()
    if isinstance(src, (str, bytes, os.PathLike)):
        opts.format = _FORMATS[source.get("format", "auto")]
        opts.raw_base = source.get("raw_base", 0)
        opts.page_size = source.get("page_size", 0)
        m = lib.kho_model_open(os.fsencode(src), ctypes.byref(opts), ctypes.byref(err))
    else:
        m = lib.kho_model_open_source(src, ctypes.byref(opts), ctypes.byref(err))
    if not m:
        # the session's messages are kho-inspect's: name the keyword here
        raise KhoError(err.msg.decode(errors="replace").replace("--page-size",
                                                                 "page_size="))
    return m


def _document(lib, m):
    handovers = []
    for h in range(lib.kho_model_handovers(m)):
        ranges = []

        def key(ctx, phys, size, order):
            ranges.append({"phys": hex(phys), "order": order, "size": hex(size)})
            return 0
        lib.kho_model_handover_foreach_run(m, h, KEY_CB(key), None)
        handovers.append({
            "fdt": {"phys": hex(lib.kho_model_handover_fdt(m, h)),
                    "compatible": lib.kho_model_handover_compatible(m, h).decode(),
                    "found_by": lib.kho_model_handover_found_by(m, h).decode()},
            "subtrees": _subtrees(lib, m, h),
            "ranges": ranges,
            "stats": {"keys": lib.kho_model_handover_keys(m, h)},
            "findings": _findings(lib, m, h),
        })
        luo = _luo(lib, m, h)
        if luo:
            handovers[-1]["luo"] = luo
    top = _findings(lib, m, ctypes.c_size_t(-1).value)
    # the totals count findings past the per-check cap too
    totals = (ctypes.c_size_t * 4)()
    lib.kho_model_summary(m, totals)
    counts = {"note": totals[0], "incomplete": totals[1], "warning": totals[2],
              "error": totals[3], "partial": bool(lib.kho_model_partial(m))}
    return {"schema": SCHEMA,
            "tool": {"name": "kho (python)", "version": lib.kho_version().decode()},
            "source": {"page_size": lib.kho_source_page_size(lib.kho_model_source(m))},
            "handovers": handovers, "findings": top, "summary": counts}


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


def inspect(path, *, fdt=None, scratch_array=(), page_size=0, format="auto", raw_base=0,
            vmlinux=None, dtb=None, boot_params=None, scratch=(), fdt_file=None,
            severity=None, max_order=None):
    """The verdict on the dump at @path: a dict shaped as kho-inspect's
    --json verify --ranges document (see the module's doc). @scratch_array
    is [(address, bytes), ...] of in-dump struct kho_scratch[]; @vmlinux,
    @dtb, @boot_params, @scratch [(address, size), ...], @fdt_file and
    @max_order are kho-inspect's options of those names. @severity
    {check: "error"|"warning"|"off"} raises a check at another severity
    than its default, as -E CHECK, -W CHECK and -Wno-CHECK do (KhoError
    for a check that does not exist). A dump that does not record its
    page size is read with the one kho-inspect detects (the same discovery
    session); KhoError when none or several fit (give @page_size)."""
    lib = library()
    m = _model(lib, path, fdt, scratch_array, page_size=page_size, format=format,
               raw_base=raw_base, vmlinux=vmlinux, dtb=dtb, boot_params=boot_params,
               scratch=scratch, fdt_file=fdt_file, severity=severity, max_order=max_order)
    try:
        return _document(lib, m)
    finally:
        lib.kho_model_close(m)


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


def inspect_memory(read, ranges, *, fdt=None, scratch_array=(), scratch=(), severity=None,
                   max_order=None, kernel=None, **source):
    """inspect() over memory read through @read (see open_memory)."""
    lib = library()
    src, keep = open_memory(read, ranges, **source)
    m = None
    try:
        m = _model(lib, src, fdt, scratch_array, scratch=scratch, severity=severity,
                   max_order=max_order, kernel=kernel)
        return _document(lib, m)
    finally:
        if m:
            lib.kho_model_close(m)
        lib.kho_source_close(src)
        del keep


def _elf_phdrs(f, path):
    """(struct byte order, program headers, their count) of the ELF64 file
    open as @f."""
    import struct
    hdr = f.read(64)
    if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
        raise KhoError(f"{path}: not an ELF64 file")
    end = "<" if hdr[5] == 1 else ">"
    phoff, = struct.unpack_from(end + "Q", hdr, 32)
    phnum, = struct.unpack_from(end + "H", hdr, 56)
    f.seek(phoff)
    return end, f.read(56 * phnum), phnum


def elf_vmcoreinfo(path):
    """{key: value} of an ELF core's VMCOREINFO note ("OSRELEASE",
    "NUMBER(phys_base)", ...), {} without one."""
    import struct
    with open(path, "rb") as f:
        end, ph, phnum = _elf_phdrs(f, path)
        for i in range(phnum):
            p_type, _, off, _, _, filesz = struct.unpack_from(end + "IIQQQQ", ph, 56 * i)
            if p_type != 4:             # PT_NOTE
                continue
            f.seek(off)
            notes, pos = f.read(min(filesz, 1 << 20)), 0
            while pos + 12 <= len(notes):
                namesz, descsz, _ = struct.unpack_from(end + "III", notes, pos)
                name = notes[pos + 12:pos + 12 + namesz].rstrip(b"\0")
                desc = pos + 12 + (namesz + 3) // 4 * 4
                if name == b"VMCOREINFO":
                    text = notes[desc:desc + descsz].decode(errors="replace")
                    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
                pos = desc + (descsz + 3) // 4 * 4
    return {}


def elf_ranges(path):
    """[(paddr, size, "present"|"excluded"), ...] of an ELF core's PT_LOAD
    segments: the bytes the file holds, and the RAM it describes without
    bytes (p_filesz < p_memsz, or past the end of a file cut short), as
    kho-inspect reads them. Segments that
    alias RAM already described (kcore's kernel text) are left out."""
    import struct
    with open(path, "rb") as f:
        end, ph, phnum = _elf_phdrs(f, path)
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
