"""The hostile set through ``python -m lib load``: seconds and peak memory of each refusal.

    python bench/bench_hostile.py

Every file of tests/test_hostile.py's set, plus the bombs at the sizes an attack
used (a 1.15 GB lying-size bomb, a 64 KiB text referenced 40,000 times, a bomb
honest for its first 6 MB then 1 GB of blanks, a Parquet file of 30 KB customer ids
in a dictionary that expand to 4.5 GB, a Parquet file of 154 columns of 1,048,000 zeros
that is loaded for its 4 mapped columns) and the CSV and wide files of issue #25's
attack (a header of one name 100,000 times, 198 KB that made csv.Sniffer backtrack, NUL
bytes, a 100 MB cell, a value in column XFD), each in a fresh process. Peak
memory is the largest process (the CLI or its parse child). Goal: each bomb refused in
< 2 s and < 300 MB. Last, one failing file read twice in one process: the second read is
answered from the failures remembered (lib.read.FAILED_PARSES), with no parse child.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # conftest imports lib

_RUN = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run([sys.executable, "-m", "lib", "load", sys.argv[1]], capture_output=True, text=True)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall": wall, "peak_mb": peak, "code": r.returncode, "said": (r.stderr or r.stdout).strip()}))
"""


def main() -> None:
    from hostile_files import (dictionary_long_texts, far_column_workbook, late_bomb, long_cell_csv, lying_size_bomb, nul_csv,
                               repeated_header_csv, shared_string_amplification, sniffer_backtracking_csv, wide_zeros)
    from test_hostile import CASES

    cases = [(name, make) for name, make, _ in CASES]
    cases += [("lying-size bomb, 1.15 GB inside", lambda: lying_size_bomb(1150)),
              ("amplification, 40,000 references", shared_string_amplification),
              ("honest 6 MB, then 1 GB of blanks", lambda: late_bomb(honest_mb=6, inflated_mb=1000, declared=8 * 1024**2)),
              ("parquet, 30 KB ids in a dictionary", dictionary_long_texts),
              ("parquet, 154 columns of zeros", wide_zeros),
              ("header: one name 100,000 times", repeated_header_csv),
              ("198 KB of ,\" (csv.Sniffer backtracked)", sniffer_backtracking_csv),
              ("NUL bytes in a CSV", nul_csv),
              ("a 100 MB cell on row 41", long_cell_csv),
              ("a 100 MB cell on row 2", lambda: long_cell_csv(row=1)),
              ("a value in column XFD, 1,000 rows", far_column_workbook),
              ("a value in column XFD, 5,000 rows", lambda: far_column_workbook(5_000)),
              ("a value in column XFD, 7,000 rows", lambda: far_column_workbook(7_000))]
    worst_s = worst_mb = 0.0
    bombs_s = bombs_mb = 0.0
    bomb_names = {"zip bomb", "entity bomb", "sparse corner cell", "shared-string count lie", "lying-size bomb",
                  "lying-size bomb, plausible ratio", "shared-string amplification"}
    print(f"{'file':<38} {'size':>9} {'seconds':>8} {'peak MB':>8}  what the person reads")
    with tempfile.TemporaryDirectory(prefix="ltv-hostile-") as tmp:
        for name, make in cases:
            path = Path(tmp) / "upload.bin"
            path.write_bytes(make())
            res = subprocess.run([sys.executable, "-c", _RUN, str(path)], capture_output=True, text=True, cwd=ROOT)
            m = json.loads(res.stdout.strip().splitlines()[-1])
            worst_s, worst_mb = max(worst_s, m["wall"]), max(worst_mb, m["peak_mb"])
            if name in bomb_names or "bomb" in name or "amplification" in name or "blanks" in name or "dictionary" in name:
                bombs_s, bombs_mb = max(bombs_s, m["wall"]), max(bombs_mb, m["peak_mb"])
            said = m["said"].splitlines()[0][:90] if m["code"] else "(loaded)"
            print(f"{name:<38} {path.stat().st_size / 1e3:>7.0f}kB {m['wall']:>8.2f} {m['peak_mb']:>8.0f}  {said}")
    print(f"worst bomb: {bombs_s:.2f} s (goal < 2 s: {'met' if bombs_s < 2 else 'NOT MET'}), "
          f"{bombs_mb:.0f} MB (goal < 300 MB: {'met' if bombs_mb < 300 else 'NOT MET'})")
    print(f"worst of all: {worst_s:.2f} s, {worst_mb:.0f} MB (about 1 s of each is starting Python twice: the CLI and "
          "its parse child)")
    remembered()


def remembered() -> None:
    """One failing file read twice in this process: the second read starts no parse child."""
    import time

    from hostile_files import long_cell_csv

    import lib.read as read_stage
    from lib.errors import DataError
    from lib.mapping import RULES

    starts: list[int] = []
    real = read_stage._run_worker
    read_stage._run_worker = lambda *a, **k: starts.append(1) or real(*a, **k)  # type: ignore[assignment]
    data = long_cell_csv(40_000, row=3)
    for attempt in ("first", "again"):
        t = time.perf_counter()
        try:
            read_stage.read_workbook(data, RULES)
        except DataError:
            pass
        print(f"a failing file read {attempt}: {time.perf_counter() - t:.2f} s, parse children so far: {len(starts)}")


if __name__ == "__main__":
    main()
