#!/bin/sh
# make run / make stop: the local stack under ./var (see tools/eas_stack.py).
set -e
cd "$(dirname "$0")/.."
exec /usr/bin/python3 tools/eas_stack.py "$@"
