#!/usr/bin/python3
"""bench_bigguest.py KERNEL_DIR INITRD MEMORY OUT_ELF [CONSOLE]

Boot the kernel-CI guest (scripts/kernel-ci's kernel and initramfs) with
MEMORY of RAM (e.g. 64G) under QEMU, stop it at the first moment
("kexec loaded; LUO pending": LUO state and the KHO tree are in memory),
and dump its memory as an ELF vmcore to OUT_ELF without ever writing the
zeros: QEMU writes dump-guest-memory into a FIFO and `dd conv=sparse`
seeks over every all-zero block. A 64 GiB guest touches about 1.5 GiB, so
the file takes about that much disk whatever its apparent size; QEMU
allocates guest memory on first touch and reading untouched memory for the
dump maps the zero page, so the host needs about as much RAM too.
scripts/bench.py then filters it with makedumpfile -d 31."""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

STAGE = re.compile(rb"khoguest: kexec loaded; LUO pending")
TIMEOUT = 900           # a 64 GiB guest's struct pages are set up under TCG


class Qmp:
    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise SystemExit("bench_bigguest: QEMU's QMP socket never opened")
                time.sleep(0.1)
        self.f = self.s.makefile("rb")
        self.f.readline()               # the greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.s.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        while True:
            line = self.f.readline()
            if not line:
                raise SystemExit(f"bench_bigguest: QEMU closed QMP during {name}")
            msg = json.loads(line)
            if "error" in msg:
                raise SystemExit(f"bench_bigguest: {name}: {msg['error'].get('desc')}")
            if "return" in msg:
                return msg["return"]


def phdrs_first(path):
    """Move the program headers to right after the ELF header, in place.
    makedumpfile reads them there (where /proc/vmcore has them) whatever
    e_phoff says; QEMU 7.2 writes section headers there and the program
    headers after them. The notes and data stay where they are."""
    with open(path, "r+b") as f:
        eh = bytearray(f.read(64))
        phoff, shoff = struct.unpack_from("<QQ", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        if phoff == 64:
            return
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
        # every program header's data lies after the headers QEMU wrote
        first = min(struct.unpack_from("<Q", ph, i * phentsize + 8)[0] for i in range(phnum))
        if 64 + len(ph) > first:
            raise SystemExit("bench_bigguest: no room for the program headers")
        struct.pack_into("<QQ", eh, 32, 64, 0)          # e_phoff, e_shoff
        struct.pack_into("<H", eh, 52, 64)              # e_ehsize
        struct.pack_into("<HHH", eh, 58, 0, 0, 0)       # e_shentsize, e_shnum, e_shstrndx
        f.seek(0)
        f.write(eh + ph)


def main():
    kdir, initrd, memory, out = sys.argv[1:5]
    console_path = sys.argv[5] if len(sys.argv) > 5 else None
    tmp = tempfile.mkdtemp(prefix="kho-bigguest-")
    qmp_path, fifo = os.path.join(tmp, "qmp.sock"), os.path.join(tmp, "dump.fifo")
    os.mkfifo(fifo)
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "q35,memory-backend=ram", "-accel", "tcg",
         "-m", memory,
         # reserve=off: MAP_NORESERVE, so the kernel's overcommit heuristic
         # does not refuse more guest RAM than the host has
         "-object", f"memory-backend-ram,id=ram,size={memory},reserve=off",
         "-smp", "1", "-display", "none", "-monitor", "none", "-no-reboot",
         "-device", "vmcoreinfo", "-serial", "stdio",
         "-qmp", f"unix:{qmp_path},server=on,wait=off",
         "-kernel", os.path.join(kdir, "bzImage"), "-initrd", initrd,
         "-append", "console=ttyS0 kho=on liveupdate=on nokaslr panic=-1 "
                    "qemu_fw_cfg.ioport=0xc@0x510:0:1:4"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    seen = threading.Event()
    log = bytearray()

    def reader():
        for line in qemu.stdout:
            log.extend(line)
            if STAGE.search(line):
                seen.set()
    threading.Thread(target=reader, daemon=True).start()
    try:
        deadline = time.monotonic() + TIMEOUT
        qmp = Qmp(qmp_path, deadline)
        t = time.monotonic()
        while not seen.wait(1):
            if qemu.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write(log[-3000:].decode(errors="replace"))
                raise SystemExit("bench_bigguest: the guest never reached its first moment")
        qmp.cmd("stop")
        booted = time.monotonic() - t
        # dd reads the FIFO before QEMU opens it (QEMU's open would block)
        dd = subprocess.Popen(["dd", f"if={fifo}", f"of={out}.tmp", "bs=64K", "iflag=fullblock",
                               "conv=sparse", "status=none"])
        t = time.monotonic()
        qmp.cmd("dump-guest-memory", paging=False, protocol=f"file:{fifo}")
        if dd.wait() != 0:
            raise SystemExit("bench_bigguest: dd failed")
        phdrs_first(out + ".tmp")
        os.rename(out + ".tmp", out)
        print(f"bench_bigguest: booted in {booted:.0f} s, dumped {memory} in "
              f"{time.monotonic() - t:.0f} s, {os.stat(out).st_blocks * 512 >> 20} MiB on disk",
              file=sys.stderr)
        qmp.cmd("quit")
    finally:
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
        if console_path:
            with open(console_path, "wb") as f:
                f.write(log)
        if os.path.exists(out + ".tmp"):     # failed half-way
            os.unlink(out + ".tmp")
        os.unlink(fifo)
        if os.path.exists(qmp_path):
            os.unlink(qmp_path)
        os.rmdir(tmp)


main()
