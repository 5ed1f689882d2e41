#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test of the udev rule that `make install` installs,
# userspace/etc/udev/rules.d/60-toaster.rules (in the VM:
# /opt/toaster/etc/udev/rules.d/60-toaster.rules): /dev/toasterN get group
# "toaster" and mode 0660, so that a member of that group can use them
# without root and anybody else gets EACCES.
#
# The VM runs no udevd, so the rule file is tested directly: its match keys
# (KERNEL, SUBSYSTEM, ACTION; == and !=, shell-style patterns) and its GROUP
# and MODE assignments are parsed with awk and evaluated for what udev sees:
# the device's kernel name (/sys/class/misc/toaster1; DEVNAME in its uevent
# names the node) and its subsystem (basename of the subsystem link). The
# result is applied to /dev/toaster1 with chgrp and chmod, as udev would.
# The group and two users (one in the group, one not) are appended to the
# VM's /etc/group and /etc/passwd (the initramfs root, in RAM) and removed
# at the end. toaster_server is not loaded: open() never waits for the
# network and `toasterctl stats` (TOASTER_IOC_STATS) is answered by
# toaster.ko itself.
# Prints one KTAP document; leaves no module loaded.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

RULE=${TOASTER_UDEV_RULE:-/opt/toaster/etc/udev/rules.d/60-toaster.rules}
SYS=/sys/class/misc
MEMBER=t30member	# in group toaster
OTHER=t30other		# not in group toaster

ktap_plan 13

cleanup() {
	rmmod toaster 2>/dev/null
	rmmod toaster_rio 2>/dev/null
	[ -f /tmp/t30.group ] && cat /tmp/t30.group >/etc/group
	[ -f /tmp/t30.passwd ] && cat /tmp/t30.passwd >/etc/passwd
	rm -f /tmp/t30.*
}
trap cleanup EXIT

# rule_eval NAME SUBSYSTEM: evaluate $RULE the way udev does for an "add"
# event of the device with kernel name NAME in SUBSYSTEM. Prints
# "MATCHED GROUP MODE": the number of rules that matched, the last GROUP and
# MODE they assign ("-" for none). A rule this cannot evaluate (another match
# key, an unparsable line) is reported on stderr, and the status is 2.
rule_eval() {
	awk -v name="$1" -v subsys="$2" -v action=add '
	# A udev (fnmatch) pattern as an anchored ERE: * ? [...] [!...] and |.
	function glob2re(g,   re, i, j, n, c, cls) {
		re = ""
		n = length(g)
		for (i = 1; i <= n; i++) {
			c = substr(g, i, 1)
			if (c == "*")
				re = re ".*"
			else if (c == "?")
				re = re "."
			else if (c == "[" && (j = index(substr(g, i + 1), "]")) > 1) {
				cls = substr(g, i + 1, j - 1)
				if (substr(cls, 1, 1) == "!")
					cls = "^" substr(cls, 2)
				re = re "[" cls "]"
				i += j
			} else if (c == "|")
				re = re "$|^"
			else if (index("\\^$.[]+(){}", c))
				re = re "\\" c
			else
				re = re c
		}
		return "^" re "$"
	}
	function bad(msg) {
		printf "%s:%d: %s\n", FILENAME, FNR, msg | "cat 1>&2"
		err = 1
	}
	BEGIN { matched = 0; group = "-"; mode = "-"; err = 0; cont = "" }
	{
		line = cont $0
		cont = ""
		if (sub(/\\$/, "", line)) { cont = line; next }
		sub(/^[ \t]+/, "", line)
		if (line == "" || substr(line, 1, 1) == "#")
			next
		ok = 1; g = ""; m = ""
		while (match(line, /^[A-Z_]+[ \t]*(==|!=|[+]=|-=|:=|=)[ \t]*"[^"]*"/)) {
			pair = substr(line, 1, RLENGTH)
			line = substr(line, RLENGTH + 1)
			sub(/^[ \t]*,?[ \t]*/, "", line)
			match(pair, /(==|!=|[+]=|-=|:=|=)/)
			key = substr(pair, 1, RSTART - 1)
			op = substr(pair, RSTART, RLENGTH)
			val = substr(pair, RSTART + RLENGTH)
			sub(/[ \t]+$/, "", key)
			sub(/^[ \t]*"/, "", val)
			sub(/"$/, "", val)
			if (op == "==" || op == "!=") {
				if (key == "KERNEL") v = name
				else if (key == "SUBSYSTEM") v = subsys
				else if (key == "ACTION") v = action
				else { bad("match key " key " is not evaluated by this test"); ok = 0; continue }
				r = (v ~ glob2re(val))
				if (op == "!=") r = !r
				if (!r) ok = 0
			} else if (key == "GROUP") g = val
			else if (key == "MODE") m = val
			# other assignments (OWNER, TAG, SYMLINK, RUN...) do not
			# change the group or the mode
		}
		sub(/[ \t,]+$/, "", line)
		if (line != "") { bad("cannot parse: " line); next }
		if (!ok) next
		matched++
		if (g != "") group = g
		if (m != "") mode = m
	}
	END {
		print matched, group, mode
		exit (err ? 2 : 0)
	}' "$RULE"
}

# as_user USER CMD: run CMD (sh -c) as USER; output and status as CMD's.
as_user() { su -s /bin/sh "$1" -c "$2" 2>&1; }

# --- the rule file ----------------------------------------------------------------
if [ ! -f "$RULE" ]; then
	ktap_not_ok "rule file $RULE is present" "not found: is userspace/etc/ in the initramfs?"
	n=1
	while [ $n -lt 13 ]; do
		ktap_skip "test $((n + 1)) of 13" "no rule file"
		n=$((n + 1))
	done
	ktap_finish
fi
ktap_ok "rule file $RULE is present"
ktap_check "the rule file only uses keys this test evaluates" rule_eval toaster1 misc

# --- the device as udev sees it -----------------------------------------------------
loaded=0
ktap_check "load toaster_rio and toaster" sh -c \
	"insmod $TOASTER_MODDIR/toaster_rio.ko && insmod $TOASTER_MODDIR/toaster.ko count=2"
[ -d $SYS/toaster1 ] && loaded=1
devname=$(sed -n 's/^DEVNAME=//p' $SYS/toaster1/uevent 2>/dev/null)
subsys=$(basename "$(readlink $SYS/toaster1/subsystem 2>/dev/null)" 2>/dev/null)
if [ "$devname" = toaster1 ] && [ "$subsys" = misc ] && [ -c /dev/toaster1 ]; then
	ktap_ok "sysfs: toaster1 has DEVNAME=toaster1, subsystem misc, /dev/toaster1"
else
	ktap_not_ok "sysfs: toaster1 has DEVNAME=toaster1, subsystem misc, /dev/toaster1" \
		"DEVNAME='$devname' subsystem='$subsys'" "$(ls -l /dev/toaster1 2>&1)"
	loaded=0
fi

# --- what the rule does -----------------------------------------------------------------
want="1 toaster 0660"
out=""
for d in toaster1 toaster2; do
	got=$(rule_eval $d "$subsys" 2>&1)
	[ "$got" = "$want" ] || out="$out $d: '$got'"
done
if [ $loaded -eq 1 ] && [ -z "$out" ]; then
	ktap_ok "the rule gives toaster1 and toaster2 GROUP=toaster MODE=0660"
else
	ktap_not_ok "the rule gives toaster1 and toaster2 GROUP=toaster MODE=0660" \
		"want '$want' (matched group mode) for subsystem '$subsys', got:$out"
fi

other=
for d in "$SYS"/*; do
	[ -e "$d" ] || continue
	case ${d##*/} in toaster*) continue ;; esac
	other=$d
	break
done
if [ -n "$other" ]; then
	o=${other##*/}
	osub=$(basename "$(readlink "$other/subsystem")")
	got=$(rule_eval "$o" "$osub" 2>&1)
	case $got in
	"0 - -") ktap_ok "the rule leaves another misc device alone ($o)" ;;
	*) ktap_not_ok "the rule leaves another misc device alone ($o)" "got '$got'" ;;
	esac
else
	ktap_skip "the rule leaves another misc device alone" "no other misc device"
fi

got=$(rule_eval toaster1 tty 2>&1)
case $got in
"0 - -") ktap_ok "the rule needs SUBSYSTEM misc (no match for a tty named toaster1)" ;;
*) ktap_not_ok "the rule needs SUBSYSTEM misc (no match for a tty named toaster1)" "got '$got'" ;;
esac

# --- the group, the users, the node -------------------------------------------------------
# First free ids: a system gid below 1000, uids from 1000 up.
free_id() { # FILE START STEP
	_i=$2
	while awk -F: -v i="$_i" '$3 == i { f = 1 } END { exit !f }' "$1"; do
		_i=$((_i + $3))
	done
	echo "$_i"
}
cp /etc/group /tmp/t30.group && cp /etc/passwd /tmp/t30.passwd
gid=$(free_id /etc/group 999 -1)
uid1=$(free_id /etc/passwd 1000 1)
uid2=$((uid1 + 1))
while awk -F: -v i="$uid2" '$3 == i { f = 1 } END { exit !f }' /etc/passwd; do
	uid2=$((uid2 + 1))
done
if ! grep -q '^toaster:' /etc/group &&
	echo "toaster:x:$gid:$MEMBER" >>/etc/group &&
	echo "$MEMBER:x:$uid1:65534:toaster group member:/tmp:/bin/sh" >>/etc/passwd &&
	echo "$OTHER:x:$uid2:65534:not in group toaster:/tmp:/bin/sh" >>/etc/passwd &&
	[ "$(id -u $MEMBER 2>/dev/null)" = "$uid1" ]; then
	ktap_ok "add group toaster ($gid), users $MEMBER (in it) and $OTHER"
else
	ktap_not_ok "add group toaster ($gid), users $MEMBER (in it) and $OTHER" \
		"$(tail -n 3 /etc/group)" "$(tail -n 3 /etc/passwd)" "id: $(id $MEMBER 2>&1)"
fi

# Apply what the rule assigns, as udev does on "add".
# shellcheck disable=SC2046 # three words
set -- $(rule_eval toaster1 "$subsys" 2>/dev/null)
grp=${2:--} mode=${3:--}
if [ $loaded -eq 1 ] && [ "$grp" != - ] && [ "$mode" != - ] &&
	chgrp "$grp" /dev/toaster1 && chmod "$mode" /dev/toaster1; then
	got=$(stat -c '%G %a' /dev/toaster1)
	if [ "$got" = "toaster 660" ]; then
		ktap_ok "as udev would: /dev/toaster1 is group toaster, mode 660"
	else
		ktap_not_ok "as udev would: /dev/toaster1 is group toaster, mode 660" "stat: $got"
	fi
else
	ktap_not_ok "as udev would: /dev/toaster1 is group toaster, mode 660" \
		"GROUP='$grp' MODE='$mode' loaded=$loaded" "$(ls -l /dev/toaster1 2>&1)"
fi

# --- who can open it ------------------------------------------------------------------------
tc=$(command -v toasterctl)
if ! command -v su >/dev/null 2>&1; then
	ktap_skip "$MEMBER (group toaster) runs toasterctl stats on /dev/toaster1" "no su"
	ktap_skip "$OTHER (not in group toaster) gets EACCES" "no su"
	ktap_skip "without the rule (/dev/toaster2, 0600) $MEMBER gets EACCES" "no su"
elif [ -z "$tc" ]; then
	ktap_skip "$MEMBER (group toaster) runs toasterctl stats on /dev/toaster1" "no toasterctl"
	ktap_skip "$OTHER (not in group toaster) gets EACCES" "no toasterctl"
	ktap_skip "without the rule (/dev/toaster2, 0600) $MEMBER gets EACCES" "no toasterctl"
else
	out=$(as_user $MEMBER "id; $tc -d /dev/toaster1 stats")
	rc=$?
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^requests'; then
		ktap_ok "$MEMBER (group toaster) runs toasterctl stats on /dev/toaster1"
	else
		ktap_not_ok "$MEMBER (group toaster) runs toasterctl stats on /dev/toaster1" \
			"exit status $rc" "$out" "$(ls -l /dev/toaster1 2>&1)"
	fi
	out=$(as_user $OTHER "id; $tc -d /dev/toaster1 stats")
	rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'Permission denied'; then
		ktap_ok "$OTHER (not in group toaster) gets EACCES"
	else
		ktap_not_ok "$OTHER (not in group toaster) gets EACCES" \
			"exit status $rc, wanted failure with 'Permission denied'" "$out"
	fi
	out=$(as_user $MEMBER "$tc -d /dev/toaster2 stats")
	rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'Permission denied'; then
		ktap_ok "without the rule (/dev/toaster2, 0600) $MEMBER gets EACCES"
	else
		ktap_not_ok "without the rule (/dev/toaster2, 0600) $MEMBER gets EACCES" \
			"exit status $rc, wanted failure with 'Permission denied'" "$out" \
			"$(ls -l /dev/toaster2 2>&1)"
	fi
fi

# A client socket may pin toaster_rio a while after close (rmmod_wait).
if out=$(rmmod toaster 2>&1 && rmmod_wait toaster_rio 5 2>&1); then
	ktap_ok "unload toaster and toaster_rio"
else
	ktap_not_ok "unload toaster and toaster_rio" "$out"
fi
ktap_finish
