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
"""
import drgn as _drgn

from . import inspect_memory

__all__ = ["inspect", "iomem_ranges"]


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


def inspect(prog, *, ranges=None, fdt=None, scratch_array=(), page_size=0):
    """kho.inspect()'s document for the memory of @prog."""
    if ranges is None:
        if not prog.flags & _drgn.ProgramFlags.IS_LIVE:
            raise ValueError("give ranges= for a core dump (kho.elf_ranges(path))")
        ranges = iomem_ranges()
    plat = prog.platform
    arch = {_drgn.Architecture.X86_64: "x86_64",
            _drgn.Architecture.AARCH64: "aarch64"}.get(plat.arch) if plat else None
    big = bool(plat) and not plat.flags & _drgn.PlatformFlags.IS_LITTLE_ENDIAN

    def read(phys, size):
        try:
            return prog.read(phys, size, True)
        except _drgn.FaultError:
            return None

    return inspect_memory(read, ranges, fdt=fdt, scratch_array=scratch_array,
                          page_size=page_size, big_endian=big, arch=arch,
                          name="drgn program")
