#!/usr/bin/env python3
"""Before/after figures from two bench builds that take turns block by block.

    python3 tools/bench_pair.py --before "dotnet OLD/Dendrite.Bench.dll conv-ops" \
        --after "dotnet bench/Dendrite.Bench.Kernels/bin/Release/net10.0/Dendrite.Bench.Kernels.dll conv-ops" \
        [--runs 3] [--out FILE.json] -- --no-pytorch --rounds 5

Both commands get the arguments after `--` and DENDRITE_BENCH_TURNS=IN,OUT (two named pipes): each process waits
for its turn before its first measurement and passes it on after every timed block or epoch
(bench/Dendrite.Bench/Report.cs, Report.Turns), so the two builds never run at the same time and each block of one
runs next to a block of the other. On a machine whose speed drifts from second to second (a shared host moving the
virtual cores), this pairs every figure with one taken under the same conditions. A side that has finished leaves the
other to run alone.

Each run prints, per case and mode, after / before as a throughput ratio (GFLOP/s after over before; seconds per
epoch before over after, from the median epoch); the summary is the median of the runs' ratios, and the cases whose
median is below --floor (0.95) are listed. The side that starts alternates from run to run.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading


def run_pair(commands, extra):
    """Runs the two commands with turn-taking; returns each side's JSON lines."""
    tmp = tempfile.mkdtemp(prefix="bench-pair-")
    sides = []
    for i, command in enumerate(commands):
        go, done = os.path.join(tmp, f"go{i}"), os.path.join(tmp, f"done{i}")
        os.mkfifo(go)
        os.mkfifo(done)
        env = dict(os.environ, DENDRITE_BENCH_TURNS=f"{go},{done}")
        proc = subprocess.Popen(shlex.split(command) + extra, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda p=proc, out=lines: out.extend(p.stdout), daemon=True)
        reader.start()
        errors = []
        err_reader = threading.Thread(target=lambda p=proc, out=errors: out.extend(p.stderr), daemon=True)
        err_reader.start()
        # The process opens go for reading, then done for writing; open in the same order so neither blocks.
        go_w = open(go, "wb", buffering=0)
        done_r = open(done, "rb", buffering=0)
        sides.append({"proc": proc, "go": go_w, "done": done_r, "lines": lines, "errors": errors,
                      "readers": (reader, err_reader), "command": command})
    active = list(range(len(sides)))
    while active:
        for i in list(active):
            side = sides[i]
            try:
                side["go"].write(b"\x01")
            except BrokenPipeError:
                active.remove(i)
                continue
            if not side["done"].read(1):
                active.remove(i)
    results = []
    for side in sides:
        side["go"].close()
        side["done"].close()
        code = side["proc"].wait()
        for reader in side["readers"]:
            reader.join()
        if code != 0:
            sys.stderr.write("".join(side["errors"]))
            raise SystemExit(f"bench_pair: '{side['command']}' exited with {code}")
        results.append([json.loads(l) for l in side["lines"] if l.startswith("{")])
    return results


# Throughput metrics (higher is better) and time metrics (lower is better); the others (ratios against PyTorch,
# load, allocation) are not compared.
FASTER_HIGHER = {"gflops", "tokens_per_s", "images_per_s", "steps_per_s"}
FASTER_LOWER = {"epoch_s", "ms_per_token", "ms_per_step", "ms_per_call", "seconds"}


def figures(lines):
    """(case, mode, metric) -> throughput: the median of a case's values, inverted for time metrics."""
    values = {}
    for r in lines:
        if r.get("impl") != "dendrite" or r["metric"] not in FASTER_HIGHER | FASTER_LOWER:
            continue
        values.setdefault((r["case"], r["mode"], r["metric"]), []).append(r["value"])
    out = {}
    for key, vs in values.items():
        m = statistics.median(vs)
        out[key] = m if key[2] in FASTER_HIGHER else 1.0 / m
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="command line of the old build's scenario")
    parser.add_argument("--after", required=True, help="command line of the new build's scenario")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--floor", type=float, default=0.95)
    parser.add_argument("--out", help="write every run's figures and the summary here (JSON)")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="-- then arguments for both commands")
    a = parser.parse_args()
    extra = a.extra[1:] if a.extra[:1] == ["--"] else a.extra
    ratios, runs = {}, []
    for run in range(a.runs):
        order = [a.before, a.after] if run % 2 == 0 else [a.after, a.before]
        got = run_pair(order, extra)
        before, after = (got[0], got[1]) if run % 2 == 0 else (got[1], got[0])
        fb, fa = figures(before), figures(after)
        runs.append({"before": {"|".join(k): v for k, v in fb.items()},
                     "after": {"|".join(k): v for k, v in fa.items()}})
        for key in fb:
            if key in fa and fb[key] > 0:
                ratios.setdefault(key, []).append(fa[key] / fb[key])
        line = " ".join(f"{k[0]}:{k[1]}={fa[k] / fb[k]:.2f}" for k in fb if k in fa)
        print(f"run {run + 1}: {line}", flush=True)
    summary = {k: statistics.median(v) for k, v in ratios.items()}
    print(f"\n{'case':34} {'mode':8} " + " ".join(f"run{i + 1:<3}" for i in range(a.runs)) + "  median")
    for key, median in summary.items():
        cells = " ".join(f"{r:6.2f}" for r in ratios[key])
        print(f"{key[0]:34} {key[1]:8} {cells}  {median:6.2f}{'  < floor' if median < a.floor else ''}")
    below = [k for k, m in summary.items() if m < a.floor]
    values = sorted(summary.values())
    if values:
        print(f"\n{len(values)} cases: median ratio {statistics.median(values):.3f}, lowest {values[0]:.3f}; "
              f"{len(below)} below {a.floor}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"runs": runs, "median": {"|".join(k): v for k, v in summary.items()},
                       "below": ["|".join(k) for k in below]}, f, indent=1)


if __name__ == "__main__":
    main()
