# mod_eas — Exchange ActiveSync for Apache httpd 2.4
#
#   make            build modules, core library and tools into build/
#   make run        install missing packages, build, start PostgreSQL + httpd under ./var (demo account)
#   make stop       stop both servers started by `make run`
#   make test       C unit tests of the core, then the pytest integration suite
#   make install    modules into `apxs -q LIBEXECDIR`, conf into /etc/apache2/mods-available
#
# The core (mod_eas/core) never includes httpd.h: it builds into build/libeascore.a and is linked by
# the modules, the command-line tools and the unit tests alike (the mod_md split).

APXS       ?= apxs
CC         ?= cc
PYTHON     ?= /usr/bin/python3
DESTDIR    ?=
PREFIX     ?= /usr/local
APACHE_CONFDIR ?= /etc/apache2

B          := build
HTTPD_INC  := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
APR_CFLAGS := $(shell apr-1-config --includes --cppflags 2>/dev/null) $(shell apu-1-config --includes 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null) $(shell apu-1-config --link-ld 2>/dev/null)
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
XML_LIBS   := $(shell pkg-config --libs libxml-2.0 2>/dev/null)
PQ_CFLAGS  := -I$(shell pg_config --includedir 2>/dev/null)
PQ_LIBS    := -lpq
GMIME_CFLAGS := $(shell pkg-config --cflags gmime-3.0 2>/dev/null)
GMIME_LIBS   := $(shell pkg-config --libs gmime-3.0 2>/dev/null)
ICAL_CFLAGS  := $(shell pkg-config --cflags libical 2>/dev/null)
ICAL_LIBS    := $(shell pkg-config --libs libical 2>/dev/null)

WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT        ?= -O2 -g
SHAREDIR   := $(PREFIX)/share/mod_eas
BASE_CFLAGS = -std=gnu11 $(OPT) -fPIC -fvisibility=hidden $(WARN) -D_GNU_SOURCE \
              -DEAS_SHAREDIR='"$(SHAREDIR)"' \
              -Imod_eas/core $(APR_CFLAGS) $(XML_CFLAGS) $(PQ_CFLAGS) $(GMIME_CFLAGS) $(ICAL_CFLAGS)
CORE_CFLAGS = $(BASE_CFLAGS) $(EXTRA_CFLAGS)
MOD_CFLAGS  = $(BASE_CFLAGS) -I$(HTTPD_INC) $(EXTRA_CFLAGS)
CORE_LIBS   = $(XML_LIBS) $(PQ_LIBS) $(GMIME_LIBS) $(ICAL_LIBS) $(APR_LIBS) -lssl -lcrypto -lpthread $(EXTRA_LIBS)

CORE_SRC   := $(sort $(wildcard mod_eas/core/*.c))
CORE_OBJ   := $(CORE_SRC:mod_eas/core/%.c=$(B)/core/%.o)
EAS_SRC    := $(sort $(wildcard mod_eas/*.c))
EAS_OBJ    := $(EAS_SRC:mod_eas/%.c=$(B)/mod_eas/%.o)
AD_SRC     := $(sort $(wildcard mod_autodiscover/*.c))
AD_OBJ     := $(AD_SRC:mod_autodiscover/%.c=$(B)/mod_autodiscover/%.o)
# shared with mod_eas: reading a request body with a limit
AD_OBJ     += $(B)/mod_eas/eas_body.o
TOOL_SRC   := $(sort $(wildcard tools/*.c))
TOOLS      := $(TOOL_SRC:tools/%.c=$(B)/bin/%)
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNITS      := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HDRS       := $(wildcard mod_eas/core/*.h mod_eas/*.h mod_autodiscover/*.h)

.PHONY: all modules tools unit test integration run stop install clean format format-check check-core deps
all: modules tools

modules: $(B)/mod_eas.so $(B)/mod_autodiscover.so
tools: $(TOOLS)

$(B)/core/%.o: mod_eas/core/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(B)/mod_eas/%.o: mod_eas/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(MOD_CFLAGS) -c -o $@ $<

$(B)/mod_autodiscover/%.o: mod_autodiscover/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(MOD_CFLAGS) -Imod_autodiscover -Imod_eas -c -o $@ $<

$(B)/libeascore.a: $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Only the module structure is exported (version scripts); everything else stays local so two
# modules, or a future libwbxml in the same process, never clash.
$(B)/mod_eas.so: $(EAS_OBJ) $(B)/libeascore.a mod_eas/mod_eas.map
	$(CC) -shared -o $@ $(EAS_OBJ) $(B)/libeascore.a \
	    -Wl,--version-script=mod_eas/mod_eas.map $(CORE_LIBS)

$(B)/mod_autodiscover.so: $(AD_OBJ) $(B)/libeascore.a mod_autodiscover/mod_autodiscover.map
	$(CC) -shared -o $@ $(AD_OBJ) $(B)/libeascore.a \
	    -Wl,--version-script=mod_autodiscover/mod_autodiscover.map $(CORE_LIBS)

$(B)/bin/%: tools/%.c $(B)/libeascore.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(B)/libeascore.a $(CORE_LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(B)/libeascore.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -Itests/unit -o $@ $< $(B)/libeascore.a $(CORE_LIBS)

# The core must stay free of httpd: fail the build if anyone includes it there.
check-core:
	@! grep -nE '#include *[<"](httpd|http_[a-z_]+|ap_[a-z_]+)\.h' mod_eas/core/*.c mod_eas/core/*.h \
	    || (echo "core must not include httpd headers" && false)

unit: check-core $(UNITS)
	@set -e; for t in $(UNITS); do echo "# $$t"; $$t; done

integration: all
	$(PYTHON) -m pytest -q tests $(PYTEST_ARGS)

# The one test command: installs what is missing, then unit tests, then the integration suite.
test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

deps:
	@sh tools/deps.sh

run: deps
	$(MAKE) all
	@sh tools/run.sh start

stop:
	@sh tools/run.sh stop

install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(APACHE_CONFDIR)/mods-available \
	    $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHAREDIR)/sql
	install -m 644 $(B)/mod_eas.so $(B)/mod_autodiscover.so $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 conf/eas.load conf/eas.conf conf/autodiscover.load conf/autodiscover.conf \
	    $(DESTDIR)$(APACHE_CONFDIR)/mods-available/
	install -m 755 $(B)/bin/easctl $(DESTDIR)$(PREFIX)/sbin/easctl
	for t in $(TOOLS); do case $$t in */easctl) ;; *) install -m 755 $$t $(DESTDIR)$(PREFIX)/bin/ ;; esac; done
	install -m 644 sql/*.sql $(DESTDIR)$(SHAREDIR)/sql/

format:
	clang-format -i $(wildcard mod_eas/*.[ch] mod_eas/core/*.[ch] mod_autodiscover/*.[ch] tools/*.c tests/unit/*.[ch] bench/*.c tests/fuzz/*.c)

format-check:
	clang-format --dry-run -Werror $(wildcard mod_eas/*.[ch] mod_eas/core/*.[ch] mod_autodiscover/*.[ch] tools/*.c tests/unit/*.[ch] bench/*.c tests/fuzz/*.c)

clean:
	rm -rf $(B)

-include $(sort $(wildcard mk/*.mk))
