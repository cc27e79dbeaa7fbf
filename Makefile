# Build, run and test the server. `make` builds bin/server.
CC      ?= cc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -pthread -MMD -MP
override LDFLAGS += -pthread

# Optional libraries, found with pkg-config; without them the features
# report themselves unavailable (server --version lists what is in).
define optional
ifeq ($$(shell pkg-config --exists $(1) 2>/dev/null && echo yes),yes)
FEATURE_CFLAGS += -D$(2) $$(shell pkg-config --cflags $(1))
LIBS += $$(shell pkg-config --libs $(1))
endif
endef
$(eval $(call optional,zlib,HAVE_ZLIB))
$(eval $(call optional,libbrotlienc,HAVE_BROTLI))
$(eval $(call optional,libzstd,HAVE_ZSTD))
$(eval $(call optional,libcrypt,HAVE_CRYPT))
$(eval $(call optional,openssl,HAVE_OPENSSL))
$(eval $(call optional,libnghttp2,HAVE_NGHTTP2))
$(eval $(call optional,yaml-0.1,HAVE_YAML))
override CFLAGS += $(FEATURE_CFLAGS)

SRC      := $(wildcard src/*.c)
OBJ      := $(SRC:src/%.c=build/obj/%.o)
LIB_OBJ  := $(filter-out build/obj/main.o,$(OBJ))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all run test unit integration asan test-asan test-long bench bench-parse clean install uninstall

# Installation: the binary as `tern` (bin/server stays the build output),
# its man page, the systemd units and the logrotate snippet.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc

all: bin/server

bin/server: $(OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c $(LIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LIBS)

# A test build with a request path that tries what a path bug could do
# (see serve.c, SANDBOX_PROBE), to show the sandbox stops it.
PROBE_OBJ := $(filter-out build/obj/serve.o,$(OBJ)) build/obj/serve-probe.o

build/obj/serve-probe.o: src/serve.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DSANDBOX_PROBE -c -o $@ $<

bin/server-probe: $(PROBE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

run: bin/server
	./bin/server

unit: $(UNIT_BIN)
	@python3 tests/run_unit.py $(UNIT_BIN)

integration: bin/server bin/server-probe
	@python3 tests/run_integration.py --server bin/server

# The whole suite: unit tests, integration tests, then both again on the
# ASan+UBSan build.
test: unit integration test-asan

# The ASan+UBSan build of the server and of the unit tests.
asan: bin/server-asan $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)

ASAN_OBJ     := $(SRC:src/%.c=build/asan/obj/%.o)
ASAN_LIB_OBJ := $(filter-out build/asan/obj/main.o,$(ASAN_OBJ))
ASAN_CFLAGS  := $(ASAN_FLAGS) -std=c17 -D_GNU_SOURCE $(FEATURE_CFLAGS) -Wall -Wextra -pthread -MMD -MP

build/asan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -c -o $@ $<

bin/server-asan: $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) -fsanitize=address,undefined -pthread -o $@ $^ $(LIBS)

build/asan/tests/%: tests/unit/%.c $(ASAN_LIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Isrc -o $@ $< $(ASAN_LIB_OBJ) -fsanitize=address,undefined -pthread $(LIBS)

test-asan: asan bin/server-probe
	@python3 tests/run_unit.py $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		python3 tests/run_integration.py --server bin/server-asan

test-long: bin/server
	@python3 tests/run_integration.py --server bin/server --long

# Load benchmark against nginx (and h2o, lighttpd where installed); needs
# wrk and nginx: apt-get install wrk nginx-light. Not a test.
bench: bin/server
	python3 bench/bench.py

bench-parse: build/bench_parse
	./build/bench_parse

build/bench_parse: bench/bench_parse.c build/obj/http_parse.o
	$(CC) $(CFLAGS) -O2 -Isrc -o $@ $^ $(LDFLAGS)

install: bin/server
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 bin/server $(DESTDIR)$(BINDIR)/tern
	install -m 0644 docs/tern.1 $(DESTDIR)$(MANDIR)/man1/tern.1
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/tern.service > $(DESTDIR)$(UNITDIR)/tern.service
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/tern.socket > $(DESTDIR)$(UNITDIR)/tern.socket
	chmod 0644 $(DESTDIR)$(UNITDIR)/tern.service $(DESTDIR)$(UNITDIR)/tern.socket
	install -m 0644 contrib/tern.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/tern
	install -m 0755 contrib/tern-acme-hook contrib/tern-acme-renew $(DESTDIR)$(BINDIR)/
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/tern-acme.service > $(DESTDIR)$(UNITDIR)/tern-acme.service
	install -m 0644 contrib/tern-acme.timer $(DESTDIR)$(UNITDIR)/tern-acme.timer
	chmod 0644 $(DESTDIR)$(UNITDIR)/tern-acme.service
	install -d $(DESTDIR)$(SYSCONFDIR)/tern
	install -m 0644 contrib/tern.yaml $(DESTDIR)$(SYSCONFDIR)/tern/tern.yaml.example

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tern $(DESTDIR)$(MANDIR)/man1/tern.1 \
		$(DESTDIR)$(UNITDIR)/tern.service $(DESTDIR)$(UNITDIR)/tern.socket \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/tern $(DESTDIR)$(BINDIR)/tern-acme-hook \
		$(DESTDIR)$(BINDIR)/tern-acme-renew $(DESTDIR)$(UNITDIR)/tern-acme.service \
		$(DESTDIR)$(UNITDIR)/tern-acme.timer $(DESTDIR)$(SYSCONFDIR)/tern/tern.yaml.example

clean:
	rm -rf build bin

include fuzz/fuzz.mk

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d)
