"""Proto comments reach the OpenAPI document through a descriptor set with source info."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.openapi.comments import load_comments

PROTO = """syntax = "proto3";
package demo.v1;

// Things and their care.
service ThingService {
  // Fetches one thing.
  // Two lines of it.
  rpc GetThing(GetThingRequest) returns (Thing);
}

// A request.
message GetThingRequest {
  // Which thing.
  string thing_id = 1;
  // A nested message.
  message Inner {
    // Deep.
    int32 depth = 1;
  }
}

message Thing {
  string name = 1;  // trailing comments are not descriptions
}

// Shades.
enum Color {
  // Nothing chosen.
  COLOR_UNSPECIFIED = 0;
}
"""


def _descriptor_set(tmp_path: Path) -> Path:
    (tmp_path / "demo.proto").write_text(PROTO)
    out = tmp_path / "descriptors.binpb"
    subprocess.run(
        [
            sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={tmp_path}",
            f"--descriptor_set_out={out}", "--include_source_info", "demo.proto",
        ],
        check=True,
    )  # fmt: skip
    return out


def test_leading_comments_are_found_by_full_name(tmp_path: Path) -> None:
    comments = load_comments(_descriptor_set(tmp_path))
    assert comments == {
        "demo.v1.ThingService": "Things and their care.",
        "demo.v1.ThingService.GetThing": "Fetches one thing.\nTwo lines of it.",
        "demo.v1.GetThingRequest": "A request.",
        "demo.v1.GetThingRequest.thing_id": "Which thing.",
        "demo.v1.GetThingRequest.Inner": "A nested message.",
        "demo.v1.GetThingRequest.Inner.depth": "Deep.",
        "demo.v1.Color": "Shades.",
        "demo.v1.Color.COLOR_UNSPECIFIED": "Nothing chosen.",
    }


def test_no_descriptor_set_means_no_comments(tmp_path: Path) -> None:
    assert load_comments(tmp_path / "missing.binpb") == {}
