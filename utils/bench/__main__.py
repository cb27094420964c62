"""`python -m utils.bench`: run the speed benchmark from the command line (notebook 02 runs it in Python).

    python -m utils.bench --quick
    python -m utils.bench --configs torch-eager,tf-function --workloads mlp --batches 32,256 --json out.json
    python -m utils.bench --gpu-reference data/reference_results/bench_gpu.json   # on a GPU machine (`gpu`)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from utils.bench.claims import claims_table, fix_table
from utils.bench.configs import CONFIGS, SPE_BASE, WORKLOADS, check_grid, grid, scaled_sizes
from utils.bench.gpu import gpu_grid, on_gpu, reference_table
from utils.bench.record import MEASURED, save_record
from utils.bench.runner import run
from utils.bench.verdict import results_table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small grid (a minute or two on 2 cores)")
    parser.add_argument("--configs", help=f"comma-separated, from: {','.join(CONFIGS)}")
    parser.add_argument("--workloads", help=f"comma-separated, from: {','.join(WORKLOADS)}")
    parser.add_argument("--batches", help="comma-separated batch sizes, used for every workload, e.g. 32,256")
    parser.add_argument("--size", action="append", default=[], metavar="WORKLOAD.NAME=INT",
                        help="a model size, e.g. mlp.hidden=512 (repeatable)")
    parser.add_argument("--scale", type=int, default=1, help="multiply the models' widths (see scaled_sizes)")
    parser.add_argument("--repeats", type=int, help="timed rounds")
    parser.add_argument("--threads", type=int, help="pin every library to this many threads (default: all cores)")
    parser.add_argument("--quiet-pools", action="store_true", help="idle thread pools sleep (QUIET_POOLS)")
    parser.add_argument("--one-at-a-time", action="store_true", help="run the back ends one after another")
    parser.add_argument("--json", type=Path, help="where to write the record (default results/bench-TIME.json)")
    parser.add_argument("--gpu-reference", type=Path, metavar="PATH",
                        help="the GPU reference run (gpu.gpu_grid; the other options change it), written to PATH")
    args = parser.parse_args(argv)
    if args.gpu_reference and args.json:
        parser.error("give --json or --gpu-reference PATH, not both")
    kwargs = gpu_grid() if args.gpu_reference else grid(quick=args.quick)
    try:
        if args.configs:
            kwargs["configs"] = tuple(args.configs.split(","))
        if args.workloads:
            kwargs["workloads"] = tuple(args.workloads.split(","))
            kwargs["batches"] = {w: kwargs["batches"].get(w, (64,)) for w in kwargs["workloads"]}
        if args.batches:
            try:
                kwargs["batches"] = tuple(int(b) for b in args.batches.split(","))
            except ValueError:
                raise ValueError(f"--batches must be ints such as 32,256, got {args.batches!r}") from None
        if args.repeats is not None:
            kwargs["repeats"] = args.repeats
        kwargs["sizes"] = scaled_sizes(args.scale, kwargs["workloads"])
        for workload, given in _parse_sizes(args.size).items():
            kwargs["sizes"].setdefault(workload, {}).update(given)
        kwargs["threads"] = args.threads
        check_grid(**kwargs)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    record = run(**kwargs, all_at_once=False if args.one_at_a_time else None,
                 quiet_pools=args.quiet_pools, progress=_progress)
    print(file=sys.stderr)
    record["settings"]["command"] = "python -m utils.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    path = save_record(record, args.json or args.gpu_reference
                       or Path("results") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json")
    print(results_table(record))
    if args.gpu_reference:
        print("\n" + reference_table(record))
    print("\nThe 2019 claims on this run:\n" + claims_table(record, evidence=False))
    for workload, batch in dict.fromkeys((r["workload"], r["batch"]) for r in record["results"]
                                         if r["config"] in SPE_BASE):
        print(f"\nKeras's steps_per_execution ({workload}, batch {batch}):\n" + fix_table(record, workload, batch))
    print(f"\nrecord written to {path}")
    if args.gpu_reference and not on_gpu(record):
        print(f"no GPU was used: {path} is not a GPU reference", file=sys.stderr)
        return 1
    return 0 if any(r["state"] in MEASURED for r in record["results"]) else 1


def _progress(done: int, total: int, text: str) -> None:
    print(f"\r[{done:>3}/{total}] {text[:70]:<70}", end="", file=sys.stderr, flush=True)


def _parse_sizes(items) -> dict:
    sizes: dict = {}
    for item in items:
        try:
            name, value = item.split("=")
            workload, key = name.split(".")
            sizes.setdefault(workload, {})[key] = int(value)
        except ValueError as err:
            raise ValueError(f"--size must look like WORKLOAD.NAME=INT (e.g. mlp.hidden=512), got {item!r}") from err
    return sizes


if __name__ == "__main__":
    sys.exit(main())
