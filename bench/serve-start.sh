# Sourced by bench/serve.sh and bench/serve-profile.sh: serve_start BINARY STORE THREADS DIR
# [MORE_ARGS...] starts `BINARY serve STORE` on a free loopback port with its events log,
# output and errors in DIR, waits until it listens, and sets SERVER (its pid) and URL.
serve_start() {
	local bin=$1 store=$2 threads=$3 dir=$4
	shift 4
	# the previous server's output goes first: the new one truncates it only once it runs,
	# and until then its 'listening on' line would name the old port
	rm -f "$dir/serve.out" "$dir/serve.err"
	"$bin" serve "$store" --listen 127.0.0.1:0 --threads "$threads" --events-log "$dir/events.log" \
		"$@" >"$dir/serve.out" 2>"$dir/serve.err" &
	SERVER=$!
	for _ in $(seq 1 600); do
		grep -q 'listening on' "$dir/serve.out" 2>/dev/null && break
		kill -0 $SERVER 2>/dev/null || { cat "$dir/serve.err" >&2; exit 1; }
		sleep 0.1
	done
	URL=$(grep -o 'http://[0-9.:]*' "$dir/serve.out")
}
