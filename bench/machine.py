"""What the figures were measured on: CPU, cores, memory, load, versions."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    load_before: tuple[float, float, float]
    python: str
    sqlite: str

    def describe(self) -> str:
        load = " / ".join(f"{x:.2f}" for x in self.load_before)
        return (
            f"{self.cpu}, {self.cores} cores, {self.ram_gb:.1f} GB RAM; Python {self.python}, "
            f"SQLite {self.sqlite}; load average (1/5/15 min) at start: {load}"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def current_machine() -> Machine:
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 1,
        ram_gb=_ram_gb(),
        load_before=load_average(),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
    )
