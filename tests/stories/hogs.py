"""Misbehaving 'extractors' for the sandbox tests (run in the child process)."""

from __future__ import annotations


def eat_memory(filename: str, data: bytes) -> str:
    hoard = []
    for _ in range(100):
        hoard.append(bytearray(50 * 1024 * 1024))
    return str(len(hoard))


def spin(filename: str, data: bytes) -> str:
    n = 0
    while True:
        n += 1
