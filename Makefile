# SPDX-License-Identifier: GPL-2.0
#
# Top-level Makefile: drives the build and the test harness. Kbuild never
# reads this file; the modules are described by ./Kbuild.
#
#   make            build the modules in place for $(KDIR), W=1
#   make check      everything: deps, test kernel, builds, lint, both VMs
#   make run        the demo (scripts/demo.sh) in the VM
#   make vm         interactive shell in the VM, modules loaded
#   make lint       checkpatch --strict, kernel-doc and sparse
#   make clean      remove build products and build/ (not the kernel cache)
#
# KERNEL=test|debian picks the VM's kernel for run and vm (default: test).

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1))
KERNEL ?= test

.PHONY: all modules check run vm lint clean help

all: modules

modules:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel build dir: set KDIR= (or run scripts/deps)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

check:
	scripts/check

run:
	scripts/deps
	scripts/vm --kernel $(KERNEL) --exec scripts/demo.sh

vm:
	scripts/deps
	scripts/vm --kernel $(KERNEL)

lint:
	scripts/deps
	scripts/lint

clean:
	@if [ -n "$(KDIR)" ] && [ -f "$(KDIR)/Makefile" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

help:
	@sed -n '3,13s/^# \{0,1\}//p' Makefile
