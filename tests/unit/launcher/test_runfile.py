import os
import subprocess
import sys

from mesh.launcher.runfile import read_runfile, remove_runfile, runfile_path, write_runfile


def test_round_trip_skips_children_without_a_pid(tmp_path) -> None:
    write_runfile(tmp_path, os.getpid(), {"identity": 11, "gateway": None})
    state = read_runfile(tmp_path)
    assert state is not None
    assert state.launcher_pid == os.getpid()
    assert state.children == {"identity": 11}


def test_a_file_left_by_a_dead_launcher_is_ignored(tmp_path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    write_runfile(tmp_path, int(dead.stdout), {"identity": 11})
    assert read_runfile(tmp_path) is None


def test_missing_or_garbled_file_reads_as_none(tmp_path) -> None:
    assert read_runfile(tmp_path) is None
    runfile_path(tmp_path).write_text("{not json")
    assert read_runfile(tmp_path) is None
    remove_runfile(tmp_path)
    remove_runfile(tmp_path)
    assert not runfile_path(tmp_path).exists()


def test_kind_is_kept(tmp_path) -> None:
    write_runfile(tmp_path, os.getpid(), {}, kind="infra")
    state = read_runfile(tmp_path)
    assert state is not None and state.kind == "infra"
