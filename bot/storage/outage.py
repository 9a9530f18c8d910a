"""Telling a database outage (server restarting, connection cut, pool exhausted) from a bug.

An outage is worth retrying and is shown as "temporarily unavailable"; anything else is a
bug and stays an error. The signs differ by driver, so they are read here, in storage.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# What a lost or unobtainable connection is raised as; `is_outage` tells which of them are.
CONNECTION_ERRORS = (DBAPIError, ConnectionError, PoolTimeoutError)

# PostgreSQL SQLSTATE classes and codes that mean "no usable connection right now":
# 08xxx connection exceptions; 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
# connect now (starting up or shutting down).
OUTAGE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03")

# SQLite's result codes (the primary code, the low byte) that mean "the file cannot be
# written now": a read-only file or folder, a disk error, a full disk, a file that cannot be
# opened. The administrator fixes them without a restart; meanwhile it is an outage.
OUTAGE_SQLITE_CODES = frozenset(
    {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}
)


def _sqlstate(error: DBAPIError) -> str:
    for source in (error.orig, error.__cause__):
        code = getattr(source, "sqlstate", None) or getattr(source, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


def is_outage(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached, not that a statement is wrong."""
    if isinstance(error, ConnectionError):  # refused, reset, broken pipe while connecting
        return True
    if isinstance(error, PoolTimeoutError):  # every pooled connection busy for too long
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated or isinstance(error.orig, ConnectionError):
            return True
        code = getattr(error.orig, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in OUTAGE_SQLITE_CODES:
            return True
        return _sqlstate(error).startswith(OUTAGE_SQLSTATE_PREFIXES)
    return False
