"""LiteLLM's proxy for the relay benchmark, installed into its own venv under ``.bench/`` on first use.

LiteLLM pins many libraries of its own, so it never goes into the project's ``.venv``: the
benchmark creates ``.bench/litellm-venv`` with the standard ``venv`` module and installs
``litellm[proxy]`` from the package registry with pip. When that cannot be done (no
registry, a failed build), :func:`ensure_litellm` says why and the benchmark prints the
LiteLLM row as unavailable instead of failing.

``python -m bench.litellm_env`` only prepares the venv (e.g. ahead of a timed run).
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

__all__ = ["LITELLM_REQUIREMENT", "VENV_DIR", "ensure_litellm"]

ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = ROOT / ".bench" / "litellm-venv"
LITELLM_REQUIREMENT = "litellm[proxy]"
_INSTALL_TIMEOUT = 1200.0


def _python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


def _ready(env_dir: Path) -> bool:
    python = _python(env_dir)
    if not python.exists():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import litellm.proxy.proxy_server, uvicorn"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return probe.returncode == 0


def ensure_litellm(env_dir: Path = VENV_DIR) -> tuple[Path | None, str]:
    """(the venv's python, "") when LiteLLM's proxy is importable there, else (None, why not)."""
    if _ready(env_dir):
        return _python(env_dir), ""
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    if not _python(env_dir).exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    print(
        f"installing {LITELLM_REQUIREMENT} into {env_dir} (first run only) ...", file=sys.stderr, flush=True
    )
    try:
        install = subprocess.run(
            [
                str(_python(env_dir)),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                LITELLM_REQUIREMENT,
            ],
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"pip install {LITELLM_REQUIREMENT} did not finish in {_INSTALL_TIMEOUT:.0f} s"
    if install.returncode != 0:
        tail = (install.stderr or install.stdout).strip().splitlines()[-3:]
        return None, f"pip install {LITELLM_REQUIREMENT} failed: {' | '.join(tail)}"
    if not _ready(env_dir):
        return None, f"{LITELLM_REQUIREMENT} installed but its proxy does not import"
    return _python(env_dir), ""


if __name__ == "__main__":
    python, why = ensure_litellm()
    print(python if python is not None else f"unavailable: {why}")
