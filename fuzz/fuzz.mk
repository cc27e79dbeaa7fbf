# fuzz/fuzz.mk - libFuzzer harnesses (clang only). Meant to be included
# from the top Makefile (`include fuzz/fuzz.mk`); every path is relative
# to the repository root.
#
#   make fuzz                      build fuzz/build/fuzz_* (ASan + UBSan)
#   make fuzz-smoke                replay fuzz/corpus/<name>, then fuzz each
#                                  harness for FUZZ_SECONDS (default 30)
#   make fuzz-smoke FUZZ_SECONDS=300 FUZZ_NAMES=fuzz_path
#   make fuzz-clean                remove fuzz/build
#
# New inputs found by fuzz-smoke go to fuzz/build/corpus/<name> (the seeds
# in fuzz/corpus are only read); crashes to fuzz/build/crashes/<name>-*.
# Known, reported issues (reproducers in fuzz/crashes/) are let through
# until fixed; FUZZ_CFLAGS+=-DFUZZ_STRICT checks them again:
#   make fuzz-clean fuzz FUZZ_CFLAGS+=-DFUZZ_STRICT
#   fuzz/build/fuzz_date fuzz/crashes/fuzz_date-*

# Keep the including Makefile's default goal (`all`) even when this file
# is included before its first rule.
fuzz_saved_goal := $(.DEFAULT_GOAL)

FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -Isrc
FUZZ_SECONDS ?= 30
FUZZ_ALL     := fuzz_http_parse fuzz_path fuzz_range fuzz_date fuzz_log fuzz_encoding fuzz_auth \
		fuzz_mime fuzz_config fuzz_multipart fuzz_h2 fuzz_yaml fuzz_config_file fuzz_rules \
		fuzz_proxy
FUZZ_NAMES   ?= $(FUZZ_ALL)
FUZZ_DICT    := fuzz/http.dict
FUZZ_OUT     := fuzz/build

# The src/*.c each harness needs (never main.c).
fuzz_src_fuzz_http_parse := src/http_parse.c src/http_request.c src/http_cond.c src/http_date.c \
			    src/path.c src/access_log.c src/http_response.c
fuzz_src_fuzz_path       := src/path.c
fuzz_src_fuzz_range      := src/http_cond.c src/http_date.c src/http_parse.c
fuzz_src_fuzz_date       := src/http_date.c
fuzz_src_fuzz_log        := src/access_log.c src/http_response.c
fuzz_src_fuzz_encoding   := src/http_encoding.c
fuzz_src_fuzz_auth       := src/auth.c
fuzz_src_fuzz_mime       := src/mime.c
fuzz_src_fuzz_multipart  := src/http_multipart.c src/http_cond.c src/http_date.c src/http_parse.c
fuzz_src_fuzz_config     := src/config.c src/config_file.c src/yaml_doc.c src/access_log.c \
			    src/http_response.c src/tls.c src/h2.c src/trusted.c
fuzz_src_fuzz_yaml       := src/yaml_doc.c
fuzz_src_fuzz_config_file := $(fuzz_src_fuzz_config) src/site.c src/rules.c src/auth.c \
			    src/log_file.c
fuzz_src_fuzz_rules      := src/rules.c
fuzz_src_fuzz_proxy      := src/proxy_proto.c src/trusted.c
# fuzz_h2 drives the real connection code, so it is the whole server but
# its main().
fuzz_src_fuzz_h2         := $(filter-out src/main.c,$(wildcard src/*.c))

# Extra flags and libraries of a harness: fuzz_auth checks passwords with
# libcrypt where there is one (like the server, see HAVE_CRYPT), else only
# base64.
fuzz_have_crypt := $(shell pkg-config --exists libcrypt 2>/dev/null && echo yes)
fuzz_flags_fuzz_auth := $(if $(fuzz_have_crypt),-DHAVE_CRYPT $(shell pkg-config --cflags libcrypt))
fuzz_libs_fuzz_auth  := $(if $(fuzz_have_crypt),$(shell pkg-config --libs libcrypt))

# The config file needs libyaml (HAVE_YAML, as the server); without it the
# loader reports itself unavailable, and the harnesses check that path.
fuzz_have_yaml := $(shell pkg-config --exists yaml-0.1 2>/dev/null && echo yes)
fuzz_yaml_flags := $(if $(fuzz_have_yaml),-DHAVE_YAML $(shell pkg-config --cflags yaml-0.1))
fuzz_yaml_libs  := $(if $(fuzz_have_yaml),$(shell pkg-config --libs yaml-0.1))
fuzz_flags_fuzz_yaml        := $(fuzz_yaml_flags)
fuzz_libs_fuzz_yaml         := $(fuzz_yaml_libs)
fuzz_flags_fuzz_config      := $(fuzz_yaml_flags)
fuzz_libs_fuzz_config       := $(fuzz_yaml_libs)
fuzz_flags_fuzz_config_file := $(fuzz_yaml_flags) -pthread
# fuzz_rules also checks that every quick answer of the matcher (literal,
# prefix, segments, "/dir/{**}") is what the full simulation says.
fuzz_flags_fuzz_rules       := -DRULES_CHECK_QUICK
fuzz_libs_fuzz_config_file  := $(fuzz_yaml_libs) -pthread

# fuzz_h2 is built as the server is: the optional libraries of the top
# Makefile's `optional` list (keep the two lists alike), each with its
# HAVE_* define where pkg-config finds it; and threads (the helper pool).
fuzz_optional := zlib:HAVE_ZLIB libbrotlienc:HAVE_BROTLI libzstd:HAVE_ZSTD libcrypt:HAVE_CRYPT \
		 openssl:HAVE_OPENSSL libnghttp2:HAVE_NGHTTP2 yaml-0.1:HAVE_YAML
fuzz_found    := $(foreach o,$(fuzz_optional),$(if $(shell pkg-config --exists \
			$(word 1,$(subst :, ,$(o))) 2>/dev/null && echo yes),$(o)))
fuzz_flags_fuzz_h2 := -pthread $(foreach o,$(fuzz_found),-D$(word 2,$(subst :, ,$(o))) \
		      $(shell pkg-config --cflags $(word 1,$(subst :, ,$(o)))))
fuzz_libs_fuzz_h2  := -pthread $(foreach o,$(fuzz_found),$(shell pkg-config --libs $(word 1,$(subst :, ,$(o)))))

fuzz_deps := fuzz/fuzz_check.h $(wildcard src/*.h)

.PHONY: fuzz fuzz-smoke fuzz-clean

fuzz: $(FUZZ_NAMES:%=$(FUZZ_OUT)/%)

define fuzz_rule
$(FUZZ_OUT)/$(1): fuzz/$(1).c $$(fuzz_src_$(1)) $$(fuzz_deps)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$(fuzz_flags_$(1)) -o $$@ fuzz/$(1).c $$(fuzz_src_$(1)) \
		$$(fuzz_libs_$(1))
endef
$(foreach n,$(FUZZ_ALL),$(eval $(call fuzz_rule,$(n))))

# For each harness: run every seed once (a regression check), then fuzz
# for FUZZ_SECONDS with a scratch corpus in front of the seeds. Fails on
# the first crash, leak, sanitizer report or broken invariant.
fuzz-smoke: fuzz
	@set -e; for n in $(FUZZ_NAMES); do \
		echo "== $$n: replaying fuzz/corpus/$$n"; \
		mkdir -p $(FUZZ_OUT)/corpus/$$n $(FUZZ_OUT)/crashes; \
		./$(FUZZ_OUT)/$$n -runs=0 -artifact_prefix=$(FUZZ_OUT)/crashes/$$n- \
			fuzz/corpus/$$n; \
		echo "== $$n: fuzzing for $(FUZZ_SECONDS)s"; \
		./$(FUZZ_OUT)/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-dict=$(FUZZ_DICT) -artifact_prefix=$(FUZZ_OUT)/crashes/$$n- \
			$(FUZZ_OUT)/corpus/$$n fuzz/corpus/$$n; \
	done

fuzz-clean:
	rm -rf $(FUZZ_OUT)

.DEFAULT_GOAL := $(fuzz_saved_goal)
