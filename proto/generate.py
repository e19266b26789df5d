"""Regenerate gen/ from the contracts under proto/, check it is current, and lint the contracts.

Why a script instead of a Makefile one-liner: protoc needs three include roots that live in
different installed packages (our proto/, googleapis-common-protos for google/api and google/rpc,
grpcio-tools for google/protobuf), generated packages need ``__init__.py`` files so
``gen/chatmesh/...`` imports as ``chatmesh....``, and CI needs a stale check that compares a fresh
generation with the committed one. buf cannot reach the Buf Schema Registry here, so the Google
protos our contracts import are staged from the installed wheel into a gitignored directory that
``proto/buf.yaml`` declares as a second, lint-exempt module.

Usage (from anywhere; paths are resolved from this file):
    python proto/generate.py               regenerate gen/
    python proto/generate.py --check       exit 1 and list the differences if gen/ is stale
    python proto/generate.py --stage-deps  copy the imported Google protos to proto/.build/protodeps
    python proto/generate.py --lint        stage the deps, then run `buf lint proto`
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import grpc_tools
from google.api import annotations_pb2

REPO_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "proto"
GEN_ROOT = REPO_ROOT / "gen"
DEFAULT_DEPS_DIR = PROTO_ROOT / ".build" / "protodeps"
BUF = REPO_ROOT / "node_modules" / ".bin" / "buf"
OUR_PACKAGE = "chatmesh"
IMPORT_RE = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.MULTILINE)
STAGED_PREFIXES = ("google/api/", "google/rpc/")
# Always staged so the deps module is never empty (buf rejects an empty module).
ALWAYS_STAGED = ("google/api/annotations.proto",)
MAX_DIFF_LINES = 40


def _site_packages_root() -> Path:
    """Directory that holds google/api/*.proto (shipped by googleapis-common-protos)."""
    return Path(annotations_pb2.__file__).resolve().parent.parent.parent


def _well_known_root() -> Path:
    """Directory that holds google/protobuf/*.proto (bundled with grpcio-tools)."""
    return Path(grpc_tools.__file__).resolve().parent / "_proto"


def our_proto_files() -> list[Path]:
    """Every contract file, relative to proto/, in a stable order (skips staged dependencies)."""
    files = sorted((PROTO_ROOT / OUR_PACKAGE).rglob("*.proto"))
    return [f.relative_to(PROTO_ROOT) for f in files]


def run_protoc(out_dir: Path) -> None:
    """Generate messages, .pyi stubs and gRPC stubs for every contract into ``out_dir``."""
    files = our_proto_files()
    if not files:
        raise SystemExit(f"no .proto files under {PROTO_ROOT / OUR_PACKAGE}")
    (out_dir / OUR_PACKAGE).mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={_site_packages_root()}",
        f"--proto_path={_well_known_root()}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        # The generated modules carry no comments; this set (with source info) gives the
        # gateway's OpenAPI document the contracts' comments.
        "--include_source_info",
        f"--descriptor_set_out={out_dir / OUR_PACKAGE / 'descriptors.binpb'}",
        *(str(f) for f in files),
    ]
    result = subprocess.run(cmd, cwd=PROTO_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"protoc failed (exit {result.returncode})")
    fix_module_level_classvars(out_dir)
    write_package_markers(out_dir)


def fix_module_level_classvars(out_dir: Path) -> None:
    """protoc's .pyi writer types a file-level extension's field number as ``ClassVar[int]``
    outside any class, which mypy rejects as an error; at module level it is a plain ``int``."""
    for stub in (out_dir / OUR_PACKAGE).rglob("*.pyi"):
        text = stub.read_text()
        fixed = re.sub(r"^(\w+_FIELD_NUMBER): _ClassVar\[int\]$", r"\1: int", text, flags=re.MULTILINE)
        if fixed != text:
            stub.write_text(fixed)


def write_package_markers(out_dir: Path) -> None:
    """Make every generated directory a regular package and mark the tree as typed (PEP 561)."""
    root = out_dir / OUR_PACKAGE
    for directory in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").write_text("")
    (root / "py.typed").write_text("")


def generated_files(root: Path) -> set[Path]:
    """Files under ``root/chatmesh`` relative to ``root``, ignoring bytecode caches."""
    base = root / OUR_PACKAGE
    if not base.exists():
        return set()
    return {p.relative_to(root) for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def compare_trees(expected_root: Path, actual_root: Path) -> list[str]:
    """Describe every difference between a fresh generation and the committed gen/ tree."""
    expected, actual = generated_files(expected_root), generated_files(actual_root)
    problems = [f"missing from gen/: {p}" for p in sorted(expected - actual)]
    problems += [f"not generated by any proto (delete it): gen/{p}" for p in sorted(actual - expected)]
    for rel in sorted(expected & actual):
        if not filecmp.cmp(expected_root / rel, actual_root / rel, shallow=False):
            problems.append(f"stale: gen/{rel}")
            problems.extend(_short_diff(expected_root / rel, actual_root / rel, rel))
    return problems


def _short_diff(expected: Path, actual: Path, rel: Path) -> Iterable[str]:
    """A truncated unified diff so CI logs show what changed without drowning the reader."""
    diff = list(
        difflib.unified_diff(
            actual.read_text(errors="replace").splitlines(),
            expected.read_text(errors="replace").splitlines(),
            fromfile=f"gen/{rel} (committed)",
            tofile=f"gen/{rel} (from proto/)",
            lineterm="",
        )
    )
    shown = [f"    {line}" for line in diff[:MAX_DIFF_LINES]]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"    ... {len(diff) - MAX_DIFF_LINES} more diff lines")
    return shown


def regenerate() -> None:
    """Generate into a temporary directory, then replace gen/chatmesh in one step.

    Generating aside first means a protoc error never leaves gen/ half-written, and files of
    deleted protos disappear instead of lingering.
    """
    with tempfile.TemporaryDirectory(prefix="chatmesh-gen-") as tmp:
        fresh = Path(tmp)
        run_protoc(fresh)
        target = GEN_ROOT / OUR_PACKAGE
        if target.exists():
            shutil.rmtree(target)
        GEN_ROOT.mkdir(exist_ok=True)
        shutil.copytree(fresh / OUR_PACKAGE, target)
    print(f"generated {len(generated_files(GEN_ROOT))} files under {GEN_ROOT.relative_to(REPO_ROOT)}/")


def check() -> int:
    """Exit status 1 with a listing when gen/ differs from what proto/ generates now."""
    with tempfile.TemporaryDirectory(prefix="chatmesh-gen-check-") as tmp:
        fresh = Path(tmp)
        run_protoc(fresh)
        problems = compare_trees(fresh, GEN_ROOT)
    if problems:
        print("gen/ is stale; run `make proto` and commit the result:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("gen/ is up to date")
    return 0


def imported_dependencies() -> set[str]:
    """google/api and google/rpc files our contracts import, closed over their own imports."""
    site_root = _site_packages_root()
    pending = [PROTO_ROOT / f for f in our_proto_files()] + [site_root / n for n in ALWAYS_STAGED]
    seen: set[str] = set(ALWAYS_STAGED)
    while pending:
        text = pending.pop().read_text()
        for name in IMPORT_RE.findall(text):
            if name.startswith(STAGED_PREFIXES) and name not in seen:
                seen.add(name)
                source = site_root / name
                if not source.exists():
                    raise SystemExit(f"{name} is imported but not shipped by googleapis-common-protos")
                pending.append(source)
    return seen


def stage_deps(target: Path) -> None:
    """Copy the imported Google protos into ``target`` so buf resolves them without the BSR.

    ``target/google`` is recreated each time so a dropped import does not leave a stale copy behind.
    google/protobuf is not staged: buf ships the well-known types itself.
    """
    site_root = _site_packages_root()
    staged_google = target / "google"
    if staged_google.exists():
        shutil.rmtree(staged_google)
    for name in sorted(imported_dependencies()):
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site_root / name, dest)
    target.mkdir(parents=True, exist_ok=True)


def lint() -> int:
    """Stage the deps, then run buf lint on the workspace in proto/ (deps module is lint-exempt)."""
    if not BUF.exists():
        print(f"{BUF.relative_to(REPO_ROOT)} missing: run `npm ci` (or `make setup`)", file=sys.stderr)
        return 2
    stage_deps(DEFAULT_DEPS_DIR)
    return subprocess.run([str(BUF), "lint", "proto"], cwd=REPO_ROOT, check=False).returncode


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail with a listing if gen/ is stale")
    mode.add_argument(
        "--stage-deps",
        nargs="?",
        const=DEFAULT_DEPS_DIR,
        type=Path,
        metavar="DIR",
        help=f"copy imported Google protos into DIR (default {DEFAULT_DEPS_DIR.relative_to(REPO_ROOT)})",
    )
    mode.add_argument("--lint", action="store_true", help="stage the deps and run `buf lint proto`")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.check:
        return check()
    if args.stage_deps is not None:
        stage_deps(args.stage_deps.resolve())
        print(f"staged {len(imported_dependencies())} Google protos in {args.stage_deps}")
        return 0
    if args.lint:
        return lint()
    regenerate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
