import pytest

from mesh.config import SERVICES, Settings, load_settings
from mesh.launcher.report import mesh_table, ready_banner
from mesh.launcher.table import render_table


def test_columns_are_padded_to_the_widest_cell() -> None:
    text = render_table(["service", "status"], [["identity", "SERVING"], ["model_router", "NOT_SERVING"]])
    assert text.splitlines() == [
        "service       status",
        "------------  -----------",
        "identity      SERVING",
        "model_router  NOT_SERVING",
    ]


def test_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        render_table(["a", "b"], [["only one"]])


def _settings(**overrides: object) -> Settings:
    """Independent of the developer's environment and .env: every field the table reads is given."""
    ports = {f"{svc}_port": 61001 + i for i, svc in enumerate(SERVICES)}
    fields: dict[str, object] = {"host": "127.0.0.1", "gateway_port": 61080, "metrics_port_offset": 100}
    return load_settings(_env_file=None, **{**ports, **fields, **overrides})


def test_mesh_table_lists_every_service_and_the_gateway() -> None:
    settings = _settings()
    statuses = {"identity": "SERVING", "knowledge": "UNREACHABLE"}
    lines = mesh_table(settings, statuses, "READY").splitlines()
    assert lines[0].split() == ["service", "gRPC", "address", "metrics", "address", "status"]
    assert lines[2].split() == ["identity", "127.0.0.1:61001", "127.0.0.1:61101", "SERVING"]
    assert lines[4].split() == ["knowledge", "127.0.0.1:61003", "127.0.0.1:61103", "UNREACHABLE"]
    assert lines[3].split()[-1] == "UNKNOWN"
    assert lines[-1].split() == ["gateway", "http://127.0.0.1:61080", "127.0.0.1:61080/metrics", "READY"]
    assert len(lines) == 2 + 7 + 1


def test_pid_column_appears_when_pids_are_known() -> None:
    settings = _settings()
    lines = mesh_table(settings, {"identity": "SERVING"}, "READY", {"identity": 4242}).splitlines()
    assert lines[0].split()[-1] == "pid"
    assert lines[2].split()[-1] == "4242"
    assert lines[3].split()[-1] == "-"


def test_wildcard_bind_is_shown_as_loopback() -> None:
    settings = _settings(host="0.0.0.0")
    assert "127.0.0.1:61001" in mesh_table(settings, {}, "READY")


def test_banner_names_the_gateway_and_a_grpcurl_command(tmp_path) -> None:
    settings = _settings()
    banner = ready_banner(settings, "TABLE", tmp_path)
    assert "TABLE" in banner
    assert "http://127.0.0.1:61080" in banner
    assert "grpcurl -plaintext 127.0.0.1:61001 list" in banner
    assert "describe chatmesh.identity.v1.IdentityService" in banner
    assert "admin-credentials" not in banner
    (tmp_path / "admin-credentials").write_text("x")
    assert str(tmp_path / "admin-credentials") in ready_banner(settings, "TABLE", tmp_path)
