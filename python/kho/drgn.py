# SPDX-License-Identifier: MIT
"""kho.drgn: verify the KHO handover a drgn Program can read.

    import drgn, kho, kho.drgn
    prog = drgn.Program(); prog.set_core_dump("vmcore")
    doc = kho.drgn.inspect(prog, ranges=kho.elf_ranges("vmcore"))

or, on a live kernel (/proc/kcore, root): kho.drgn.inspect(prog), with the
RAM ranges from /proc/iomem. Memory is read with Program.read(addr, size,
physical=True) through libkho's memory source: nothing is copied to a
file. A page drgn cannot read is reported as libkho reports memory a dump
lacks (an incomplete finding).

With the kernel's debug info loaded (prog.load_debug_info([vmlinux])) the
handover is where the kernel keeps it, as kho-inspect --vmlinux reads it:
kho_out.fdt (the outgoing FDT), kho_in.fdt_phys (the one it received),
kho_scratch[kho_scratch_cnt] (its scratch areas) and the roots of
kho_out.radix_tree (7.2+) and kho_in.radix_tree (7.3+); the document says
"found_by": "symbols". Without them (no debug info, a kernel without KHO,
addresses the dump cannot translate) RAM is scanned as before: "found_by":
"scan", and "symbols_note" says why. Virtual addresses go through drgn's
own translation, else (a QEMU dump whose page tables drgn cannot walk)
through the kernel's image and direct mappings as VMCOREINFO describes
them: give core= (the dump's path) or vmcoreinfo=. The page size is the
kernel's (page_size_of): VMCOREINFO's, else drgn's PAGE_SIZE.
"""
import drgn as _drgn

from . import elf_ranges, elf_vmcoreinfo, inspect_memory

__all__ = ["inspect", "iomem_ranges", "kernel_state", "page_size_of"]

_START_KERNEL_MAP = 0xffffffff80000000


class _NoSymbols(Exception):
    """The kernel's KHO state cannot be read through its symbols."""


class _Mapper:
    """Kernel virtual to physical addresses: drgn's own translation when
    it can read there, else the mappings VMCOREINFO describes."""

    def __init__(self, prog, info):
        self.prog, self.info = prog, info or {}
        arch = prog.platform.arch if prog.platform else None
        self.x86 = arch == _drgn.Architecture.X86_64
        self.arm = arch == _drgn.Architecture.AARCH64
        self.page_offset = None

    def _num(self, key, base=10):
        v = self.info.get(key)
        try:
            return int(v, 0 if base == 10 and v.startswith("0x") else base) if v else None
        except ValueError:
            return None

    def image(self, vaddr):
        """An address in the kernel image (a symbol's)."""
        if self.x86 and vaddr >= _START_KERNEL_MAP:
            base = self._num("NUMBER(phys_base)")
            if base is not None:
                return vaddr - _START_KERNEL_MAP + base
        if self.arm:
            off = self._num("NUMBER(kimage_voffset)", 16)
            if off is not None and vaddr - off >= 0:
                return vaddr - off
        raise _NoSymbols(f"0x{vaddr:x}: drgn cannot translate it and VMCOREINFO does not "
                         "describe the kernel image mapping (give core= or vmcoreinfo=)")

    def direct(self, vaddr):
        """An address in the direct map (what kho_out.fdt, kho_scratch and
        the trees' roots point to)."""
        if self.x86 and "OSRELEASE" in self.info:
            if self.page_offset is None:
                l5 = self._num("NUMBER(pgtable_l5_enabled)")
                self.page_offset = 0xff11000000000000 if l5 else 0xffff888000000000
                sym = self.info.get("SYMBOL(page_offset_base)")
                if sym:         # KASLR moved it: the variable says where
                    self.page_offset = self.u64(self.image(int(sym, 16)))
            if self.page_offset <= vaddr < _START_KERNEL_MAP:
                return vaddr - self.page_offset
        if self.arm:
            bits, off = self._num("NUMBER(VA_BITS)"), self._num("NUMBER(PHYS_OFFSET)", 16)
            if bits and off is not None and 36 <= bits <= 52:
                base = (~0 << bits) & 0xffffffffffffffff
                if base <= vaddr and vaddr - base < 1 << (bits - 1):
                    return vaddr - base + off
        raise _NoSymbols(f"0x{vaddr:x}: drgn cannot translate it and VMCOREINFO does not "
                         "describe the direct map (give core= or vmcoreinfo=)")

    def u64(self, phys):
        return int.from_bytes(self.prog.read(phys, 8, True),
                              "little" if self._little() else "big")

    def _little(self):
        plat = self.prog.platform
        return not plat or bool(plat.flags & _drgn.PlatformFlags.IS_LITTLE_ENDIAN)

    def variable(self, name):
        """The kernel variable @name as a drgn Object with its value."""
        try:
            obj = self.prog.variable(name)
        except LookupError:
            raise _NoSymbols(f"no symbol {name} (no debug info loaded, or a kernel "
                             "without KHO)") from None
        try:
            return obj.read_()
        except _drgn.FaultError:
            pass
        try:
            buf = self.prog.read(self.image(obj.address_), _drgn.sizeof(obj), True)
        except _drgn.FaultError:
            raise _NoSymbols(f"{name}: not in the dump") from None
        return _drgn.Object.from_bytes_(self.prog, obj.type_, buf)

    def pointer(self, obj):
        """The physical address a direct-map pointer @obj holds (0: NULL)."""
        v = obj.value_()
        if not v:
            return 0
        try:
            from drgn.helpers.linux.mm import virt_to_phys
            return virt_to_phys(obj).value_()
        except (_drgn.FaultError, LookupError, ValueError, TypeError):
            return self.direct(v)


def kernel_state(prog, vmcoreinfo=None):
    """What the kernel of @prog says of its handovers through its symbols
    (kho_model_opts.kernel_*): {"fdt", "incoming_fdt", "scratch",
    "scratch_bytes", "out_tree", "in_tree"} (physical addresses; a tree
    None where this kernel has none). Raises LookupError with the reason
    when they cannot be read."""
    k = _Mapper(prog, vmcoreinfo)
    try:
        out = k.variable("kho_out")
        kin = k.variable("kho_in")
        cnt = k.variable("kho_scratch_cnt").value_()
        arr = k.variable("kho_scratch")
        state = {"incoming_fdt": kin.fdt_phys.value_()}
        # kho_out.fdt is NULL until kho_init: the received handover is then the one
        state["fdt"] = k.pointer(out.fdt)
        if not state["fdt"] and not state["incoming_fdt"]:
            raise _NoSymbols("kho_out.fdt is NULL and kho_in.fdt_phys is 0: this kernel "
                             "made no handover and received none")
        # kho_scratch points at the array once memory is set up; before that
        # (7.2 sets it late) the array the kernel was handed is kho_in's
        scratch = k.pointer(arr) if arr.value_() else kin.scratch_phys.value_()
        if scratch and cnt:
            state["scratch"] = scratch
            state["scratch_bytes"] = cnt * _drgn.sizeof(arr.type_.type)
        # the trees: kho_out's since 7.2, kho_in's since 7.3
        for key, obj in (("out_tree", out), ("in_tree", kin)):
            names = [m.name for m in obj.type_.members]
            state[key] = k.pointer(obj.radix_tree.root) if "radix_tree" in names else None
        return state
    except _NoSymbols as e:
        raise LookupError(str(e)) from None


def iomem_ranges(path="/proc/iomem"):
    """[(start, size), ...] of the top-level "System RAM" lines of @path."""
    out = []
    with open(path) as f:
        for line in f:
            if line[0].isspace() or not line.rstrip().endswith(": System RAM"):
                continue
            lo, hi = line.split(" : ")[0].split("-")
            start, end = int(lo, 16), int(hi, 16) + 1
            if end > start:
                out.append((start, end - start))
    return out


def page_size_of(prog, vmcoreinfo=None):
    """The kernel's page size: VMCOREINFO's PAGESIZE, else drgn's PAGE_SIZE
    (which drgn reads from the core or the running kernel), else 0 (libkho
    then assumes 4096); a value that is no KHO page size is not taken. An arm64 kernel of 16 KiB pages read
    at 4096 gives a tree of false errors."""
    sizes = (4096, 16384, 65536)
    v = (vmcoreinfo or {}).get("PAGESIZE", "")
    if v.isdigit() and int(v) in sizes:
        return int(v)
    try:
        v = prog["PAGE_SIZE"].value_()
    except (LookupError, ValueError, _drgn.FaultError):
        return 0
    return v if v in sizes else 0


def inspect(prog, *, ranges=None, fdt=None, scratch_array=(), page_size=0, core=None,
            vmcoreinfo=None, symbols=True, severity=None, max_order=None):
    """kho.inspect()'s document for the memory of @prog. @core, a core
    dump's path, gives its RAM ranges and VMCOREINFO (else @ranges, from
    kho.elf_ranges(path), and @vmcoreinfo, from kho.elf_vmcoreinfo(path));
    a live kernel's come from /proc/iomem. The handover is found through
    the kernel's symbols unless @fdt names it or @symbols is False, else
    by a scan ("found_by" says which)."""
    if core is not None:
        ranges = ranges if ranges is not None else elf_ranges(core)
        vmcoreinfo = vmcoreinfo if vmcoreinfo is not None else elf_vmcoreinfo(core)
    page_size = page_size or page_size_of(prog, vmcoreinfo)
    if ranges is None:
        if not prog.flags & _drgn.ProgramFlags.IS_LIVE:
            raise ValueError("give core= or ranges= for a core dump (kho.elf_ranges(path))")
        ranges = iomem_ranges()
    kernel, why = None, None
    if fdt is not None:
        why = "fdt= names the handover"
    elif not symbols:
        why = "symbols=False"
    else:
        try:
            kernel = kernel_state(prog, vmcoreinfo)
        except LookupError as e:
            why = str(e)
    plat = prog.platform
    arch = {_drgn.Architecture.X86_64: "x86_64",
            _drgn.Architecture.AARCH64: "aarch64"}.get(plat.arch) if plat else None
    big = bool(plat) and not plat.flags & _drgn.PlatformFlags.IS_LITTLE_ENDIAN

    def read(phys, size):
        try:
            return prog.read(phys, size, True)
        except _drgn.FaultError:
            return None

    doc = inspect_memory(read, ranges, fdt=fdt, scratch_array=scratch_array,
                         page_size=page_size, big_endian=big, arch=arch,
                         name="drgn program", kernel=kernel, severity=severity,
                         max_order=max_order)
    doc["found_by"] = "symbols" if kernel else "--fdt" if fdt is not None else "scan"
    if why and fdt is None:
        doc["symbols_note"] = why
    return doc
