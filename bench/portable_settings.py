"""Settings of the bench's second server: the project's own, with the pledge's portable
(ORM) write path on PostgreSQL instead of the one-statement path, so both are measured
in the same run (docs/decisions/0001-sql-fast-paths.md)."""

from kolaborasi.settings import *  # noqa: F403

PLEDGE_ONE_STATEMENT = False
