"""pytest fixtures: one real PostgreSQL + httpd stack per session (started only when a test asks
for `env`), and a log check after every such test: an [error]/[warn] line the test did not declare
with `env_log.allow(...)` fails it."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyeas.env import Env, LogWatch  # noqa: E402


@pytest.fixture(scope="session")
def env():
    e = Env()
    try:
        e.start()
    except Exception:
        e.stop()
        raise
    yield e
    e.stop()


@pytest.fixture
def env_log(env):
    return env._current_watch


@pytest.fixture(autouse=True)
def _check_error_log(request):
    if "env" not in request.fixturenames:
        yield
        return
    e = request.getfixturevalue("env")
    e._current_watch = LogWatch(e.error_log)
    yield
    bad = e._current_watch.unexpected()
    assert not bad, "unexpected lines in the error log:\n" + "\n".join(bad)


@pytest.fixture
def smtp(env):
    """The stack's SMTP sink, emptied and with every failure mode off."""
    env.smtp.reset()
    return env.smtp
