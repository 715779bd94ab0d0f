# SPDX-License-Identifier: GPL-2.0
#
# asyncx top-level Makefile. The module itself is described by Kbuild; this
# file wraps kbuild and the userspace parts, and holds the project targets:
#
#   make                 asyncx.ko against KDIR (default: Debian's 6.1
#                        headers), the KUnit module when the debug kernel is
#                        built, libasyncx and the kselftests
#   make W=1 / C=2       the same with kbuild's extra warnings / sparse
#   make run             boot the test VM, load the module, show it working
#   make check           every test on every kernel (scripts/check.py)
#   make check-quick     stock 6.1 only
#   make style           checkpatch --strict on our kernel sources
#   make kerneldoc       kernel-doc comments of our sources, warnings only
#   make analyze         cppcheck and clang-analyzer on libasyncx (sources,
#                        header, examples, tests) and the standalone selftests
#   make htmldocs        Documentation/ with Sphinx, warnings as errors
#   make debug-kernel    build (once, cached) the 6.1 debug kernel
#   make vm CMD='...'    run one command in the VM (KERNEL=6.1|6.12|debug|rt)
#   make deps            install the Debian packages everything needs
#   make install         install libasyncx, its headers, asyncx.pc, the man
#                        pages and asyncx-top under $(DESTDIR)$(PREFIX)
#                        (default /usr/local); the module installs with
#                        DKMS (dkms.conf)

KVER_61 := $(shell scripts/kernels.sh 6.1 kver 2>/dev/null)
KDIR ?= /lib/modules/$(KVER_61)/build
KERNEL ?= 6.1
# Unpacked Debian linux-source-6.1 (checkpatch, kselftest_harness.h);
# recursive, so only targets that need it unpack it.
KSRC = $(shell scripts/debug-kernel.sh --source)

all: module lib selftests samples tools kunit

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The KUnit module needs a kernel with CONFIG_KUNIT: the debug kernel.
kunit:
	@if scripts/debug-kernel.sh --print-dir >/dev/null; then \
		scripts/build-kmod.sh debug; \
	else \
		echo "kunit: asyncx_kunit.ko needs the debug kernel: run 'make debug-kernel' first"; \
	fi

lib:
	$(MAKE) -C lib

# asyncx-top too: the kselftest telemetry.sh runs it in the VM.
selftests: lib tools
	$(MAKE) -C selftests/asyncx KSFT_DIR=$(KSRC)/tools/testing/selftests

tools:
	$(MAKE) -C tools/asyncx-top

# samples/echo is a kernel module using asyncx.ko's symbols: after module.
samples: lib module
	$(MAKE) -C samples/demo
	$(MAKE) -C samples/echo KDIR=$(KDIR)

deps:
	scripts/deps.sh

install:
	$(MAKE) -C lib install
	$(MAKE) -C tools/asyncx-top install

debug-kernel: deps
	scripts/debug-kernel.sh

# deps first: check.py needs python3, which a fresh machine may lack.
check: deps
	scripts/check.py

check-quick: deps
	scripts/check.py --quick

# Benchmarks in the test VM, against io_uring and workqueues (results/bench/).
bench: deps
	/usr/bin/python3 scripts/bench.py

run:
	scripts/run-demo.sh

vm:
	scripts/vm.sh -k $(KERNEL) -- bash -c '$(CMD)'

# Kernel style on the kernel-side sources.
KMOD_FILES = $(shell git ls-files -co --exclude-standard -- 'kmod/*.[ch]' \
		'scripts/tests/warn_module/*.c' 'samples/echo/*.c' \
		'selftests/asyncx/blocker/*.[ch]' 2>/dev/null)
UAPI_FILES = $(shell git ls-files -co --exclude-standard -- 'uapi/*.h' 2>/dev/null)
STYLE_FILES = $(KMOD_FILES) $(UAPI_FILES)
CHECKPATCH = $(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse --show-types
# uapi headers cannot use BIT(): it is not part of the userspace API. The
# compat header is where an out-of-tree module must compare kernel versions.
# The async/await macros of async.h are a preprocessor state machine: they
# return and place case labels (flow control, unbalanced switch braces,
# statements that cannot be wrapped in do-while) by design.
COMPAT_H = kmod/ring/compat.h
ASYNC_H = kmod/include/asyncx/async.h
ASYNC_IGNORE = MACRO_WITH_FLOW_CONTROL,COMPLEX_MACRO,MACRO_ARG_REUSE,$\
	MULTISTATEMENT_MACRO_USE_DO_WHILE
style:
	$(CHECKPATCH) -f $(filter-out $(COMPAT_H) $(ASYNC_H),$(KMOD_FILES))
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f $(COMPAT_H)
	$(CHECKPATCH) --ignore $(ASYNC_IGNORE) -f $(ASYNC_H)
	$(CHECKPATCH) --ignore BIT_MACRO -f $(UAPI_FILES)

# kernel-doc syntax of every documented kernel and uapi source (warnings only).
kerneldoc:
	KBUILD_EXTRA_WARN=2 $(KSRC)/scripts/kernel-doc -none $(STYLE_FILES)

# Static analysis of the userspace C: libasyncx (its header through the
# sources that include it) and the selftest programs that do not use
# kselftest_harness.h (cppcheck cannot follow that harness's ASSERT_* flow
# and reports out-of-bounds indexes right after the bounds asserts).
# Justified suppressions only, inline (cppcheck-suppress) next to the code.
ANALYZE_SRCS = $(wildcard lib/src/*.c lib/examples/*.c lib/tests/*.c) \
	selftests/asyncx/fuzz.c selftests/asyncx/echo_client.c
ANALYZE_INC = -D_GNU_SOURCE -Ilib/include -Ilib/src -Iuapi
CPPCHECK = cppcheck -q --std=c11 --enable=warning,performance,portability \
	--error-exitcode=1 --inline-suppr \
	--template='{file}:{line}: {severity}: {message} [{id}]'
# clang's static analyzer; the "insecure API" family would flag every
# memcpy/memset (it wants C11 Annex K, which glibc does not have).
CLANG_TIDY = clang-tidy --quiet --warnings-as-errors='*' \
	-checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
analyze:
	$(CPPCHECK) $(ANALYZE_INC) $(ANALYZE_SRCS)
	$(CLANG_TIDY) $(ANALYZE_SRCS) -- $(ANALYZE_INC)

htmldocs:
	sphinx-build -W --keep-going -q -b html Documentation Documentation/output/html

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C lib clean
	$(MAKE) -C selftests/asyncx clean
	$(MAKE) -C samples/demo clean
	$(MAKE) -C samples/echo KDIR=$(KDIR) clean
	rm -rf .build Documentation/output

.PHONY: all module kunit lib selftests samples tools deps install debug-kernel check check-quick run bench vm \
	style kerneldoc analyze htmldocs clean
