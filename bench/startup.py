"""Start-up: the wall time of `mentionscan --help`, as a user's shell starts it.

    python bench/startup.py [--runs 11]

Runs the installed `mentionscan` script (the venv's console script, as a user types it) in a
fresh process each time, after one untimed run to warm the OS's file cache, and reports the
median. Also reports `python -c pass` from the same interpreter, the floor no Python CLI goes
below.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, Row, median, say, seconds, show

TARGET = 0.25


def wall(args: list[str], env: dict[str, str], runs: int) -> float:
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return median(times)


def main(runs: int = 11) -> list[Row]:
    say(f"start-up: mentionscan --help, median of {runs}")
    script = shutil.which("mentionscan", path=str(Path(PYTHON).parent)) or shutil.which("mentionscan")
    command = [script] if script else [PYTHON, "-m", "mentionscan"]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        env = {**os.environ, "MENTIONSCAN_HOME": home}
        taken = wall([*command, "--help"], env, runs)
        floor = wall([PYTHON, "-c", "pass"], env, runs)
    say(f"  {Path(command[0]).name} --help: {seconds(taken)}; python -c pass: {seconds(floor)}")
    return [
        Row(
            "`mentionscan --help`, wall (python -c pass)",
            f"{seconds(taken)} ({seconds(floor)})",
            f"≤ {TARGET * 1000:.0f} ms",
            taken <= TARGET,
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    print(show(main(args.runs)))
