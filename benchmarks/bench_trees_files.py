"""The file paths of two (or more) source trees taking turns: A/B in one sitting.

Run:  .venv/bin/python benchmarks/bench_trees_files.py --trees /path/to/old,/path/to/new
                                                        [--only bdf,edf,csv]
                                                        [--modes analyze,replay-engine]
                                                        [--rounds 3] [--minutes 60]

On this shared machine the same code reads 2-3x apart from one hour to the next, so a change
is judged against the tree before it measured in turns, not against an earlier table. Each
tree is a checkout (``git worktree add /tmp/old <rev>``; compile its kernels once with
``PYTHONPATH=/tmp/old .venv/bin/python -m biofeedback.signal.warmup``). Every case runs
``bench_files.py``'s child script in a fresh process with ``PYTHONPATH`` set to the tree and
the working directory outside every tree (``python -c`` puts the working directory first on
``sys.path``), and prints wall time (start-up, imports and reading included) and that
process's peak RSS; the table gives each case's best round and all of its rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_files as bf


def run_case(tree: str, mode: str, path: Path, cwd: Path) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=tree)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", bf.CHILD, mode, str(path)], env=env,
                         cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode:
        raise SystemExit(f"{tree}: {mode} {path.name} failed: {out.stderr.strip()[-500:]}")
    return wall, json.loads(out.stdout.strip().splitlines()[-1])["vmhwm_mb"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trees", required=True, help="comma-separated source trees")
    ap.add_argument("--only", default="bdf,edf,csv")
    ap.add_argument("--modes", default="analyze,replay-engine")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--minutes", type=float, default=60.0)
    args = ap.parse_args()
    trees = [str(Path(t).resolve()) for t in args.trees.split(",")]
    seconds = int(args.minutes * 60) // bf.BLOCK_S * bf.BLOCK_S
    folder = Path(tempfile.mkdtemp(prefix="bench-trees-"))
    try:
        paths = {fmt: bf.write_from_reader(bf.SyntheticReader(seconds), folder / f"rec.{fmt}")
                 for fmt in args.only.split(",")}
        results: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        for r in range(args.rounds):
            for fmt, path in paths.items():
                for mode in args.modes.split(","):
                    for tree in trees:
                        wall, rss = run_case(tree, mode, path, folder)
                        results.setdefault((fmt, mode, tree), []).append((wall, rss))
                        print(f"round {r + 1} {fmt} {mode:<14} {tree}: {wall:.2f} s, "
                              f"{rss:.0f} MB (load {os.getloadavg()[0]:.1f})", flush=True)
        print(f"\n{seconds / 3600:g} h files, best of {args.rounds} rounds\n")
        print("| file | path | tree | best s | x real time | rounds s | peak RSS MB |")
        print("|---|---|---|---:|---:|---|---:|")
        for (fmt, mode, tree), runs in results.items():
            walls = [w for w, _ in runs]
            print(f"| {fmt.upper()} | {mode} | {tree} | {min(walls):.2f} | "
                  f"{seconds / min(walls):.0f}x | {', '.join(f'{w:.2f}' for w in walls)} | "
                  f"{max(m for _, m in runs):.0f} |")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
