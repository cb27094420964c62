"""data/wheels.json: every pin has a wheel on each platform or is listed missing with a reason (no network)."""

import json
import re
import subprocess

import pytest

from utils import wheelhouse

REPORT = wheelhouse.load_report()
LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _fits(filename: str, platform: str) -> bool:
    """Whether a wheel's file name says it installs on CPython 3.11 on `platform` (as PLATFORMS defines it)."""
    python, abi, tags = filename[:-4].split("-")[-3:]
    if abi not in ("none", "abi3", "cp311") or not re.search(r"(py3|cp3)", python):
        return False
    allowed, _, machine, _ = wheelhouse.PLATFORMS[platform]
    for tag in tags.split("."):
        if tag == "any" or tag in allowed:
            return True
        legacy = re.fullmatch(r"(manylinux\d+)_(\w+)", tag)
        if legacy and legacy.group(1) in LEGACY and legacy.group(2) == machine:
            return True
        mac = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", tag)
        if mac and int(mac.group(1)) <= 14 and mac.group(3) in (machine, "universal2"):
            return True
    return False


def test_the_report_is_for_todays_pins_and_every_platform():
    assert REPORT["pins"] == wheelhouse.read_pins(), \
        "requirements.txt changed since data/wheels.json was recorded: run `python -m utils.wheelhouse record`"
    assert sorted(REPORT["platforms"]) == sorted(wheelhouse.PLATFORMS)
    assert REPORT["python"] == "3.11" and re.fullmatch(r"\d{4}-\d\d-\d\d", REPORT["recorded"])


@pytest.mark.parametrize("platform", sorted(wheelhouse.PLATFORMS))
def test_every_pin_resolves_to_a_wheel_or_is_missing_with_a_reason(platform):
    entry = REPORT["platforms"][platform]
    assert entry["tags"] == list(wheelhouse.PLATFORMS[platform][0])
    for name, version in wheelhouse.read_pins().items():
        wheel, reason = entry["wheels"].get(name), entry["missing"].get(name)
        assert (wheel is None) != (reason is None), f"{platform}: {name} must be either resolved or missing"
        if reason:
            assert len(reason) > 20 and platform in reason, f"{platform}: {name}'s reason says too little: {reason}"
        else:
            assert wheel["version"].split("+")[0] == version and wheel["wheel"].endswith(".whl"), (platform, name)
    for name, wheel in entry["wheels"].items():
        assert _fits(wheel["wheel"], platform), f"{platform}: {wheel['wheel']} does not install there"
        assert isinstance(wheel["bytes"], int) and wheel["bytes"] > 0, (platform, name)
    assert "setuptools" in entry["wheels"], "utils/ cannot be installed offline without setuptools"


@pytest.mark.parametrize("platform", ["linux-x86_64", "linux-aarch64"])
def test_linux_gets_torch_only_as_the_cpu_build(platform):
    entry = REPORT["platforms"][platform]
    assert not [n for n in entry["wheels"] if wheelhouse.CUDA.match(n)], "CUDA wheels pulled in"
    assert "+cpu" in entry["wheels"]["torch"]["version"] if "torch" in entry["wheels"] else entry["missing"]["torch"]


def test_the_tag_check_itself():
    assert _fits("numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "linux-x86_64")
    assert _fits("six-1.17.0-py2.py3-none-any.whl", "macos-arm64")
    assert _fits("pyzmq-27.3.0-cp311-cp311-macosx_10_15_universal2.whl", "macos-x86_64")
    assert not _fits("numpy-2.4.6-cp311-cp311-manylinux_2_34_x86_64.whl", "linux-x86_64"), "glibc 2.34 > 2.28"
    assert not _fits("numpy-2.4.6-cp312-cp312-macosx_14_0_arm64.whl", "macos-arm64")
    assert not _fits("numpy-2.4.6-cp311-cp311-manylinux_2_28_aarch64.whl", "linux-x86_64")


def test_pips_no_match_message_names_the_pin_and_why():
    direct = ("ERROR: Could not find a version that satisfies the requirement torch==2.13.0 "
              "(from versions: 2.0.0, 2.2.2)\nERROR: No matching distribution found for torch==2.13.0")
    pin, reason = wheelhouse.missing_from(direct, "macos-x86_64")
    assert pin == "torch" and "no wheel of torch==2.13.0 for macos-x86_64" in reason
    assert "the newest with one is 2.2.2" in reason
    needed = ('ERROR: Could not find a version that satisfies the requirement jaxlib<=0.10.2,>=0.10.1; '
              'python_version < "3.15" (from jax) (from versions: none)')
    pin, reason = wheelhouse.missing_from(needed, "macos-x86_64")
    assert pin == "jax" and reason.startswith("needs jaxlib<=0.10.2,>=0.10.1") and "no version has one" in reason
    assert wheelhouse.missing_from("ERROR: network unreachable", "macos-arm64") is None
    assert wheelhouse.canonical("Jupyterlab_Rise") == "jupyterlab-rise"


def test_markers_and_pip_options_name_the_target_not_this_machine():
    assert wheelhouse.markers("macos-arm64")["sys_platform"] == "darwin"
    assert wheelhouse.markers("linux-aarch64")["platform_machine"] == "aarch64"
    args = wheelhouse.pip_platform_args("linux-x86_64")
    assert "--only-binary=:all:" in args and args[args.index("--python-version") + 1] == "3.11"
    assert "manylinux_2_28_x86_64" in args and "manylinux_2_34_x86_64" not in args
    with pytest.raises(ValueError, match="platform must be one of"):
        wheelhouse.pip_platform_args("windows-x86_64")
    assert wheelhouse.host() in wheelhouse.PLATFORMS


def test_a_platform_with_a_missing_pin_is_skipped_with_its_reason(tmp_path, capsys):
    report = {"platforms": {"macos-x86_64": {**REPORT["platforms"]["macos-x86_64"]}}}
    assert not wheelhouse.download("macos-x86_64", tmp_path, report)
    out = capsys.readouterr().out
    assert "skipped, no wheel for" in out and "tensorflow" in out and "Binder" in out
    assert not list(tmp_path.iterdir()), "nothing fetched"


def test_make_wheelhouse_fills_one_folder_per_platform_and_lab_uses_the_hosts():
    dry = subprocess.run(["make", "-n", "wheelhouse", "PLATFORMS=linux-aarch64 macos-arm64"], cwd=wheelhouse.ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "utils.wheelhouse download linux-aarch64" in dry and "utils.wheelhouse download macos-arm64" in dry
    makefile = (wheelhouse.ROOT / "Makefile").read_text()
    assert "--find-links $(HOUSE)" in makefile and "offline-check: $(HOUSE)" in makefile


def test_the_report_names_no_download_host():
    text = json.dumps(REPORT)
    assert "://" not in text, "data/wheels.json keeps file names and sizes only"
