# mk/wbxml.mk — WBXML codec extras (included by the top-level Makefile).
#
#   make fuzz [FUZZ_SECONDS=60]   libFuzzer + ASan/UBSan on the decoder and the encode round trip;
#                                 corpus in build/fuzz/corpus (seeded from tests/wbxml/corpus),
#                                 crashes in build/fuzz/crash-*; fails on any finding
#   make bench-wbxml              decode/encode throughput vs libwbxml (bench/bench_wbxml.c)
#   make wbxml-seeds              WBXML of the XML corpus into build/fuzz/seeds

FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_CC      ?= clang
FUZZ_SRC     := mod_eas/core/eas_wbxml.c mod_eas/core/eas_codepages.c mod_eas/core/eas_log.c
WBXML_CORPUS := $(sort $(wildcard tests/wbxml/corpus/*.xml))
# the codec objects alone (built with the core's flags): fuzz seeds and the bench do not need the
# rest of libeascore.a
WBXML_OBJ := $(B)/core/eas_wbxml.o $(B)/core/eas_codepages.o $(B)/core/eas_log.o
LIBWBXML_CFLAGS := $(shell pkg-config --cflags libwbxml2 2>/dev/null)
LIBWBXML_LIBS   := $(shell pkg-config --libs libwbxml2 2>/dev/null)

.PHONY: fuzz fuzz-build wbxml-seeds bench-wbxml

$(B)/fuzz/fuzz_wbxml: tests/fuzz/fuzz_wbxml.c $(FUZZ_SRC) mod_eas/core/eas_wbxml.h mod_eas/core/eas_codepages.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -Imod_eas/core $(XML_CFLAGS) -o $@ tests/fuzz/fuzz_wbxml.c $(FUZZ_SRC) $(XML_LIBS)

fuzz-build: $(B)/fuzz/fuzz_wbxml

$(B)/fuzz/eas-wbxml: tools/eas-wbxml.c $(WBXML_OBJ) mod_eas/core/eas_wbxml.h
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -o $@ tools/eas-wbxml.c $(WBXML_OBJ) $(XML_LIBS)

wbxml-seeds: $(B)/fuzz/eas-wbxml
	@mkdir -p $(B)/fuzz/seeds
	@for f in $(WBXML_CORPUS); do \
	    $(B)/fuzz/eas-wbxml encode -o $(B)/fuzz/seeds/$$(basename $$f .xml).wbxml $$f || exit 1; \
	done

fuzz: $(B)/fuzz/fuzz_wbxml wbxml-seeds
	@mkdir -p $(B)/fuzz/corpus
	cp -n $(B)/fuzz/seeds/*.wbxml $(B)/fuzz/corpus/ 2>/dev/null || true
	cd $(B)/fuzz && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ./fuzz_wbxml -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=./ corpus
	@echo "fuzz corpus: $$(ls $(B)/fuzz/corpus | wc -l) files"

$(B)/bench/bench_wbxml: bench/bench_wbxml.c $(WBXML_OBJ) mod_eas/core/eas_wbxml.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -D_GNU_SOURCE -Imod_eas/core $(XML_CFLAGS) $(LIBWBXML_CFLAGS) -o $@ \
	    bench/bench_wbxml.c $(WBXML_OBJ) $(LIBWBXML_LIBS) $(XML_LIBS)

bench-wbxml: $(B)/bench/bench_wbxml
	$(B)/bench/bench_wbxml $(BENCH_ARGS)
