from pathlib import Path

import pytest

from mesh.config import SERVICES, load_settings


def test_defaults_follow_the_documented_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("CHATMESH_"):
            monkeypatch.delenv(name)
    settings = load_settings(_env_file=None)
    assert [settings.grpc_port(s) for s in SERVICES] == list(range(50051, 50058))
    assert settings.metrics_port("identity") == 51051
    assert settings.bind_address("notification") == "127.0.0.1:50057"
    assert settings.gateway_url == "http://127.0.0.1:8080"
    assert settings.discovery == "static"


def test_env_vars_and_static_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATMESH_IDENTITY_PORT", "6001")
    monkeypatch.setenv("CHATMESH_STATIC_ADDRESSES", '{"knowledge": "10.1.2.3:7000"}')
    settings = load_settings(_env_file=None)
    assert settings.static_address("identity") == "127.0.0.1:6001"
    assert settings.static_address("knowledge") == "10.1.2.3:7000"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("CHATMESH_GATEWAY_PORT=9999\n")
    assert load_settings(_env_file=env).gateway_port == 9999


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        ("CHATMESH_IDENTITY_PORT", "abc", "CHATMESH_IDENTITY_PORT"),
        ("CHATMESH_GATEWAY_PORT", "70000", "between 1 and 65535"),
        ("CHATMESH_DISCOVERY", "zookeeper", "CHATMESH_DISCOVERY"),
        ("CHATMESH_STATIC_ADDRESSES", '{"billing": "h:1"}', "unknown service"),
        ("CHATMESH_STATIC_ADDRESSES", '{"identity": "nohostport"}', "host:port"),
    ],
)
def test_bad_values_stop_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SystemExit) as exc:
        load_settings(_env_file=None)
    assert "invalid configuration" in str(exc.value)
    assert needle in str(exc.value)


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        load_settings(_env_file=None).grpc_port("billing")
