import pytest

from mesh.__main__ import _parser, main


def test_up_takes_a_ready_timeout() -> None:
    args = _parser().parse_args(["up", "--ready-timeout", "5"])
    assert (args.command, args.ready_timeout) == ("up", 5.0)
    assert _parser().parse_args(["up"]).ready_timeout == 120.0


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_migrate_passes_its_arguments_through(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 3

    import mesh.migrate

    monkeypatch.setattr(mesh.migrate, "main", fake_main)
    assert main(["migrate", "identity", "--database-url", "postgresql://x@h/db"]) == 3
    assert seen == [["identity", "--database-url", "postgresql://x@h/db"]]
