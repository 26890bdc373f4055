# Shared setup of the benchmark scripts (sourced, not run): the full
# synthetic regency imported into a throwaway PostGIS, and labmap servers on it.
#   regency_in_postgis   sets tmp, pg, url; builds labmap into $tmp/labmap
#   serve_labmap [flags] starts `labmap serve` on the database, sets base
#   need CMD PKG         installs a Debian package when CMD is missing

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$2"
}

pids=()
bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${pg:-}" ] && scripts/pg-cluster stop "$pg"
	rm -rf "${tmp:-}" "${pg:-}"
}

regency_in_postgis() {
	tmp=$(mktemp -d /tmp/labmap-bench.XXXXXX)
	pg=$(mktemp -d /tmp/labmap-bench-pg.XXXXXX) # its own dir: the server's user must reach it
	trap bench_cleanup EXIT
	go build -o "$tmp/labmap" ./cmd/labmap
	"$tmp/labmap" demo --households "${HOUSEHOLDS:-300000}" --out "$tmp/data" >/dev/null
	url=$(scripts/pg-cluster start "$pg")
	"$tmp/labmap" migrate --database-url "$url" >/dev/null 2>&1
	"$tmp/labmap" import --quiet --database-url "$url" --households "$tmp/data/households.csv" \
		--villages "$tmp/data/villages.geojson" --zones "$tmp/data/zones.geojson" \
		--districts "$tmp/data/districts.geojson" >/dev/null 2>&1
}

# serve_labmap starts a labmap server on the database and sets base to its
# URL. (Not in a command substitution: the background server would keep it open.)
serve_labmap() {
	local log="$tmp/serve.$RANDOM.log"
	"$tmp/labmap" serve --database-url "$url" --addr 127.0.0.1:0 "$@" >/dev/null 2>"$log" &
	pids+=($!)
	base=""
	for _ in $(seq 1 300); do
		base=$(sed -n 's/.*msg=listening addr=\(http:[^ ]*\).*/\1/p' "$log")
		[ -n "$base" ] && curl -sf "$base/healthz" >/dev/null && return 0
		sleep 0.05
	done
	cat "$log" >&2
	echo "labmap serve did not start" >&2
	exit 1
}

# free_port prints a port below the ephemeral range, where outgoing
# connections take theirs.
free_port() { echo $((20000 + RANDOM % 12000)); }
