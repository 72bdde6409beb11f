# Sourced by the queue benchmarks: a throwaway PostgreSQL cluster (initdb in a temporary folder,
# 127.0.0.1, a free port, fsync on as a real server has it), stopped and removed on exit. Sets
# $database to a postgres:// URL of a fresh database named by the first argument.
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "PostgreSQL is not installed: run Scripts/bootstrap" >&2; exit 1; }
as_server=()
[[ "$(id -u)" -eq 0 ]] && as_server=(runuser -u postgres --)
cluster=$(mktemp -d /tmp/loom-bench-queue-XXXXXX)
[[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$cluster"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_cluster() { (cd / && "${as_server[@]}" "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1) || true; rm -rf "$cluster"; }
trap stop_cluster EXIT
(cd / && "${as_server[@]}" "$bin/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null)
printf "\nlisten_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = ''\n" "$port" >> "$cluster/data/postgresql.conf"
(cd / && "${as_server[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w start >/dev/null)
"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "${1:-bench}"
database="postgres://postgres@127.0.0.1:$port/${1:-bench}"
