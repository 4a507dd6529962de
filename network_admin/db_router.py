"""Read replicas: which database a query goes to.

Everything goes to the primary ("default") unless all of these hold: replicas are configured
(`DATABASE_REPLICA_URLS`), the current request is a read-only page that allows replica reads
(see `network_admin.replica_routing`), no transaction is open on the primary (services run in
one, so their reads see what they are about to change), and a replica is healthy. Writes always
go to the primary. See docs/deployment.md.
"""

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

# How often, at most, each process asks a replica whether it is up and how far behind it is.
CHECK_EVERY_SECONDS = 2.0

# A replica that receives WAL and has replayed all of it is not behind, however long ago the
# primary last committed; otherwise it is as far behind as its last replayed transaction.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN EXISTS (SELECT FROM pg_stat_wal_receiver)
                 AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
       END
"""


@dataclass
class ReadRouting:
    """What one request allows: set up by the middleware, consulted by the router."""

    replica_reads: bool = False
    # The database this request reads from, chosen at its first read and kept for the rest of
    # it, so that one page never mixes two replicas that lag differently.
    database: str | None = None
    wrote: bool = False

    @property
    def used_replica(self) -> str | None:
        return self.database if self.database not in (None, DEFAULT_DB_ALIAS) else None


_routing: ContextVar[ReadRouting | None] = ContextVar("read_routing", default=None)


def current_routing() -> ReadRouting | None:
    return _routing.get()


@contextmanager
def routing(state: ReadRouting) -> Iterator[ReadRouting]:
    token = _routing.set(state)
    try:
        yield state
    finally:
        _routing.reset(token)


def probe_replica(alias: str) -> str | None:
    """Why the replica can't serve reads right now, or None when it can."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as error:
        connections[alias].close()
        return "unreachable: " + " ".join(str(error).split())
    if not in_recovery:
        return "not a standby: pg_is_in_recovery() is false"
    if lag is None:
        return "its replication lag is unknown"
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if float(lag) > limit:
        return f"{float(lag):.1f} s behind the primary (REPLICA_MAX_LAG_SECONDS is {limit:g})"
    return None


class ReplicaHealth:
    """Which replicas may serve reads, as last checked by this process."""

    def __init__(
        self,
        probe: Callable[[str], str | None] = probe_replica,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._probe = probe
        self._clock = clock
        self._lock = threading.Lock()
        # alias -> (checked at, usable)
        self._known: dict[str, tuple[float, bool]] = {}

    def is_usable(self, alias: str) -> bool:
        now = self._clock()
        with self._lock:
            checked_at, usable = self._known.get(alias, (None, False))
            due = checked_at is None or now - checked_at >= CHECK_EVERY_SECONDS
            if due:
                # Other threads keep the last answer (unknown counts as unusable) while this
                # one asks the replica.
                self._known[alias] = (now, usable)
        if not due:
            return usable
        problem = self._probe(alias)
        self._remember(alias, problem, was_known=checked_at is not None, was_usable=usable)
        return problem is None

    def mark_unusable(self, alias: str, problem: str) -> None:
        """A query on the replica just failed: keep off it until its next check."""
        with self._lock:
            checked_at, usable = self._known.get(alias, (None, False))
        self._remember(alias, problem, was_known=checked_at is not None, was_usable=usable)

    def reset(self) -> None:
        with self._lock:
            self._known.clear()

    def _remember(self, alias: str, problem: str | None, *, was_known: bool, was_usable: bool):
        with self._lock:
            self._known[alias] = (self._clock(), problem is None)
        # Log changes only: a replica that stays down is reported once, not every check.
        if problem is not None and (was_usable or not was_known):
            logger.warning("Read replica %s skipped, reads go to the primary: %s", alias, problem)
        elif problem is None and not was_usable and was_known:
            logger.info("Read replica %s is back in use.", alias)


replica_health = ReplicaHealth()
_turns = itertools.count()


def usable_replica() -> str | None:
    """A healthy replica, taking turns between them; None when none is."""
    usable = [alias for alias in settings.DATABASE_REPLICAS if replica_health.is_usable(alias)]
    return usable[next(_turns) % len(usable)] if usable else None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _routing.get()
        if (
            state is None
            or not state.replica_reads
            # Sessions are read to find who is asking: a session created a moment ago by
            # logging in must be found, so they never come from a replica.
            or issubclass(model, AbstractBaseSession)
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if state.database is None:
            state.database = usable_replica() or DEFAULT_DB_ALIAS
        return state.database

    def db_for_write(self, model, **hints):
        state = _routing.get()
        if state is not None:
            # The middleware then keeps this browser's reads on the primary for a while.
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Replicas hold the primary's data: an object read from one may point at one from another.
        ours = {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas follow the primary through streaming replication, migrations included.
        return db == DEFAULT_DB_ALIAS
