"""The last event of a turn: from how it ended, or rebuilt from the database for a reader that
comes back after the event log expired (or, rarely, after the instance running it died)."""

from __future__ import annotations

from chatmesh.conversation.v1 import messages_pb2, resources_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from sqlalchemy.exc import IntegrityError

from conversation.generation.answer import Ending
from conversation.generation.event_log import event_id
from conversation.generation.turns import DuplicateTurn
from conversation.store.generations import GenerationRow
from mesh.errors import DomainError

__all__ = ["ERROR_DOMAIN", "final_event", "store_failure", "terminal_event"]

ERROR_DOMAIN = "conversation.chatmesh"


def _status(code: int, reason: str, message: str) -> status_pb2.Status:
    status = status_pb2.Status(code=code, message=message)
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN))
    return status


def terminal_event(ending: Ending, message: resources_pb2.Message) -> messages_pb2.GenerationEvent:
    """``done`` (finished or stopped) or ``error`` (failed), carrying the message as stored."""
    if ending.error_code:
        status = _status(ending.error_code, ending.error_reason, ending.error_message)
        return messages_pb2.GenerationEvent(
            error=messages_pb2.GenerationFailed(status=status, partial_message=message)
        )
    done = messages_pb2.GenerationDone(message=message, finish_reason=ending.finish_reason)  # type: ignore[arg-type]
    return messages_pb2.GenerationEvent(done=done)


def store_failure(error: BaseException, has_output: bool) -> Ending:
    """How a turn ends whose messages could not be stored (nothing of it is in the database)."""
    status = "incomplete" if has_output else "failed"
    if isinstance(error, DuplicateTurn | IntegrityError):
        return Ending(
            status,
            resources_pb2.FINISH_REASON_ERROR,
            code_pb2.ALREADY_EXISTS,
            "DUPLICATE_REQUEST",
            "another request with this request id is being answered",
        )
    if isinstance(error, DomainError):
        return Ending(
            status, resources_pb2.FINISH_REASON_ERROR, error.code.value[0], error.reason, error.message
        )
    return Ending(
        status,
        resources_pb2.FINISH_REASON_ERROR,
        code_pb2.INTERNAL,
        "STORE_FAILED",
        "the turn could not be stored",
    )


def final_event(row: GenerationRow, message: resources_pb2.Message) -> messages_pb2.GenerationEvent:
    """The outcome as stored; its id is sequence 0 of the generation (resuming after it replays it)."""
    event = messages_pb2.GenerationEvent(event_id=event_id(row.id, 0), generation_id=row.id)
    stopped = message.finish_reason == resources_pb2.FINISH_REASON_CANCELLED
    if row.status == "complete" or (row.status == "incomplete" and stopped):
        event.done.message.CopyFrom(message)
        event.done.finish_reason = message.finish_reason
        return event
    if row.running:
        status = _status(code_pb2.UNAVAILABLE, "GENERATION_LOST", "the generation was interrupted")
    else:
        status = _status(code_pb2.UNKNOWN, "GENERATION_FAILED", "the generation failed")
    event.error.status.CopyFrom(status)
    event.error.partial_message.CopyFrom(message)
    return event
