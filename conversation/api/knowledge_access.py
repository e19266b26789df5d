"""Attaching knowledge bases to a conversation: only ones the caller may read.

Knowledge decides who may read a knowledge base (owner, shares, tenant); it is asked with
the caller's own credentials (mesh.clients forwards them), so a knowledge base of another
user or tenant is refused here instead of failing every later turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from chatmesh.knowledge.v1 import knowledge_bases_pb2

from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, error_from_rpc

__all__ = ["check_knowledge_bases", "knowledge_base_ids"]

FIELD = "conversation.settings.knowledge_base_ids"


def knowledge_base_ids(values: dict[str, Any]) -> list[str]:
    """The knowledge base ids a settings value (as stored) attaches."""
    settings = values.get("settings") or {}
    return list(settings.get("knowledge_base_ids") or [])


async def check_knowledge_bases(clients: Any, ids: Sequence[str]) -> None:
    if not ids:
        return
    if clients is None:
        raise FailedPrecondition("knowledge bases cannot be checked here", reason="KNOWLEDGE_UNAVAILABLE")
    stub = clients.stub("knowledge")
    refused = []
    for kb_id in dict.fromkeys(ids):
        try:
            await stub.GetKnowledgeBase(knowledge_bases_pb2.GetKnowledgeBaseRequest(knowledge_base_id=kb_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                refused.append(FieldViolation(FIELD, f"{kb_id}: no such knowledge base you may read"))
            elif exc.code() == grpc.StatusCode.PERMISSION_DENIED:
                refused.append(FieldViolation(FIELD, f"{kb_id}: you may not read knowledge bases"))
            else:
                raise error_from_rpc(exc) from None
    if refused:
        raise InvalidArgument(
            "a knowledge base cannot be attached", refused, reason="KNOWLEDGE_BASE_NOT_READABLE"
        )
