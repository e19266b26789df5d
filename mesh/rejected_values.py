"""Values the database refuses to store, reported as the caller's mistake rather than a crash.

A string holding U+0000, text that is not a valid number or date, a number out of range: the
database answers with a SQLSTATE of class 22 ("data exception") and the statement's transaction
is rolled back, so nothing was written. The request can never succeed as sent, so the caller
gets INVALID_ARGUMENT (HTTP 400), not a 500 it might retry. Services still validate their input;
this is the one net under every RPC for the values a validator missed (the fuzz test found NUL
bytes reaching Postgres through four services).
"""

from __future__ import annotations

from mesh.dependency_errors import causes
from mesh.errors import InvalidArgument

__all__ = ["rejected_value"]

_DATA_EXCEPTION_CLASS = "22"


def rejected_value(exc: BaseException) -> InvalidArgument | None:
    """INVALID_ARGUMENT if the database refused a value of the request (SQLSTATE class 22), else None."""
    for cause in causes(exc):
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_DATA_EXCEPTION_CLASS):
            return InvalidArgument(
                "a value of the request cannot be stored (for example a NUL character, or a number "
                "or date out of range)",
                reason="VALUE_NOT_STORABLE",
                metadata={"sqlstate": sqlstate},
            )
    return None
