"""Wheels for a room of mixed laptops: which pins have a wheel on each platform, and one wheelhouse per platform.

Used by `make wheelhouse`, `make lab` (the host's folder) and INSTRUCTORS.md; no notebook imports it. Standard
library only at import: `make wheelhouse` runs it with the Python that will build `.venv`.

    python -m utils.wheelhouse host                  # this Python's platform, e.g. linux-x86_64
    python -m utils.wheelhouse download [PLATFORM..] # wheelhouse/PLATFORM/: the wheels data/wheels.json names
    python -m utils.wheelhouse record [--cpu-torch SOURCE]   # with the network: resolve every platform again

`record` asks pip what it would install for each platform (`pip install --dry-run --report --only-binary=:all:
--platform ... --python-version 3.11`, reading PEP 658 metadata, no whole wheels), with the environment markers
of that platform, not of this machine (pip evaluates them for the host: pypa/pip#11664), and keeps the wheel
names and sizes in data/wheels.json. A pin with no wheel is listed as missing with pip's reason and the others
resolved again. `download` then fetches exactly those files with `pip download --no-deps`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform as _platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
REPORT = ROOT / "data" / "wheels.json"
HOUSE = ROOT / "wheelhouse"
EXTRA = ("setuptools>=68",)  # builds utils/ (pyproject.toml) when installing without a network
PYTHON = "3.11"
CPU_TORCH = "https://download.pytorch.org/whl/cpu"  # PyTorch's CPU-only builds for Linux
CUDA = re.compile(r"^(nvidia-|cuda-)")  # what PyPI's Linux torch pulls in: gigabytes a laptop cannot use
PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==([^\s#]+)\s*$")


def _manylinux(arch: str) -> tuple[str, ...]:
    """Wheel tags a Linux with glibc 2.28 or newer runs (Debian 10, Ubuntu 20.04, RHEL 8 and later)."""
    return (*(f"manylinux_2_{v}_{arch}" for v in range(28, 16, -1)), f"manylinux2014_{arch}")


# name: (wheel tags, platform.system(), platform.machine(), the laptops it serves)
PLATFORMS = {
    "linux-x86_64": (_manylinux("x86_64"), "Linux", "x86_64", "Linux and Windows (WSL2) on Intel or AMD"),
    "linux-aarch64": (_manylinux("aarch64"), "Linux", "aarch64", "Linux and Windows (WSL2) on ARM"),
    "macos-x86_64": (("macosx_14_0_x86_64",), "Darwin", "x86_64", "Intel Macs, macOS 14 or newer"),
    "macos-arm64": (("macosx_14_0_arm64",), "Darwin", "arm64", "Apple silicon Macs, macOS 14 or newer"),
}


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares it: `jupyterlab_rise` is `jupyterlab-rise`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    """`name==version` lines of a requirements or conda file, by canonical name."""
    return {canonical(m.group(1)): m.group(2) for m in map(PIN.match, Path(path).read_text().splitlines()) if m}


def host() -> str:
    """This Python's platform as PLATFORMS names it; ValueError for any other (e.g. Windows without WSL2)."""
    system, machine = _platform.system(), _platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "arm64" if system == "Darwin" else "aarch64"}.get(machine, machine)
    for name, (_, s, m, _) in PLATFORMS.items():
        if (s, m) == (system, machine):
            return name
    raise ValueError(f"no wheelhouse for {system} on {machine}: expected one of {sorted(PLATFORMS)} "
                     "(on Windows, use WSL2)")


def pip_platform_args(name: str) -> list[str]:
    """pip's options that select the wheels of platform `name` for CPython 3.11."""
    if name not in PLATFORMS:
        raise ValueError(f"platform must be one of {sorted(PLATFORMS)}. Received: platform={name!r}")
    tags = [arg for tag in PLATFORMS[name][0] for arg in ("--platform", tag)]
    return [*tags, "--python-version", PYTHON, "--implementation", "cp", "--abi", "cp311", "--only-binary=:all:"]


def markers(name: str) -> dict[str, str]:
    """The PEP 508 environment markers of platform `name` (what pip would see running there)."""
    _, system, machine, _ = PLATFORMS[name]
    return {"sys_platform": "darwin" if system == "Darwin" else "linux", "platform_system": system,
            "platform_machine": machine, "os_name": "posix", "python_version": PYTHON,
            "python_full_version": f"{PYTHON}.0", "platform_release": "", "platform_version": ""}


def _pip_as_platform() -> None:
    """Run pip (argv: MARKERS_JSON SIZES_PATH pip-args...) with the markers given; save the index's file sizes."""
    from pip._internal.cli.main import main
    from pip._internal.models import link
    from pip._vendor.packaging import markers as pip_markers

    wanted, sizes_path, *args = sys.argv[1:]
    environment = {**pip_markers.default_environment(), **json.loads(wanted)}
    pip_markers.default_environment = lambda: dict(environment)
    sizes, from_json = {}, link.Link.from_json.__func__

    def recording(cls, file_data, page_url):
        sizes[file_data.get("filename")] = file_data.get("size")
        return from_json(cls, file_data, page_url)

    link.Link.from_json = classmethod(recording)
    try:
        code = main(args)
    finally:
        Path(sizes_path).write_text(json.dumps(sizes))
    sys.exit(code)


NO_MATCH = re.compile(r"Could not find a version that satisfies the requirement (?P<req>[^\s;(]+)[^(]*"
                      r"(?:\(from (?P<parent>[\w.\-]+)\) )?\(from versions: (?P<versions>[^)]*)\)")


def missing_from(pip_output: str, name: str) -> tuple[str, str] | None:
    """(pin, reason) for the requirement pip found no wheel for on platform `name`; None when pip said nothing."""
    found = NO_MATCH.search(pip_output)
    if not found:
        return None
    requirement, parent = found.group("req"), found.group("parent")
    versions = [v.strip() for v in found.group("versions").split(",") if v.strip() not in ("", "none")]
    where = f"{name} ({', '.join(PLATFORMS[name][0][:1])}, CPython {PYTHON})"
    newest = f"; the newest with one is {versions[-1]}" if versions else "; no version has one"
    if parent:
        return canonical(parent), f"needs {requirement}, which has no wheel for {where}{newest}"
    return canonical(re.split(r"[=<>!~]", requirement)[0]), f"no wheel of {requirement} for {where}{newest}"


def _resolve_once(name: str, requirements: list[str], sources: list[str]) -> tuple[dict | None, str, dict]:
    """pip's dry-run report for `requirements` on `name` (None when it fails), its output, the file sizes."""
    with tempfile.TemporaryDirectory() as tmp:
        report, sizes = Path(tmp) / "report.json", Path(tmp) / "sizes.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
        command = [sys.executable, "-c", "from utils.wheelhouse import _pip_as_platform as p; p()",
                   json.dumps(markers(name)), str(sizes), "install", "--dry-run", "--ignore-installed",
                   "--report", str(report), "--target", str(Path(tmp) / "target"), *pip_platform_args(name),
                   *sources, *requirements]
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        found = json.loads(report.read_text()) if run.returncode == 0 else None
        return found, run.stdout + run.stderr, json.loads(sizes.read_text()) if sizes.exists() else {}


def _wheel(item: dict, sizes: dict) -> tuple[str, dict]:
    """(name, {version, wheel, bytes}) of one entry of pip's installation report."""
    url = item["download_info"]["url"]
    filename = urllib.parse.unquote(url.rsplit("/", 1)[-1])
    size = sizes.get(filename)
    if size is None and url.startswith("file:"):
        size = os.path.getsize(urllib.parse.unquote(urllib.parse.urlparse(url).path))
    meta = item["metadata"]
    return canonical(meta["name"]), {"version": meta["version"], "wheel": filename, "bytes": size}


def resolve(name: str, cpu_torch: str | None = None) -> dict:
    """Every wheel pip would install on platform `name`, and each pin that has none, with the reason.

    `cpu_torch`: where torch's CPU builds for Linux are, an index URL or a folder (default: PyTorch's CPU index).
    """
    cpu_torch = cpu_torch or CPU_TORCH
    pins = [f"{n}=={v}" for n, v in read_pins().items()]
    linux, folder = PLATFORMS[name][1] == "Linux", Path(cpu_torch).is_dir()
    sources = (["--find-links" if folder else "--extra-index-url", cpu_torch]) if linux else []
    searched = "a local folder of torch's CPU wheels" if folder else cpu_torch
    missing: dict[str, str] = {}
    while True:
        wanted = [p for p in pins if p.split("==")[0] not in missing] + list(EXTRA)
        report, output, sizes = _resolve_once(name, wanted, sources)
        if report is None:
            failed = missing_from(output, name)
            if failed is None or failed[0] in missing or failed[0] not in read_pins():
                raise RuntimeError(f"pip failed on {name} for a reason not about a missing wheel:\n{output[-3000:]}")
            missing[failed[0]] = failed[1]
            continue
        wheels = dict(_wheel(item, sizes) for item in report["install"])
        cuda = sorted(n for n in wheels if CUDA.match(n))
        if linux and "torch" in wheels and "+cpu" not in wheels["torch"]["version"]:
            missing["torch"] = (f"the only torch {wheels['torch']['version']} wheel found for {name} is the "
                                f"CUDA build (it pulls {len(cuda)} wheels: {', '.join(cuda[:3])}, ...); {searched} "
                                "had no CPU build for it")
            continue
        return {"serves": PLATFORMS[name][3], "tags": list(PLATFORMS[name][0]), "missing": missing,
                "wheels": dict(sorted(wheels.items()))}


def record_report(path: Path = REPORT, cpu_torch: str | None = None) -> dict:
    """Resolve every platform and write the report to `path`."""
    import pip

    report = {"recorded": datetime.date.today().isoformat(), "python": PYTHON, "pip": pip.__version__,
              "pins": read_pins(), "extra": list(EXTRA),
              "platforms": {name: resolve(name, cpu_torch) for name in PLATFORMS}}
    Path(path).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return report


def load_report(path: Path = REPORT) -> dict:
    """The recorded report."""
    return json.loads(Path(path).read_text())


def download_megabytes(entry: dict) -> float | None:
    """What a platform's wheels weigh, in MB (None when a size is unknown)."""
    sizes = [w["bytes"] for w in entry["wheels"].values()]
    return None if None in sizes else sum(sizes) / 1e6


def download(name: str, into: Path = HOUSE, report: dict | None = None) -> bool:
    """Fill `into`/`name`/ with the platform's recorded wheels; False (and why) when a pin has none there."""
    entry = (report or load_report())["platforms"][name]
    if entry["missing"]:
        print(f"{name}: skipped, no wheel for " + "; ".join(f"{k} ({v})" for k, v in entry["missing"].items())
              + f". Learners on {entry['serves']} use Binder.")
        return False
    part, final = Path(into) / f"{name}.part", Path(into) / name
    shutil.rmtree(part, ignore_errors=True)
    wanted = [f"{n}=={w['version']}" for n, w in entry["wheels"].items()]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(part),
                    *pip_platform_args(name), *wanted], check=True)
    absent = sorted({w["wheel"] for w in entry["wheels"].values()} - {p.name for p in part.glob("*.whl")})
    if absent:
        raise SystemExit(f"{name}: pip did not fetch {absent} (data/wheels.json names them; on Linux, torch's CPU "
                         f"build needs PIP_EXTRA_INDEX_URL={CPU_TORCH})")
    shutil.rmtree(final, ignore_errors=True)
    part.rename(final)
    print(f"{final}: {len(entry['wheels'])} wheels, {download_megabytes(entry) or 0:.0f} MB")
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Wheels for each platform of a room (see the module's docstring).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("host", help="print this Python's platform")
    get = sub.add_parser("download", help="fill wheelhouse/PLATFORM/ for each platform (default: this one)")
    get.add_argument("platforms", nargs="*", metavar="PLATFORM", help=f"any of {', '.join(PLATFORMS)}")
    get.add_argument("--into", type=Path, default=HOUSE)
    rec = sub.add_parser("record", help="resolve every platform with the network; write data/wheels.json")
    rec.add_argument("--cpu-torch", help="index URL or folder holding torch's CPU wheels")
    args = parser.parse_args(argv)
    if args.command == "host":
        print(host())
    elif args.command == "download":
        for name in args.platforms or [host()]:
            pip_platform_args(name)  # refuses an unknown name before anything is fetched
        for name in args.platforms or [host()]:
            download(name, args.into)
    else:
        for name, entry in record_report(cpu_torch=args.cpu_torch)["platforms"].items():
            print(f"{name}: {len(entry['wheels'])} wheels, missing: {sorted(entry['missing']) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
