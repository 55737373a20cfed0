# onair build. `make` builds build/onair; `make test` sets up the machine and runs the whole suite;
# `make run` sets up, builds and serves with the demo stream. SAN=1 builds with ASan + UBSan,
# TSAN=1 with ThreadSanitizer (`make tsan` builds what runs threads that way, in build-tsan/).
CC      ?= cc
BUILD   ?= build
PKGS    := libcurl openssl libgcrypt libsrtp2 libuv libmicrohttpd jansson usrsctp libavformat libavcodec libavutil libswresample zlib
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE $(WARN) -Isrc -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lm -lpthread
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# -O1 after the default -O2: TSan's stacks keep more of their frames, at little cost in speed.
ifeq ($(TSAN),1)
CFLAGS  += -fsanitize=thread -O1
LDFLAGS += -fsanitize=thread
endif

# AES-GCM (rtc/gcm_cipher.h): Intel's multi-buffer crypto library where it is installed (x86-64,
# libipsec-mb-dev; 3.7x libgcrypt's speed sealing a packet on this machine's VAES), libgcrypt
# otherwise or with IPSEC_MB=0.
IPSEC_MB ?= $(if $(wildcard /usr/include/intel-ipsec-mb.h),1,0)
ifeq ($(IPSEC_MB),1)
GCM_SRC  := src/rtc/gcm_cipher_ipsec_mb.c
LDLIBS   += -lIPSec_MB
else
GCM_SRC  := src/rtc/gcm_cipher_gcrypt.c
endif

LIB_SRC  := $(filter-out $(filter-out $(GCM_SRC),$(wildcard src/rtc/gcm_cipher_*.c)), \
              $(wildcard src/base/*.c src/proto/*.c src/rtc/*.c src/io/*.c src/sfu/*.c src/app/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
WEB      := $(sort $(wildcard web/*))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/web_assets.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# With libipsec-mb linked, libgcrypt's AES-GCM (the fallback) still passes test_gcm_cipher.
ifeq ($(IPSEC_MB),1)
UNIT_BIN += $(BUILD)/tests/test_gcm_cipher_gcrypt
endif

all: $(BUILD)/onair $(UNIT_BIN) $(BUILD)/lane-cost $(BUILD)/srtp-cost $(BUILD)/fanout-instructions

$(BUILD)/onair: $(CLI_OBJ) $(BUILD)/libonair.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libonair.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The pages are served from inside the binary: tools/embed turns web/ into a C table.
$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

$(BUILD)/gen/web_assets.c: $(BUILD)/tools/embed $(WEB)
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ $(WEB)

$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(CC) $(CFLAGS) -c -o $@ $<

# What splitting a fan-out between two threads costs here (bench/lane-cost.c).
$(BUILD)/lane-cost: bench/lane-cost.c $(BUILD)/libonair.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The SFU's instructions per packet sent, for callgrind (bench/fanout-instructions.c).
$(BUILD)/fanout-instructions: bench/fanout-instructions.c $(BUILD)/libonair.a
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $^ $(LDLIBS) -lcmocka

# What SRTP costs a peer under each profile, ours against libsrtp's (bench/srtp-cost.c).
$(BUILD)/srtp-cost: bench/srtp-cost.c $(BUILD)/libonair.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_gcm_cipher_gcrypt: tests/unit/test_gcm_cipher.c src/rtc/gcm_cipher_gcrypt.c \
                                      src/rtc/srtp_base.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# -MMD: a test is rebuilt when a header it includes changes (tests/unit/libsrtp_gcm.h too).
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libonair.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -Itests/unit -o $@ $< $(BUILD)/libonair.a $(LDLIBS) -lcmocka

# Fuzz targets (clang + libFuzzer). The suite replays their corpora through the same binaries.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
# The pure parsers of app/ (no I/O, no loop), fuzzed like those of proto/.
FUZZ_APP_SRC := src/app/access.c src/app/config_file.c src/app/patch_rules.c src/app/depacketize.c \
                src/app/media_url.c src/app/av1_packetize.c src/app/http_range.c \
                src/app/local_request.c
# The SRTP sealer and opener, checked against libsrtp (rtc/srtp.c) by their fuzz target; the
# a=fingerprint parser; the ICE-lite responder (ice.c needs no socket or clock, only libcrypto).
FUZZ_RTC_SRC := src/rtc/srtp_gcm.c $(GCM_SRC) src/rtc/srtp_cm.c src/rtc/srtp_index.c src/rtc/srtp_base.c \
                src/rtc/srtp.c src/rtc/dtls_fingerprint.c src/rtc/ice.c
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
fuzz: $(FUZZ_BIN)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
	  $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(filter src/proto/%.c src/base/%.c src/sfu/%.c $(FUZZ_APP_SRC) $(FUZZ_RTC_SRC),$(LIB_SRC)) \
	  $(shell pkg-config --libs $(PKGS)) $(filter -lIPSec_MB,$(LDLIBS)) -lm

# The ThreadSanitizer pass builds only the server and the unit tests that run threads (the
# suite runs every unit test of build-tsan/): all of them would cost CI time for nothing.
TSAN_TESTS := test_worker_pool test_udp test_sfu test_disk_reads
tsan:
	$(MAKE) TSAN=1 BUILD=build-tsan build-tsan/onair $(TSAN_TESTS:%=build-tsan/tests/%)

setup:
	scripts/setup

test: setup
	$(MAKE) all
	$(MAKE) SAN=1 BUILD=build-san all
	$(MAKE) tsan
	$(MAKE) fuzz
	tests/run-all

run: setup all
	scripts/run-demo

clean:
	rm -rf build build-san build-tsan build-fuzz build-gcrypt

# `onair --version`: the release and the commit it was built from, remade when either changes.
VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null)
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define ONAIR_VERSION "$(VERSION)$(if $(GIT_REV), (git $(GIT_REV)))"' > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@
$(BUILD)/src/cli/main.o: $(BUILD)/gen/version.h

# `make install` puts the server, its systemd unit (dist/onair.service, paths filled in), the
# sysusers.d entry of its user, a sample config (only where there is none: it is the admin's) and
# the README under DESTDIR. Installing to the machine itself (no DESTDIR) also makes the user
# onair (in SYSUSERS_ROOT's /etc/passwd) and gives its group the new config. `make uninstall`
# takes it all away but the config and the user.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DOCDIR      ?= $(PREFIX)/share/doc/onair
CONFDIR     ?= /etc/onair
UNITDIR     ?= /etc/systemd/system
SYSUSERSDIR ?= /etc/sysusers.d
SYSUSERS_ROOT ?= /
install: $(BUILD)/onair
	install -D -m 755 $(BUILD)/onair $(DESTDIR)$(BINDIR)/onair
	@mkdir -p $(DESTDIR)$(UNITDIR)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' -e 's|@UNITDIR@|$(UNITDIR)|g' \
	  dist/onair.service > $(DESTDIR)$(UNITDIR)/onair.service
	chmod 644 $(DESTDIR)$(UNITDIR)/onair.service
	install -D -m 644 dist/onair.sysusers $(DESTDIR)$(SYSUSERSDIR)/onair.conf
	install -D -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@if [ -e $(DESTDIR)$(CONFDIR)/onair.conf ]; then \
	  echo "install: $(DESTDIR)$(CONFDIR)/onair.conf is there already: left as it is"; \
	else \
	  install -D -m 640 dist/onair.conf $(DESTDIR)$(CONFDIR)/onair.conf && \
	  if [ -z "$(DESTDIR)" ]; then \
	    systemd-sysusers --root=$(SYSUSERS_ROOT) $(SYSUSERSDIR)/onair.conf && \
	    chgrp "$$(awk -F: '$$1 == "onair" { print $$3 }' $(SYSUSERS_ROOT)/etc/group)" \
	      $(CONFDIR)/onair.conf; \
	  fi; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/onair $(DESTDIR)$(UNITDIR)/onair.service \
	  $(DESTDIR)$(SYSUSERSDIR)/onair.conf $(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(DOCDIR)

.PHONY: all setup test run clean fuzz tsan install uninstall FORCE
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:%=%.d)
