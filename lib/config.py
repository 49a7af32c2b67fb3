"""Settings read from the environment (``LTV_*``), each checked against what it may be.

A value that cannot be used never crashes an import or a page: :func:`value`
falls back to the default, and :func:`problems` names every bad variable with
what it may be, so the app (at start) and ``python -m lib`` refuse to run
with one sentence per problem instead of a traceback later (a share link
that fails after its data was saved, links dead on arrival).

=======================  =========  ==========================================
variable                 default    what it is
=======================  =========  ==========================================
LTV_DATA_DIR             .data      where shared datasets and links are stored
LTV_LINK_DAYS            30         days a share link lives (1 to 3650)
LTV_PARSE_TIMEOUT_S      240        seconds a file may take to parse (5 to 3600)
LTV_PARSE_MEM_MB         3072       memory of one parse (256 to 65536 MB)
LTV_PARSE_CPU_S          240        CPU seconds of one parse (5 to 3600)
LTV_SPLIT_MIN_BYTES      67108864   sheets at least this big are parsed in two halves
LTV_PARSE_SLOTS          cores      files parsed at once by the server; more uploads wait their turn
=======================  =========  ==========================================
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: float
    low: float
    high: float
    integer: bool = True

    def parse(self, raw: str | None) -> tuple[float, str | None]:
        """(the value to use, a message when ``raw`` cannot be used)."""
        if raw is None or raw.strip() == "":
            return self.default, None
        try:
            v = float(raw) if not self.integer else int(raw.strip())
        except ValueError:
            return self.default, f"{self.name}={raw!r} is not a {'whole ' if self.integer else ''}number; use {self._range()}."
        if not self.low <= v <= self.high:
            return self.default, f"{self.name}={raw!r} is out of range; use {self._range()}."
        return v, None

    def _range(self) -> str:
        fmt = (lambda x: f"{int(x)}") if self.integer else (lambda x: f"{x:g}")
        return f"a value from {fmt(self.low)} to {fmt(self.high)} (default {fmt(self.default)})"


SETTINGS = {s.name: s for s in (
    Setting("LTV_LINK_DAYS", 30, 1, 3650),
    Setting("LTV_PARSE_TIMEOUT_S", 240, 5, 3600, integer=False),
    Setting("LTV_PARSE_MEM_MB", 3072, 256, 65536),
    Setting("LTV_PARSE_CPU_S", 240, 5, 3600),
    Setting("LTV_SPLIT_MIN_BYTES", 64 * 1024**2, 1, 2**40),
    Setting("LTV_PARSE_SLOTS", float(max(1, os.cpu_count() or 1)), 1, 64),
)}


def value(name: str) -> float:
    """The setting's value from the environment, or its default when unset or unusable."""
    return SETTINGS[name].parse(os.environ.get(name))[0]


def data_dir() -> Path:
    """The store's root, ``LTV_DATA_DIR`` (default ``.data`` in the working directory)."""
    return Path(os.environ.get("LTV_DATA_DIR") or ".data")


def problems(store: bool = True) -> list[str]:
    """One sentence per environment setting that cannot be used (empty when all are fine).

    ``store``: also check that ``LTV_DATA_DIR`` can be written (the app shares views there; the command
    line does not need it).
    """
    out = [msg for s in SETTINGS.values() if (msg := s.parse(os.environ.get(s.name))[1])]
    if not store:
        return out
    root = data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        out.append(f"LTV_DATA_DIR={str(root)!r} cannot be written ({exc.strerror or exc}); point it at a writable folder.")
    return out
