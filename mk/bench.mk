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
#
#   make bench-push [BENCH_DEVICES=10000]
#       Direct Push: a throw-away stack sized by conf/push-10k.conf (mpm_event + EASPing*), one
#       Ping held per simulated device (bench/ping_load.c, one epoll process), then idle CPU and
#       httpd memory per held Ping from /proc, then deliveries and their wake-up latency; prints a
#       table, writes $(B)/bench-push.json. Never asserts on timing; fails only on errors, missed
#       or wrong wake-ups, or fewer Pings held than devices. BENCH_DEVICES=200 is a quick smoke
#       run. More knobs (BENCH_IDLE, BENCH_DELIVERIES, BENCH_RATE, BENCH_HEARTBEAT, BENCH_CONF,
#       BENCH_SYNC, ...) are read from the environment: see bench/bench_ping.py.

#   make bench-pim [BENCH_PIM_ITEMS=2000]
#       Contacts and Calendar: `easctl pim import` of generated .vcf/.ics, a device's initial Sync,
#       device Adds, `easctl pim export`; items/s and server CPU per synced item; writes
#       $(B)/bench-pim.json. Never asserts on timing. See bench/bench_pim.py.

#   make bench-send [BENCH_SEND_MESSAGES=300] [BENCH_SEARCH_MESSAGES=5000] [BENCH_GAL_USERS=1000]
#       SendMail (14.1 ComposeMail, ClientId, SaveInSentItems) of ~2 KB messages through the test
#       SMTP sink and to a local user: messages/s and server CPU per message; Mailbox Search
#       (FreeText, a word in 1% of an imported mailbox), GAL Search and ResolveRecipients with
#       7 days of Availability: median/p95 latency; writes $(B)/bench-send.json. Never asserts
#       on timing; fails on wrong results (HTTP error, Status, counts). See bench/bench_send.py.

#   make bench-autodiscover [BENCH_AD_REQUESTS=2000] [BENCH_AD_CONCURRENCY=8]
#       mod_autodiscover: POST autodiscover.xml (mobilesync and Outlook, Basic auth, directory
#       lookup), autodiscover.json and config-v1.1.xml; latency, requests/s and server CPU per
#       request over one keep-alive connection, then requests/s under ab; writes
#       $(B)/bench-autodiscover.json. Never asserts on timing. See bench/bench_autodiscover.py.

BENCH_MESSAGES ?= 10000
BENCH_NEW      ?= 100
BENCH_SEED     ?= 20240601
BENCH_DEVICES  ?= 10000
BENCH_AD_REQUESTS ?= 2000
BENCH_AD_CONCURRENCY ?= 8

.PHONY: bench-sync bench-push bench-pim bench-send bench-autodiscover

bench-sync: all
	BENCH_MESSAGES=$(BENCH_MESSAGES) BENCH_NEW=$(BENCH_NEW) BENCH_SEED=$(BENCH_SEED) \
	    BENCH_JSON=$(B)/bench-sync.json $(PYTHON) bench/bench_sync.py

# the load client is a benchmark tool, not an installed one: build/bench, not build/bin
$(B)/bench/ping_load: bench/ping_load.c $(B)/libeascore.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(B)/libeascore.a $(CORE_LIBS)

bench-push: all $(B)/bench/ping_load
	BENCH_DEVICES=$(BENCH_DEVICES) BENCH_JSON=$(B)/bench-push.json $(PYTHON) bench/bench_ping.py

bench-pim: all
	BENCH_JSON=$(B)/bench-pim.json $(PYTHON) bench/bench_pim.py

bench-send: all
	BENCH_JSON=$(B)/bench-send.json $(PYTHON) bench/bench_send.py

bench-autodiscover: all
	BENCH_AD_REQUESTS=$(BENCH_AD_REQUESTS) BENCH_AD_CONCURRENCY=$(BENCH_AD_CONCURRENCY) \
	    BENCH_JSON=$(B)/bench-autodiscover.json $(PYTHON) bench/bench_autodiscover.py
