#!/usr/bin/env python3
"""Writes the hand-made seeds of Fuzz/Corpus (see Fuzz/README.md, "Seed corpora").

Run from anywhere: python3 Fuzz/make-seeds.py. Each seed is named after what it holds and is
rewritten with the same bytes every time. The rest of each corpus was merged from fuzzing runs
(Scripts/fuzz.sh TARGET SECONDS --merge) and is not touched here.
"""
import pathlib
import struct

corpus = pathlib.Path(__file__).resolve().parent / "Corpus"


def seed(target, name, data):
    directory = corpus / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


# byte_size: the first byte 0xFF selects a number (8 bytes, then a shift), any other byte text.
for name, text in [("plain", "64"), ("bytes", "64B"), ("kib", "4KiB"), ("k", "4k"), ("mib", "64MiB"),
                   ("g", "1G"), ("gib-upper", "1GIB"), ("plus", "+8K"), ("zero", "0"), ("negative", "-4K"),
                   ("largest", "9223372036854775807"), ("overflow", "8589934592G"), ("unit-only", "KiB"),
                   ("space", " 4K"), ("kelvin-sign", "4\u212a"), ("fraction", "1.5M"), ("fraction-not-whole", "1.1K"),
                   ("ambiguous-kb", "4KB"), ("no-whole", ".5K"), ("no-decimals", "1.")]:
    seed("byte_size", name, b"\x00" + text.encode())
seed("byte_size", "number-1500", b"\xff" + struct.pack("<Q", 1500) + b"\x00")
seed("byte_size", "number-64mib", b"\xff" + struct.pack("<Q", 64 << 20) + b"\x00")

# sweep_list: the text of --sizes.
for name, text in [("one", "64"), ("list", "64,4K,1M"), ("range", "64..4M"), ("mixed", "64, 4KiB..64KiB ,64MiB"),
                   ("repeat", "4K,4096,4K..8K"), ("odd-range", "100..1000"), ("downwards", "4M..64"), ("empty", ""),
                   ("empty-item", "64,,128"), ("two-ranges", "64..128..256"), ("three-dots", "64...128"),
                   ("below", "32"), ("above", "128M"), ("not-a-size", "64..lots"), ("spaces", " 64 .. 1K ")]:
    seed("sweep_list", name, text.encode())

# device_selector: a device list (count, then per driver: pool index, device count, vendor
# bytes), then the selection text.
devices = bytes([3, 0, 2, 0, 0, 3, 2, 0, 0, 1, 1, 0])  # cpu:0-1, vendor-c:0-1, rdma:0
for name, text in [("exact", "cpu:0"), ("driver", "cpu:"), ("bare-driver", "rdma"), ("glob", "cpu:*"),
                   ("exclusion-first", "^cpu:1"), ("mixed", "cpu:*,^cpu:1,vendor-c:0"), ("vendor", "vendor:"),
                   ("unknown", "cpu:9"), ("empty-item", "cpu:0,,rdma"), ("only-caret", "^"),
                   ("bracket-glob", "[cv]*:0"), ("spaces", " cpu:0 , ^ cpu:1 "), ("combining-after-comma", "cpu:0,\u0301x")]:
    seed("device_selector", name, devices + text.encode())

# elf_check: first 64 bytes of ELF headers of every kind, and files that are not ELF.
def elf(klass=2, data=1, kind=3, machine=62):
    ident = b"\x7fELF" + bytes([klass, data, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", kind, machine, 1, 0x1000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
seed("elf_check", "shared-object", elf())
seed("elf_check", "relocatable", elf(kind=1))
seed("elf_check", "executable", elf(kind=2))
seed("elf_check", "core", elf(kind=4))
seed("elf_check", "aarch64", elf(machine=183))
seed("elf_check", "32-bit", elf(klass=1))
seed("elf_check", "big-endian", elf(data=2))
seed("elf_check", "truncated-19", elf()[:19])
seed("elf_check", "script", "#!/bin/sh\nexit 0\n")
seed("elf_check", "control-bytes", b"\x00\x1b[2J\x7f")
seed("elf_check", "empty", b"")

# iovec_contract: operation (0 copy, 1 memzero, 2 translate), then its arguments.
seed("iovec_contract", "copy-one-entry-each", bytes([0, 1, 0x01, 1, 0, 1, 0x10, 0x00, 0x01, 1, 0, 1, 0x10, 0x00]))
seed("iovec_contract", "memzero-null-array", bytes([1, 1, 0xF0, 1]))
seed("iovec_contract", "memzero-size-max", bytes([1, 1, 0x01, 1, 0, 2]))
seed("iovec_contract", "translate-wraps", bytes([2, 2, 0x10, 0x00, 7, 2]))
