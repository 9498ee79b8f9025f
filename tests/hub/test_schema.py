"""The hub's schema is the project's: migrated by ``balance-station hub migrate``, safely run
again on every upgrade and by two technicians at once."""

import threading

import psycopg
import pytest

from station.hub import schema

pytestmark = pytest.mark.hub


def test_migrating_twice_and_at_once_applies_each_migration_once(cluster):
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "hub_migrated_at_once"')
    dsn = cluster.dsn(dbname="hub_migrated_at_once")
    versions, errors = [], []

    def migrate():
        try:
            versions.append(schema.migrate(dsn))
        except Exception as exc:  # the test reports it below
            errors.append(exc)

    runs = [threading.Thread(target=migrate) for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert errors == [] and versions == [len(schema.MIGRATIONS)] * 3
    assert schema.migrate(dsn) == len(schema.MIGRATIONS)  # an upgrade with nothing new
    with psycopg.connect(dsn) as conn:
        applied = [v for (v,) in conn.execute("SELECT version FROM hub_migrations ORDER BY 1")]
    assert applied == list(range(1, len(schema.MIGRATIONS) + 1))
