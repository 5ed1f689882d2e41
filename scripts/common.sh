# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the test harness, sourced (not executed) by scripts/vm,
# scripts/check, scripts/lint and scripts/build-modules. Bash only.
#
# Two kernels are known by a "flavor" name:
#   test    the 6.12 debug kernel (KASAN, lockdep, kmemleak, KUnit) built and
#           cached by scripts/kernel; TOASTER_TEST_KDIR overrides its location
#   debian  Debian's stock kernel, /boot/vmlinuz-<release>, with modules built
#           against /usr/src/linux-headers-<release>
# Each also has a short "label" (k612, k61: "k" + major + minor) used for the
# build directory build/<label>/ and in result names such as build:k612.

# shellcheck disable=SC2034  # variables are used by the sourcing scripts

TOASTER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOASTER_BUILD=${TOASTER_BUILD:-$TOASTER_ROOT/build}

# The newest Debian kernel release that has an image, headers and modules.
toaster_debian_release() {
	local img rel best=
	for img in /boot/vmlinuz-*-amd64; do
		[ -e "$img" ] || continue
		rel=${img#/boot/vmlinuz-}
		if [ ! -d "/usr/src/linux-headers-$rel" ] || [ ! -d "/lib/modules/$rel" ]; then
			continue
		fi
		best=$(printf '%s\n%s\n' "$best" "$rel" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || { echo "no Debian kernel with headers found (run scripts/deps)" >&2; return 1; }
	echo "$best"
}

# toaster_kernel_select FLAVOR
# Sets KFLAVOR, KDIR (kbuild dir for M= builds), KIMAGE (bzImage to boot),
# KREL (uname -r inside the VM), KLABEL (k612, k612kcsan, k61), KMODTREE (directory of
# the kernel's own loadable modules to take veth & co. from, or empty).
# For the test kernel this runs scripts/kernel, which builds it when the cache
# is cold (15-20 minutes).
toaster_kernel_select() {
	KFLAVOR=$1
	case $KFLAVOR in
	test)
		if [ -n "${TOASTER_TEST_KDIR:-}" ]; then
			KDIR=$TOASTER_TEST_KDIR
		else
			KDIR=$("$TOASTER_ROOT/scripts/kernel" | tail -n1) || return 1
		fi
		KIMAGE=$KDIR/arch/x86/boot/bzImage
		KREL=$(cat "$KDIR/include/config/kernel.release")
		KMODTREE=
		;;
	kcsan)
		KDIR=$("$TOASTER_ROOT/scripts/kernel" --flavor kcsan | tail -n1) || return 1
		KIMAGE=$KDIR/arch/x86/boot/bzImage
		KREL=$(cat "$KDIR/include/config/kernel.release")
		KMODTREE=
		;;
	debian)
		KREL=$(toaster_debian_release) || return 1
		KDIR=/usr/src/linux-headers-$KREL
		KIMAGE=/boot/vmlinuz-$KREL
		KMODTREE=/lib/modules/$KREL
		;;
	*)
		echo "unknown kernel flavor '$KFLAVOR' (want: test, kcsan or debian)" >&2
		return 1
		;;
	esac
	[ -f "$KIMAGE" ] || { echo "kernel image $KIMAGE missing" >&2; return 1; }
	KLABEL=k$(echo "$KREL" | sed -E 's/^([0-9]+)\.([0-9]+).*/\1\2/')
	[ "$KFLAVOR" = kcsan ] && KLABEL=${KLABEL}kcsan
	return 0
}

# Directory in which the modules for the selected kernel are built.
toaster_moddir() { echo "$TOASTER_BUILD/$KLABEL"; }

# Sets TOASTER_JOBS to make's arguments for one job per CPU (-jN), or to
# nothing when a parent make passed its own -j or jobserver: a second -j
# would make the child warn, and a build with a warning fails.
toaster_make_jobs() {
	TOASTER_JOBS=()
	case " ${MAKEFLAGS:-} " in
	*" -j"* | *jobserver*) ;;
	*) TOASTER_JOBS=(-j"$(nproc)") ;;
	esac
}
