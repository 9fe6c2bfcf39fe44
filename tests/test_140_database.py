"""The database: migrations, 503 while PostgreSQL is down and recovery when it is back."""
from pyeas.env import wait_for


def test_migrations_idempotent(env):
    r = env.easctl("db", "migrate")
    assert r.returncode == 0, r.stderr
    assert "0 migrations applied now" in r.stdout
    versions = env.psql("SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations")
    assert versions.startswith("001")
    r = env.easctl("db", "migrate")
    assert r.returncode == 0 and "0 migrations applied now" in r.stdout
    assert env.psql("SELECT string_agg(version, ',' ORDER BY version) "
                    "FROM schema_migrations") == versions
    r = env.easctl("db", "status")
    assert r.returncode == 0 and f"schema version: {versions.split(',')[-1]}" in r.stdout


def test_migration_failure_rolls_back(env, tmp_path):
    (tmp_path / "001_users_devices.sql").write_text("SELECT 1;")   # already applied: skipped
    (tmp_path / "900_broken.sql").write_text(
        "CREATE TABLE half_done(x int);\nSELECT no_such_function();\n")
    r = env.stack.run([env.stack.top + "/build/bin/easctl", "--db", env.stack.conninfo,
                       "--sql-dir", str(tmp_path), "db", "migrate"], check=False)
    assert r.returncode == 1
    assert "900_broken.sql" in r.stderr
    # nothing of the failed file is left behind, and it is not recorded
    assert env.psql("SELECT to_regclass('half_done') IS NULL") == "t"
    assert env.psql("SELECT count(*) FROM schema_migrations WHERE version = '900'") == "0"


def test_503_while_database_down_then_recovers(env, env_log):
    env_log.allow(r"EAS00101: cannot connect to PostgreSQL",
                  r"EAS00030: database (unavailable|lost).*device=DBDOWN1",
                  r"EAS00030: no database pool",
                  r"EAS0005[01]: push listener")   # the LISTEN thread notices and reconnects
    r = env.eas("Sync", device_id="DBDOWN1")
    assert r.status == 200      # up: validated, recorded, answered by the device gate
    env.stack.pg_stop()
    try:
        r = env.eas("Sync", device_id="DBDOWN1")
        assert r.status == 503
        assert r.header("Retry-After") == "30"
        assert any("EAS00030" in ln and "device=DBDOWN1" in ln
                   for ln in env._current_watch.new_lines())
    finally:
        env.stack.pg_start()
    # the children reconnect by themselves: pooled connections to the old server are replaced
    assert wait_for(lambda: env.eas("Sync", device_id="DBDOWN1").status == 200, 20)
    for _ in range(10):   # every child / pooled connection recovered, not just one
        assert env.eas("Sync", device_id="DBDOWN1").status == 200
    assert env.psql("SELECT count(*) FROM devices WHERE device_id = 'DBDOWN1'") == "1"
