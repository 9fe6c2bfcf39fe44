# mk/bench.mk — end-to-end benchmarks (included by the top-level Makefile).
#
#   make bench-sync [BENCH_MESSAGES=10000] [BENCH_NEW=100] [BENCH_SEED=20240601]
#       throw-away PostgreSQL + httpd (as the tests start them), a seeded realistic mailbox imported
#       with `easctl mail import`, then initial Sync (WindowSize 100, plain bodies truncated at
#       5120) and an incremental Sync of BENCH_NEW delivered messages over one keep-alive
#       connection; prints items/s and server CPU per item (httpd and PostgreSQL), writes
#       $(B)/bench-sync.json. Never asserts on timing; fails only when the sync is wrong.
#       BENCH_MESSAGES=1000 is a quick smoke run. More knobs (BENCH_REPEAT, BENCH_WINDOW,
#       BENCH_ANALYZE, EAS_TEST_KEEP) are read from the environment: see bench/bench_sync.py.

BENCH_MESSAGES ?= 10000
BENCH_NEW      ?= 100
BENCH_SEED     ?= 20240601

.PHONY: bench-sync

bench-sync: all
	BENCH_MESSAGES=$(BENCH_MESSAGES) BENCH_NEW=$(BENCH_NEW) BENCH_SEED=$(BENCH_SEED) \
	    BENCH_JSON=$(B)/bench-sync.json $(PYTHON) bench/bench_sync.py
