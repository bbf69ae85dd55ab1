# mlpipe: small Unix programs for the mathematics of modern models.
#   make            build every program into build/bin, quietly
#   make check      unit tests, command-line tests, man-page examples, lint
#   make demo       install missing packages if it can, build, run a pipeline
#   make bench      throughput against cat|cat and NumPy/PyTorch peers
#   make install    PREFIX=/usr/local DESTDIR= : binaries and man pages
#   make SAN=1 ...  AddressSanitizer + UndefinedBehaviorSanitizer build
#   make fuzz FUZZ_SECONDS=N   libFuzzer targets (clang)

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Werror
OPT     ?= -O2
CFLAGS  ?=
LDFLAGS ?=

ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
OPT     := -O1
else
BUILD   := build
SANFLAGS :=
endif

ALL_CFLAGS := $(CSTD) $(OPT) $(WARN) $(SANFLAGS) -Ilib -MMD -MP $(CFLAGS)
LIBS    := -lcjson -lsodium -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lpthread -lm)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIBA    := $(BUILD)/lib/libmlpipe.a
PROGS   := $(sort $(basename $(notdir $(wildcard cmd/*.c))))
BINS    := $(PROGS:%=$(BUILD)/bin/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MAN1    := $(wildcard man/man1/*.1)
MAN7    := $(wildcard man/man7/*.7)

.PHONY: all check unit cli examples lint demo bench install uninstall clean deps fuzz
.DEFAULT_GOAL := all
# keep the objects of programs and tests between runs
.SECONDARY:

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/cmd/%.o $(LIBA)
	@mkdir -p $(@D)
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIBA) $(LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(@D)
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIBA) $(LIBS) $(CHECK_LIBS) -o $@

# make check: every unit test binary, the golden command-line tests, the
# EXAMPLES of every man page run verbatim, and mandoc's lint.
check: deps all $(UNITS)
	@$(MAKE) -k --no-print-directory unit cli examples lint

unit: $(UNITS)
	@fail=0; for t in $(UNITS); do \
	  CK_VERBOSITY=silent MLPIPE_TESTDATA=tests/data $$t || { echo "FAIL: $$t"; fail=1; }; \
	done; test $$fail = 0 && echo "unit: $(words $(UNITS)) suites passed"

cli: all
	@mkdir -p $(BUILD)/bin
	@tests/cli/run.sh $(BUILD)/bin tests/cli/*.test

examples: all
	@mkdir -p $(BUILD)/bin
	@tests/man-examples.sh $(BUILD)/bin $(MAN1) $(MAN7)

lint:
	@if command -v mandoc >/dev/null 2>&1; then \
	  out=$$(mandoc -Tlint -Wwarning $(MAN1) $(MAN7) 2>&1 | grep -v 'referenced manual not found'); \
	  if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	  echo "lint: $(words $(MAN1) $(MAN7)) man pages clean"; \
	else echo "lint: mandoc not installed (apt-get install mandoc)"; exit 1; fi

deps:
	@.ci/deps

demo: deps
	@$(MAKE) --no-print-directory all
	@samples/demo.sh $(BUILD)/bin

bench: all
	@tests/bench/run.sh $(BUILD)/bin

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(MAN7) $(DESTDIR)$(PREFIX)/share/man/man7

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(MAN1:man/man1/%=$(DESTDIR)$(PREFIX)/share/man/man1/%)
	rm -f $(MAN7:man/man7/%=$(DESTDIR)$(PREFIX)/share/man/man7/%)

# libFuzzer: each tests/fuzz/fuzz_NAME.c links the library sources compiled
# with clang's coverage instrumentation; corpus in tests/fuzz/corpus/NAME.
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Ilib -fsanitize=fuzzer,address,undefined

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h cmd/*.c tests/fuzz/*.h)
	@mkdir -p $(@D)
	@clang $(FUZZ_FLAGS) $< $(LIB_SRC) $(LIBS) -o $@

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  name=$${f#build/fuzz/fuzz_}; mkdir -p build/fuzz/corpus/$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build/fuzz/ \
	     build/fuzz/corpus/$$name tests/fuzz/corpus/$$name 2>build/fuzz/$$name.log \
	     || { tail -40 build/fuzz/$$name.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|stat::new_units_added' build/fuzz/$$name.log; \
	done

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BINS:$(BUILD)/bin/%=$(BUILD)/obj/cmd/%.d) $(UNITS:$(BUILD)/tests/%=$(BUILD)/obj/tests/unit/%.d)
