"""The hostile set through ``python -m lib load``: seconds and peak memory of each refusal.

    python bench/bench_hostile.py

Every file of tests/test_hostile.py's set, plus the bombs at the sizes an attack
used (a 1.15 GB lying-size bomb, a 64 KiB text referenced 40,000 times, a bomb
honest for its first 6 MB then 1 GB of blanks, a Parquet file of 30 KB customer ids
in a dictionary that expand to 4.5 GB, a Parquet file of 154 columns of 1,048,000 zeros
that is loaded for its 4 mapped columns), each in a fresh process. Peak
memory is the largest process (the CLI or its parse child). Goal: each refused in
< 2 s and < 300 MB.
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
    from hostile_files import dictionary_long_texts, late_bomb, lying_size_bomb, shared_string_amplification, wide_zeros
    from test_hostile import CASES

    cases = [(name, make) for name, make, _ in CASES]
    cases += [("lying-size bomb, 1.15 GB inside", lambda: lying_size_bomb(1150)),
              ("amplification, 40,000 references", shared_string_amplification),
              ("honest 6 MB, then 1 GB of blanks", lambda: late_bomb(honest_mb=6, inflated_mb=1000, declared=8 * 1024**2)),
              ("parquet, 30 KB ids in a dictionary", dictionary_long_texts),
              ("parquet, 154 columns of zeros", wide_zeros)]
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


if __name__ == "__main__":
    main()
