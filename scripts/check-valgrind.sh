#!/bin/sh
# Runs every unit suite under valgrind memcheck (no fork, so errors are seen); fails on any
# memory error or definite leak outside the suppressed third-party leaks.
set -e
BUILD=${1:-build}
SUPP=$(dirname "$0")/../tests/sanitizers/valgrind.supp
status=0
for t in "$BUILD"/tests/kgrec_test_*; do
	mod=$(basename "$t" | sed 's/^kgrec_test_//')
	# integration suites start servers and child processes: sanitizers cover those
	case " cli server llm audit doors " in *" $mod "*) continue ;; esac
	echo "valgrind: $mod"
	if ! CK_FORK=no valgrind -q --child-silent-after-fork=yes --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions="$SUPP" "$t" > "$BUILD/valgrind-$mod.log" 2>&1; then
		tail -40 "$BUILD/valgrind-$mod.log"
		status=1
	fi
	tail -1 "$BUILD/valgrind-$mod.log"
done
exit $status
