# Makefile — nnmc.
#   make            build ./nnmc (flex/bison output goes to build/)
#   make test       run every test suite (tests/run.sh); ends with "N passed, N failed"
#   make asan       the same tests under AddressSanitizer + UBSan (build-asan/)
#   make deps       apt-get what a fresh Debian machine lacks
#   make bench-deps the same, plus PyTorch for make bench
#   make data       fill data/ with MNIST (and Fashion-MNIST when installed)
#   make mnist      deps + data + build, then train models/mnist_mlp.nnm
#   make clang      build with clang (-Werror) too
#   make bench      each --isa version of the kernels (bench/kernels.c), nnmc vs PyTorch images/s
#                   (bench/run.sh, bench/cifar.sh), built programs vs nnmc run (bench/emit.sh),
#                   what augmentation costs (bench/augment.sh)
#   make fuzz       AFL++ on the front end (fuzz/run.sh; FUZZ_SECONDS=1800)
#   make fuzz-files AFL++ on the readers of checkpoints, weights, images and data files
CC      ?= cc
OPT     ?= -O3 -g
B       ?= build
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wvla -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?=
CFLAGS  += $(OPT) $(WARN) -fno-math-errno
CPPFLAGS+= -D_POSIX_C_SOURCE=200809L -Icompiler -Iruntime -Iruntime/layers -I$(B) -MMD -MP
LDLIBS  += -lz -lm -lpthread

RT_SRC  := $(wildcard runtime/*.c runtime/layers/*.c)
CC_SRC  := $(filter-out compiler/embed.c,$(wildcard compiler/*.c))
RT_OBJ  := $(RT_SRC:%.c=$(B)/%.o)
CC_OBJ  := $(CC_SRC:%.c=$(B)/%.o) $(B)/parser.o $(B)/lexer.o $(B)/rt_text.o
# what `nnmc emit` puts into the programs it writes: the runtime's own text
RT_TEXT := $(sort $(wildcard runtime/*.h runtime/layers/*.h runtime/layers/*.def)) $(sort $(RT_SRC))
BIN     ?= nnmc
FUZZ_SECONDS ?= 1800

all: $(BIN)

# nnmc itself reads PNG images (nnmc predict); the programs it emits do not.
# It carries the runtime compiled for `nnmc build`'s default compiler and
# flags (the seed, compiler/rtcache.h), so that a first build with them does
# not compile it: nnmc0, the same program without the seed, builds a small
# model into an empty cache, and the entry's objects are embedded.  SEED=no
# leaves it out (the clang and sanitizer builds: their tests then compile
# the runtime as builds with other flags do).
SEED    ?= yes
ifeq ($(SEED),yes)
$(BIN): $(CC_OBJ) $(RT_OBJ) $(B)/rt_seed.o
else
$(BIN): $(CC_OBJ) $(RT_OBJ) $(B)/rt_seed0.o
endif
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpng
$(B)/nnmc0: $(CC_OBJ) $(RT_OBJ) $(B)/rt_seed0.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpng
$(B)/rt_seed0.c: $(B)/embed
	$(B)/embed --seed >$@
# the defaults of a user's shell: no $CC, no $CFLAGS
# (what the entry depends on: nnmc0 only as the tool that makes it)
$(B)/rt_seed.c: $(B)/rt_text.c compiler/emit.c compiler/rtcache.c tests/emit/small.nnm | $(B)/nnmc0 $(B)/embed
	rm -rf $(B)/seed && mkdir -p $(B)/seed
	env -u CC -u CFLAGS NNMC_CACHE=$(abspath $(B))/seed $(B)/nnmc0 build tests/emit/small.nnm -o $(B)/seed/small >$(B)/seed/log || { cat $(B)/seed/log; exit 1; }
	cd $(B)/seed/rt-* && $(abspath $(B))/embed --seed "$$(basename "$$PWD")" $$(find runtime -name '*.o' | LC_ALL=C sort) >$(abspath $@).tmp
	mv $@.tmp $@
	rm -rf $(B)/seed
$(B)/rt_seed.o $(B)/rt_seed0.o: $(B)/%.o: $(B)/%.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(B)/parser.c $(B)/parser.h: compiler/parser.y
	@mkdir -p $(B)
	bison -Wall -Werror -d -o $(B)/parser.c $<
$(B)/lexer.c: compiler/lexer.l $(B)/parser.h
	@mkdir -p $(B)
	flex -o $@ $<
# generated code only
$(B)/lexer.o: CFLAGS += -Wno-unused-function -Wno-sign-compare -Wno-missing-prototypes -Wno-shadow -Wno-unused-parameter
$(B)/parser.o $(B)/lexer.o: $(B)/%.o: $(B)/%.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
$(B)/embed: compiler/embed.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ $<
$(B)/rt_text.c: $(B)/embed $(RT_TEXT)
	$(B)/embed $(RT_TEXT) >$@
$(B)/rt_text.o: $(B)/rt_text.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<
$(CC_OBJ) $(RT_OBJ): | $(B)/parser.h
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# what each --isa version of the element-wise kernels costs (make bench)
$(B)/bench_kernels: bench/kernels.c $(RT_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

UNIT    := $(B)/test_unit
$(UNIT): tests/unit/test_unit.c $(RT_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

# either of the README's two commands does its own set-up: the tests need
# the tools of `make deps` and the data of `make data` (in that order, before
# anything is built, even under -j)
test:
	@$(MAKE) --no-print-directory deps data
	@$(MAKE) --no-print-directory all $(UNIT) $(B)/fuzz_files
	@FUZZ_FILES=$(B)/fuzz_files NNMC_SEEDED=$(SEED) bash tests/run.sh ./$(BIN) $(UNIT)

asan:
	@$(MAKE) --no-print-directory deps data
	$(MAKE) B=build-asan BIN=build-asan/nnmc SEED=no OPT='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' all build-asan/test_unit build-asan/fuzz_files
	FUZZ_FILES=build-asan/fuzz_files ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 bash tests/run.sh build-asan/nnmc build-asan/test_unit

# the same sources must build warning-free with clang too (CI runs this)
clang:
	$(MAKE) CC=clang B=build-clang BIN=build-clang/nnmc SEED=no build-clang/nnmc build-clang/test_unit build-clang/fuzz_files build-clang/fuzz_frontend

# the fuzzing harnesses (fuzz/*.c): nnmc without its main, with a harness's
FUZZ_OBJ := $(filter-out $(B)/compiler/main.o,$(CC_OBJ)) $(RT_OBJ) $(B)/rt_seed0.o
$(B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS) -lpng

bench: all $(B)/bench_kernels
	$(B)/bench_kernels
	@mkdir -p bench/out
	bash bench/run.sh | tee bench/out/mnist.log
	bash bench/cifar.sh resnet9 | tee bench/out/resnet9.log
	bash bench/cifar.sh vgg_bn | tee bench/out/vgg_bn.log
	python3 bench/table.py bench/out/mnist.log bench/out/resnet9.log bench/out/vgg_bn.log
	bash bench/emit.sh
	bash bench/augment.sh

fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS) frontend
fuzz-files:
	bash fuzz/run.sh $(FUZZ_SECONDS) files

deps:
	@bash .ci/deps.sh

# what make bench compares against (python3-torch, large): not needed to build or test
bench-deps:
	@NNM_DEPS_BENCH=1 bash .ci/deps.sh

data:
	@bash .ci/data.sh

mnist: deps data all
	./$(BIN) run models/mnist_mlp.nnm

clean:
	rm -rf $(B) build-asan build-clang build-fuzz build-ref $(BIN)

.PHONY: all test asan clang bench fuzz fuzz-files deps bench-deps data mnist clean
-include $(wildcard $(B)/*.d $(B)/*/*.d $(B)/*/*/*.d)
