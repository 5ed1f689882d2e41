# SPDX-License-Identifier: GPL-2.0
#
# Top-level Makefile: drives the build and the test harness. Kbuild never
# reads this file; the modules are described by ./Kbuild.
#
#   make            build the modules in place for $(KDIR), W=1
#   make install    install modules, toasterctl, man pages, udev rule (root);
#                   = install-modules + install-tools (all but the modules,
#                   for use with DKMS)
#   make uninstall  remove what install installed (uninstall-modules,
#                   uninstall-tools)
#   make check      everything: deps, test kernel, builds, lint, the VMs
#   make bench      the benchmark (one VM, Debian's kernel, about 3 minutes):
#                   the toaster against raw TCP, socat, sockperf, iperf3;
#                   the table on stdout, build/bench.md and build/bench.json
#   make fuzz       the libFuzzer harnesses (userspace/fuzz/: the frame
#                   decoder, the PSK handshake and records), 10^7 runs in all
#   make kcsan      KUnit, the e2e scripts and the fault suite on the KCSAN
#                   flavor of the test kernel (built and cached on first use)
#   make soak       the slow fault cases (userspace/tests/soak/: the fault
#                   suite on the debug kernel, failslab included; 100
#                   load/unload cycles under traffic), debug kernel VM
#   make run        the demo on two hosts: two VMs (scripts/twohost --demo)
#   make vm         interactive shell in the VM, modules loaded
#   make lint       checkpatch --strict, kernel-doc, sparse, man, shellcheck
#   make clean      remove build products and build/ (not the kernel cache)
#   make version    print the version (PACKAGE_VERSION in dkms.conf)
#
# KERNEL=test|debian picks the VMs' kernel: run defaults to debian (Debian's
# stock kernel, realistic timings), vm to test (the debug kernel).
# KDIR=dir builds for another kernel; KVER=release alone means
# KDIR=/lib/modules/$(KVER)/build (default: the running kernel's, else the
# newest /usr/src/linux-headers-*-amd64). KVER defaults to KDIR's release.
#
# make install puts (DESTDIR prefixes every path; [defaults]):
#   the 3 modules   /lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/module/*/ [extra]
#                   (never the KUnit suites), then depmod -a $(KVER)
#   toasterctl      $(PREFIX)/sbin [PREFIX=/usr/local]
#   docs/man/*.N    $(PREFIX)/share/man/manN
#   udev rule       $(UDEVRULESDIR)/60-toaster.rules [/etc/udev/rules.d]
#   modprobe.d      $(MODPROBEDIR)/toaster.conf [/etc/modprobe.d], an example,
#                   only if no such file exists (never overwritten)
# and creates the system group "toaster", reloads udev. With DESTDIR set:
# no depmod, groupadd or udevadm. make uninstall keeps the group and a
# toaster.conf that differs from the example.

# The version lives in dkms.conf only.
TOASTER_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf)

ifneq ($(KVER),)
KDIR ?= /lib/modules/$(KVER)/build
endif
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1))
# The release the modules are built for: their vermagic, UTS_RELEASE (on
# Debian, include/config/kernel.release says 6.1.192 for 6.1.0-57-amd64).
KDIR_RELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
KVER ?= $(KDIR_RELEASE)

DESTDIR ?=
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UDEVRULESDIR ?= /etc/udev/rules.d
MODPROBEDIR ?= /etc/modprobe.d
INSTALL_MOD_DIR ?= extra

# What install installs, for uninstall to remove exactly that.
KOS := module/rio/toaster_rio.ko module/client/toaster.ko \
	module/server/toaster_server.ko
MODDEST := $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)
UDEV_RULE := userspace/etc/udev/rules.d/60-toaster.rules
MODPROBE_EXAMPLE := userspace/etc/modprobe.d/toaster.conf
MODPROBE_CONF := $(DESTDIR)$(MODPROBEDIR)/toaster.conf

.PHONY: all modules install uninstall install-modules install-tools \
	uninstall-modules uninstall-tools check-kver check bench fuzz kcsan soak run vm \
	lint clean help version

all: modules

modules:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel build dir: set KDIR= (or run scripts/deps)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# Modules built for one kernel cannot be installed for another.
check-kver:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel build dir: set KDIR= (or run scripts/deps)"; exit 1; }
	@test "$(KDIR_RELEASE)" = "$(KVER)" || { echo "KDIR=$(KDIR) is for" \
		"kernel '$(KDIR_RELEASE)', not KVER=$(KVER)"; exit 1; }

# modules_install signs the modules when the kernel has MODULE_SIG_ALL, but
# only the kernel's builder has its key (output/signing_key.pem): without it
# (distribution headers) don't try. kbuild's own depmod is off (DEPMOD=true;
# on Debian it only says "missing 'System.map' file. Skipping depmod.").
SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' \
	$(KDIR)/include/config/auto.conf 2>/dev/null)
NOSIGN = $(if $(SIG_KEY),$(if $(wildcard $(SIG_KEY) $(KDIR)/$(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=))

install: install-modules install-tools
uninstall: uninstall-modules uninstall-tools

# CONFIG_KUNIT= : the KUnit suites are neither built nor installed, even when
# KDIR has KUnit (modules_install installs what modules.order lists).
install-modules: check-kver
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 CONFIG_KUNIT= modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_KUNIT= KERNELRELEASE=$(KVER) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		DEPMOD=true $(NOSIGN) modules_install
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
endif

# The group exists before udev is told about the rule that names it.
install-tools:
	$(MAKE) -C userspace
	install -D -m 755 userspace/out/toasterctl $(DESTDIR)$(SBINDIR)/toasterctl
	@for f in docs/man/*.[1-9]; do \
		[ -f "$$f" ] || continue; \
		d="$(DESTDIR)$(MANDIR)/man$${f##*.}"; \
		echo "install -D -m 644 $$f $$d/$${f##*/}"; \
		install -D -m 644 "$$f" "$$d/$${f##*/}" || exit 1; \
	done
	install -D -m 644 $(UDEV_RULE) $(DESTDIR)$(UDEVRULESDIR)/60-toaster.rules
	@if [ -e "$(MODPROBE_CONF)" ]; then \
		echo "keeping the existing $(MODPROBE_CONF)"; \
	else \
		echo "install -D -m 644 $(MODPROBE_EXAMPLE) $(MODPROBE_CONF)"; \
		install -D -m 644 $(MODPROBE_EXAMPLE) "$(MODPROBE_CONF)"; \
	fi
ifeq ($(DESTDIR),)
	@getent group toaster >/dev/null || { \
		echo "groupadd --system toaster"; groupadd --system toaster; }
	@if command -v udevadm >/dev/null 2>&1; then \
		echo "udevadm control --reload"; \
		udevadm control --reload || true; \
		udevadm trigger --action=change --subsystem-match=misc \
			--sysname-match='toaster[0-9]*' 2>/dev/null || true; \
	fi
endif

uninstall-modules:
	@test -n "$(KVER)" || { echo "set KVER= (or KDIR=)"; exit 1; }
	@for m in $(KOS); do \
		for f in $(MODDEST)/$$m $(MODDEST)/$$m.gz $(MODDEST)/$$m.xz \
			$(MODDEST)/$$m.zst; do \
			if [ -e "$$f" ]; then echo "rm -f $$f"; rm -f "$$f"; fi; \
		done; \
	done
	@for d in rio client server; do \
		rmdir $(MODDEST)/module/$$d 2>/dev/null || true; done; \
	rmdir $(MODDEST)/module 2>/dev/null || true
ifeq ($(DESTDIR),)
	if [ -d /lib/modules/$(KVER) ]; then depmod -a $(KVER); fi
endif

uninstall-tools:
	rm -f $(DESTDIR)$(SBINDIR)/toasterctl
	@for f in docs/man/*.[1-9]; do \
		[ -f "$$f" ] || continue; \
		g="$(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/}"; \
		if [ -e "$$g" ]; then echo "rm -f $$g"; rm -f "$$g"; fi; \
	done
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-toaster.rules
	@if cmp -s $(MODPROBE_EXAMPLE) "$(MODPROBE_CONF)"; then \
		echo "rm -f $(MODPROBE_CONF)"; rm -f "$(MODPROBE_CONF)"; \
	elif [ -e "$(MODPROBE_CONF)" ]; then \
		echo "keeping $(MODPROBE_CONF): it differs from the example"; \
	fi
ifeq ($(DESTDIR),)
	@if command -v udevadm >/dev/null 2>&1; then \
		echo "udevadm control --reload"; udevadm control --reload || true; \
	fi
	@echo "the group toaster is kept (groupdel toaster removes it)"
endif

check:
	scripts/check

bench:
	scripts/deps
	scripts/bench

soak:
	scripts/deps
	scripts/soak

fuzz:
	scripts/deps
	$(MAKE) -C userspace/fuzz fuzz

# The KCSAN flavor (a third kernel, cached like the test kernel): KUnit,
# every e2e script and the fault suite, judged like make check.
kcsan:
	scripts/deps
	scripts/check --kernels kcsan --no-lint --no-bench

run:
	scripts/deps
	scripts/twohost --kernel $(or $(KERNEL),debian) --demo

vm:
	scripts/deps
	scripts/vm --kernel $(or $(KERNEL),test)

lint:
	scripts/deps
	scripts/lint

clean:
	@if [ -n "$(KDIR)" ] && [ -f "$(KDIR)/Makefile" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

version:
	@echo $(TOASTER_VERSION)

help:
	@sed -n '3,41s/^# \{0,1\}//p' Makefile
