"""ListModels and GetModel, answered from the in-memory channel registry (no database read).

Any authenticated caller may list models. Callers' groups are not carried by their
credentials yet, so every caller sees the ``default`` group's models. A caller acting for
an API key limited to some models lists only those; GetModel still describes any model
(services size a conversation's context with it before the key's limits refuse the turn,
and what they learn is cached for every caller).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from mesh.auth import current_principal
from mesh.errors import FieldViolation, InvalidArgument, NotFound
from mesh.paging import decode_offset, encode_offset, page_size
from model_router.domain.catalog import CatalogModel, catalog_model, list_catalog
from model_router.domain.channels import ABILITY_NAMES
from model_router.domain.selection import DEFAULT_GROUP
from model_router.store.channels import abilities_to_json

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["ModelsApi"]


def _message(model: CatalogModel) -> chat_pb2.Model:
    message = chat_pb2.Model(id=model.id, object="model", created=model.created, owned_by=model.owned_by)
    message.abilities.model = model.id
    for name, value in abilities_to_json([model.abilities]).get(model.id, {}).items():
        setattr(message.abilities, name, value)
    return message


class ModelsApi:
    deps: ModelRouterDeps

    async def ListModels(
        self, request: inference_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> inference_pb2.ListModelsResponse:
        if request.ability and request.ability not in ABILITY_NAMES:
            raise InvalidArgument(
                "bad ability", [FieldViolation("ability", f"one of {', '.join(ABILITY_NAMES)}")]
            )
        size = page_size(request.page_size, 1000, 1000)
        offset = decode_offset(request.page_token)
        principal = current_principal()
        models = [
            model
            for model in list_catalog(self.deps.channels.index, DEFAULT_GROUP, request.ability)
            if principal.may_use_model(model.id)
        ]
        page = models[offset : offset + size]
        more = offset + size < len(models)
        return inference_pb2.ListModelsResponse(
            object="list",
            data=[_message(m) for m in page],
            next_page_token=encode_offset(offset + size) if more else "",
        )

    async def GetModel(
        self, request: inference_pb2.GetModelRequest, context: grpc.aio.ServicerContext
    ) -> inference_pb2.GetModelResponse:
        if not request.model_id:
            raise InvalidArgument("model_id is required", [FieldViolation("model_id", "required")])
        model = catalog_model(self.deps.channels.index, DEFAULT_GROUP, request.model_id)
        if model is None:
            raise NotFound(
                f"model {request.model_id[:128]!r} not found",
                reason="MODEL_NOT_FOUND",
                metadata={"model": request.model_id[:128]},
            )
        return inference_pb2.GetModelResponse(model=_message(model))
