"""Run a notebook in a fresh kernel, bounded: a cell that does not answer fails, naming the notebook and the cell.

Used by `utils.timings` (`make timings`) and the tests; nbval gets the same bound from `--nbval-cell-timeout`
in the Makefile.

    from utils.execution import run_notebook
    nb = run_notebook("notebooks/07_verdict.ipynb", timeout=300)    # executed copy; raises CellHang on a hang

    python -m utils.execution notebooks/02_speed.ipynb notebooks/07_verdict.ipynb --repeat 20   # a hang hunt

Why slices: nbclient waits for each cell's reply with one `poll` of the kernel's shell socket for the whole
cell timeout. A wake-up that zmq's asyncio poller misses (seen here after cells that update ipywidgets, with
the kernel idle and the reply already sent; jupyter/nbclient#312, still open) then costs the whole timeout.
`SlicedClient` polls in slices of `SLICE_S` seconds instead: a missed wake-up costs at most one slice, because
each new poll looks at the socket again.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

from utils.checks import check_seconds

SLICE_S = 1.0  # longest a missed wake-up can delay a cell
CELL_TIMEOUT_S = 300  # the series' slowest cell takes about 60 s on one CPU


class CellHang(RuntimeError):
    """A cell gave no answer within the timeout."""


def _sliced(get_msg_once):
    """A channel's `get_msg(timeout)` polled in slices of SLICE_S seconds, until a message or the timeout."""

    async def get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = SLICE_S if deadline is None else min(SLICE_S, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg_once(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg


class SlicedClient(NotebookClient):
    """nbclient's client whose shell and IOPub channels are polled in slices (see the module's docstring)."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = _sliced(channel.get_msg)
        return kc


def run_cells(client: NotebookClient, nb, name: str, on_cell=None) -> None:
    """Execute every cell of `nb` in `client`'s kernel; `on_cell(number, seconds, cell)` after each code cell.

    Raises CellHang naming `name` and the code cell (numbered 1..n as a clean run numbers them) that timed out.
    """
    number = 0
    for index, cell in enumerate(nb.cells):
        number += cell.cell_type == "code"
        began = time.perf_counter()
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError as err:
            first_line = (cell.source.strip().splitlines() or [""])[0][:80]
            raise CellHang(f"{name}, code cell {number} ({first_line!r}): no answer within {client.timeout} s "
                           "(a hang, or a cell slower than the timeout)") from err
        if cell.cell_type == "code" and on_cell is not None:
            on_cell(number, time.perf_counter() - began, cell)


def run_notebook(path, timeout: float = CELL_TIMEOUT_S, workdir=None):
    """Execute the notebook at `path` in a fresh kernel (in `workdir`, default its folder); return the executed copy.

    `timeout` is seconds per cell. The file is not changed.
    """
    path = Path(path)
    timeout = check_seconds("timeout", timeout)
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(workdir or path.parent)}}
    client = SlicedClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    with client.setup_kernel():
        run_cells(client, nb, path.name)
    return nb


def main(argv=None) -> int:
    """Run each notebook `--repeat` times in a fresh kernel; print each run's seconds; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description="Run notebooks repeatedly, each cell bounded by --timeout.")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=CELL_TIMEOUT_S, help="seconds per cell")
    args = parser.parse_args(argv)
    failures = 0
    for path in args.paths:
        for run in range(1, args.repeat + 1):
            began = time.perf_counter()
            try:
                run_notebook(path, args.timeout)
                status = "ok"
            except Exception as err:  # a hang or an error: count it and go on
                failures += 1
                status = f"{type(err).__name__}: {str(err).strip().splitlines()[-1][:200]}"
            print(f"{path.name} run {run}/{args.repeat}: {time.perf_counter() - began:.1f} s, {status}", flush=True)
    print(f"{failures} failed of {len(args.paths) * args.repeat} runs")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
