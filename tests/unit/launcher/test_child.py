"""Supervision of one child, driven by tiny `python -c` programs (no mesh involved)."""

import asyncio
import io
import os
import subprocess
import sys
import time
from pathlib import Path

from mesh.launcher.backoff import RestartBackoff
from mesh.launcher.child import Child, ChildSpec, describe_exit
from mesh.launcher.logs import LinePrefixer, LogSink

FAST = RestartBackoff(initial_seconds=0.05, cap_seconds=0.1, stable_after_seconds=60)


def _child(code: str, out: io.StringIO, **kwargs: object) -> Child:
    spec = ChildSpec("worker", [sys.executable, "-c", code], dict(os.environ), Path.cwd())
    return Child(spec, LogSink(LinePrefixer(("worker",)), out=out), **kwargs)  # type: ignore[arg-type]


def test_exit_descriptions() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-15) == "was killed by SIGTERM"


async def test_run_once_streams_both_outputs_with_the_prefix() -> None:
    out = io.StringIO()
    code = "import sys; print('to out'); print('to err', file=sys.stderr); sys.exit(4)"
    assert await _child(code, out).run_once() == 4
    lines = out.getvalue().splitlines()
    assert sorted(lines) == ["worker | to err", "worker | to out"]


async def test_a_crashing_child_is_reported_and_restarted_until_stopped(tmp_path: Path) -> None:
    out = io.StringIO()
    counter = tmp_path / "starts"
    code = (
        f"import pathlib,sys; p=pathlib.Path({str(counter)!r}); "
        "p.write_text(str(int(p.read_text() or 0)+1) if p.exists() else '1'); print('boom'); sys.exit(2)"
    )
    child = _child(code, out, backoff=RestartBackoff(0.05, 0.1, 60))
    task = asyncio.create_task(child.supervise())
    for _ in range(200):
        if counter.exists() and int(counter.read_text()) >= 3:
            break
        await asyncio.sleep(0.05)
    child.stop()
    await asyncio.wait_for(task, 5)
    assert int(counter.read_text()) >= 3
    text = out.getvalue()
    assert "worker * exited with code 2 after" in text
    assert "restarting in 0.05s" in text and "restarting in 0.1s" in text
    assert "worker *   boom" in text
    assert child.restarts >= 2
    first_report = text.index("last output:")
    second_report = text.index("last output:", first_report + 1)
    report = text[second_report:].split("\n")
    assert report[1] == "worker *   boom"
    assert report[2] != "worker *   boom", "the crash report repeats an earlier run's output"


async def test_stop_sends_sigterm_and_does_not_restart() -> None:
    out = io.StringIO()
    code = (
        "import signal,sys,time\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('draining', flush=True), sys.exit(0)))\n"
        "print('up', flush=True)\n"
        "time.sleep(30)\n"
    )
    started = asyncio.Event()
    seen_pids: list[int | None] = []

    def changed(c: Child) -> None:
        seen_pids.append(c.pid)
        started.set()

    child = _child(code, out, backoff=FAST, on_change=changed)
    task = asyncio.create_task(child.supervise())
    await asyncio.wait_for(started.wait(), 5)
    for _ in range(100):
        if "worker | up" in out.getvalue():
            break
        await asyncio.sleep(0.05)
    pid = child.pid
    assert pid is not None
    assert os.getpgid(pid) == pid
    child.stop()
    await asyncio.wait_for(task, 5)
    assert "worker | draining" in out.getvalue()
    assert "restarting" not in out.getvalue()
    assert "while stopping" not in out.getvalue()
    assert child.pid is None
    assert seen_pids == [pid, None]


async def test_kill_ends_a_child_that_ignores_sigterm() -> None:
    out = io.StringIO()
    code = (
        "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(30)"
    )
    child = _child(code, out, backoff=FAST)
    task = asyncio.create_task(child.supervise())
    for _ in range(100):
        if "worker | up" in out.getvalue():
            break
        await asyncio.sleep(0.05)
    child.stop()
    done, _ = await asyncio.wait({task}, timeout=0.5)
    assert not done
    child.kill()
    await asyncio.wait_for(task, 5)
    assert child.process is not None and child.process.returncode == -9
    assert "worker * was killed by SIGKILL while stopping" in out.getvalue()


def test_guarded_children_die_with_the_launcher(tmp_path: Path) -> None:
    """A launcher killed with SIGKILL must not leave services holding their ports."""
    launcher = (
        "import os,signal,subprocess,sys\n"
        "from mesh.launcher.child import guarded_argv\n"
        "p = subprocess.Popen(guarded_argv([sys.executable, '-c', 'import time; time.sleep(30)']),"
        " start_new_session=True)\n"
        "print(p.pid, flush=True)\n"
        "import time; time.sleep(0.5)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *sys.path])}
    argv = [sys.executable, "-c", launcher]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=20)
    orphan = int(done.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(orphan, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(orphan, 9)
    raise AssertionError("the child outlived its killed launcher")


async def test_an_overlong_line_is_cut_and_streaming_goes_on() -> None:
    out = io.StringIO()
    code = "import sys; sys.stdout.write('a\\n' + 'x' * (3 * 1024 * 1024) + '\\nafter\\nno newline')"
    assert await _child(code, out).run_once() == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "worker | a"
    assert lines[1].endswith("x [truncated]")
    assert 64 * 1024 <= len(lines[1]) < 65 * 1024
    assert lines[2:] == ["worker | after", "worker | no newline"]
