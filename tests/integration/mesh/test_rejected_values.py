"""A value Postgres refuses to store is the caller's mistake: INVALID_ARGUMENT (400), nothing written.

The statements run against the embedded Postgres through SQLAlchemy's asyncpg dialect, so the
exception is exactly the wrapped driver error a service sees; the status comes out of the
ErrorLayer every service's server uses and goes through the gateway's HTTP mapping.
"""

from __future__ import annotations

from typing import Any, NoReturn

import grpc
import pytest
import sqlalchemy
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.errors import error_response
from mesh.errors import STATUS_DETAILS_KEY
from mesh.interceptors import ErrorLayer


class Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, trailing_metadata: Any) -> None:
        super().__init__(code)
        self.code = code
        self.trailing_metadata = trailing_metadata


class FakeContext:
    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> NoReturn:
        raise Aborted(code, trailing_metadata)


@pytest.mark.parametrize(
    ("value", "cast"),
    [("folder\x00name", "text"), ("12abc", "integer"), ("99999999999", "integer"), ("2026-13-45", "date")],
)
async def test_a_value_the_database_refuses_is_invalid_argument_and_nothing_is_written(
    fresh_database: str, value: str, cast: str
) -> None:
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(sqlalchemy.text("CREATE TABLE notes (body text)"))

        async def behavior(request: Any, context: Any) -> Any:
            async with engine.begin() as conn:
                await conn.execute(sqlalchemy.text("INSERT INTO notes VALUES ('first of two')"))
                await conn.execute(
                    sqlalchemy.text(f"INSERT INTO notes VALUES (CAST(:v AS {cast})::text)"), {"v": value}
                )

        mapped = ErrorLayer("conversation").unary("/chatmesh.conversation.v1.X/Create", behavior)
        with pytest.raises(Aborted) as caught:
            await mapped(None, FakeContext())

        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
        status = status_pb2.Status.FromString(dict(caught.value.trailing_metadata)[STATUS_DETAILS_KEY])
        infos = [d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
        info = error_details_pb2.ErrorInfo()
        infos[0].Unpack(info)
        assert info.reason == "VALUE_NOT_STORABLE"
        assert info.metadata["sqlstate"].startswith("22")
        assert error_response(status).status_code == 400
        async with engine.connect() as conn:
            assert (await conn.execute(sqlalchemy.text("SELECT count(*) FROM notes"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_other_database_errors_stay_internal(fresh_database: str) -> None:
    engine = create_async_engine(fresh_database)
    try:

        async def behavior(request: Any, context: Any) -> Any:
            async with engine.connect() as conn:
                await conn.execute(sqlalchemy.text("SELECT * FROM no_such_table"))

        mapped = ErrorLayer("conversation").unary("/chatmesh.conversation.v1.X/Get", behavior)
        with pytest.raises(Aborted) as caught:
            await mapped(None, FakeContext())
        assert caught.value.code == grpc.StatusCode.INTERNAL
    finally:
        await engine.dispose()
