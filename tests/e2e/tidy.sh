#!/bin/sh
# tidy.sh WORKDIR COMMAND...: run one end-to-end test whose files go to
# WORKDIR, hold it to a disk budget, and remove WORKDIR when it passes
# (KHO_KEEP_WORK=1 keeps it). The suite runs on machines with little free
# disk: a test that leaves gigabytes fails here, naming what it left.
set -u
work=$1
shift
"$@"
rc=$?
budget=${KHO_TEST_DISK_MB:-1024}
if [ -d "$work" ]; then
	used=$(du -sm "$work" | cut -f1)
	if [ "$used" -gt "$budget" ]; then
		echo "FAIL: $work holds $used MiB on disk, over the tests' budget of $budget MiB" \
			"(keep images sparse); the largest:"
		du -am "$work" | sort -n | tail -5
		[ "$rc" -ne 0 ] || rc=1
	fi
	if [ "$rc" -eq 0 ] && [ -z "${KHO_KEEP_WORK:-}" ]; then
		rm -rf "$work"
	fi
fi
exit "$rc"
