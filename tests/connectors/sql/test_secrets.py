"""The database password appears in no message, exception or representation the connector gives."""

from __future__ import annotations

from connectors.base import ConnectorConfig, ConnectorError, OutgoingRecord
from connectors.outbound import LOOPBACK
from connectors.sql import SqlConnector
from tests.connectors.sql.postgres import free_port


def texts_of(error: BaseException | None) -> list[str]:
    """Everything an exception could show: str, repr, args, message, and the same of its causes."""
    texts: list[str] = []
    for _ in range(10):
        if error is None:
            break
        texts += [str(error), repr(error), *map(str, error.args), getattr(error, "message", "")]
        error = error.__cause__ or error.__context__
    return texts


def everything_said(connector: SqlConnector) -> list[str]:
    """Probe, fetch and push, collecting every text they give, exceptions and their causes included."""
    texts = [connector.probe().message, repr(connector.config)]
    try:
        list(connector.fetch())
    except ConnectorError as error:
        texts += texts_of(error)
    try:
        outcomes = connector.push([OutgoingRecord("k1", {"id": 1, "name": "Ada"})])
    except ConnectorError as error:
        texts += texts_of(error)
    else:
        texts += [text for outcome in outcomes for text in texts_of(outcome.error)]
    return texts


def test_a_wrong_password_is_never_shown(pg_db, customers):
    wrong = "wrong-" + pg_db.password
    connector = SqlConnector(ConnectorConfig("ERP", pg_db.values(), {"password": wrong}, LOOPBACK))
    try:
        texts = everything_said(connector)
        texts.append(repr(connector.options))
    finally:
        connector.close()
    assert any("refused the user" in text for text in texts)
    assert [text for text in texts if wrong in text or pg_db.password in text] == []


def test_the_right_password_is_never_shown_when_things_fail(pg_db, postgres, customers):
    url = pg_db.url.replace(f":{postgres.port}/", f":{free_port()}/")
    for values in (pg_db.values(url=url), pg_db.values(table="nothing_here")):
        connector = SqlConnector(ConnectorConfig("ERP", values, pg_db.secrets, LOOPBACK))
        try:
            texts = [*everything_said(connector), repr(connector.options)]
        finally:
            connector.close()
        assert len(texts) > 2
        assert [text for text in texts if pg_db.password in text] == []
