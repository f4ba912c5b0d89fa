# Shared by the shell tests; sourced with the test's own arguments:
#   . "$(dirname "$0")/../common/lib.sh"
# Sets KGREC (the CLI, $1) and T (a temporary directory, removed on exit unless KGR_KEEP_TMP
# is set); check NAME STATUS counts a check (status 0 = passed; when NAME holds a $(...), keep
# the status first, r=$?, as the substitution resets $?) and returns whether it passed; on_exit CMD runs CMD at exit
# (e.g. to stop a server the test started); finish [NAME] prints the counts and fails when a
# check failed.
set -u
KGREC=$1
T=$(mktemp -d)
[ -n "${KGR_KEEP_TMP:-}" ] && echo "tmp: $T"
fails=0
pass=0
kgr_exit_cmds=

check() { # name, status (0 = passed); returns 0 when it passed, 1 when not
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); return 0; fi
	echo "FAIL: $1" >&2
	fails=$((fails + 1))
	return 1
}

on_exit() { # command
	kgr_exit_cmds="$kgr_exit_cmds$1;"
}

kgr_exit() {
	eval "$kgr_exit_cmds"
	[ -n "${KGR_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap kgr_exit EXIT

finish() { # [name]
	echo "${1:+$1: }$pass passed, $fails failed"
	[ "$fails" -eq 0 ]
}
