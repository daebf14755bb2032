"""The program headers of an ELF64 little-endian core file, as the e2e
tests that cut, strip or locate data in dumps need them."""
import struct


def elf_layout(path):
    """(phoff, phnum, notes, loads): notes as [(offset, filesz, phdr)],
    phdr the file offset of the note's program header; loads as
    [(paddr, offset, filesz, memsz)]."""
    with open(path, "rb") as f:
        hdr = f.read(64)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phnum, = struct.unpack_from("<H", hdr, 56)
        f.seek(phoff)
        ph = f.read(56 * phnum)
    notes, loads = [], []
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz = struct.unpack_from("<IIQQQQQ", ph, 56 * i)
        if p_type == 4:
            notes.append((off, filesz, phoff + 56 * i))
        elif p_type == 1:
            loads.append((paddr, off, filesz, memsz))
    return phoff, phnum, notes, loads
