"""environment.yml (conda) and pyproject.toml (pip) must list the same packages and ranges."""

import pathlib

import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _norm(spec: str) -> tuple[str, str]:
    req = Requirement(spec)
    return req.name.lower().replace("_", "-"), str(req.specifier)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [
        s for group in project["optional-dependencies"].values() for s in group
    ]  # dev, instructor
    pip_side = {_norm(s) for s in project["dependencies"] + extras}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert any(str(d).startswith("python=3.11") for d in deps if isinstance(d, str))
    pip_list = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    conda_side = {_norm(s) for s in pip_list if not s.startswith("-e")}
    assert "-e ." in pip_list, "environment.yml must install the inrutils package itself"
    assert conda_side == pip_side, (
        f"only in environment.yml: {conda_side - pip_side}; only in pyproject: "
        f"{pip_side - conda_side}"
    )


def test_makefile_pins_cpu_torch_inside_pyproject_range():
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_range = next(
        Requirement(s).specifier for s in project["dependencies"] if s.startswith("torch")
    )
    pin = next(
        line.split("?=")[1].strip()
        for line in (ROOT / "Makefile").read_text().splitlines()
        if line.startswith("TORCH_SPEC")
    )
    assert Requirement(pin).name == "torch"
    version = str(Requirement(pin).specifier).lstrip("=")
    assert version in SpecifierSet(str(torch_range))
