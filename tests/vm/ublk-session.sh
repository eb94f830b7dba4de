#!/bin/bash
# The VM suite's 'ublk': runs the command line in the suite's CLI session (one JVM for all
# calls, tests/java/io/jublk/harness/CliSession.java) instead of starting a JVM per call — the
# same Main.run, output and exit code. Calls one JVM cannot make for the caller go to the real
# launcher: another user, another cgroup, an environment the launcher or the server reads
# (JUBLK_TEST_FAULT, NOTIFY_SOCKET, JAVA_HOME, ...), --foreground (serves in the calling process)
# or an @file argument (picocli would expand it against the session's folder).
#
#   JUBLK_CLI_SESSION   folder of a running session (requests FIFO, ready = its pid)
#   JUBLK_REAL_UBLK     the launcher (default: packaging/ublk beside this checkout)
# Exits 125 with a message when the session died before answering.
real=${JUBLK_REAL_UBLK:-$(dirname "$(readlink -f "$0")")/../../packaging/ublk}
session=${JUBLK_CLI_SESSION:-}
direct() { exec "$real" "$@"; }

[ -n "$session" ] && [ -p "$session/requests" ] && [ -s "$session/ready" ] || direct "$@"
read -r spid < "$session/ready"
kill -0 "$spid" 2>/dev/null || direct "$@"
[ "$(id -u)" = "$(stat -c %u "$session/ready")" ] || direct "$@"
[ "$(< /proc/self/cgroup)" = "$(< "$session/cgroup")" ] || direct "$@"
declare -A senv=()   # the session's environment (NUL-separated NAME=VALUE)
while IFS= read -r -d '' kv; do senv[${kv%%=*}]=${kv#*=}; done < "$session/env"
for v in JUBLK_TEST_FAULT NOTIFY_SOCKET JUBLK_JAVA_OPTS JUBLK_ROLE JUBLK_HOME JUBLK_LIBDIR JAVA JAVA_HOME \
         INVOCATION_ID; do
    if [ -n "${!v+set}" ]; then [ -n "${senv[$v]+set}" ] && [ "${senv[$v]}" = "${!v}" ] || direct "$@"
    else [ -z "${senv[$v]+set}" ] || direct "$@"; fi
done
for a in "$@"; do [ "$a" != --foreground ] && [ "${a:0:1}" != @ ] || direct "$@"; done

req=$(mktemp -d "$session/call.XXXXXX") || exit 125
trap 'rm -rf "$req"' EXIT
if [ $# -eq 0 ]; then : > "$req/argv"; else printf '%s\0' "$@" > "$req/argv"; fi
mkfifo "$req/done"
exec {done}<> "$req/done"        # held open: the session's answer never blocks, nor does our read
exec {requests}<> "$session/requests"   # read-write: never blocks, even if the session just died
echo "$req" >&"$requests"
# Waits in 1 s steps (to notice a dead session). A read that times out keeps what it read of the
# line so far (bash reads a FIFO byte by byte; the timer can fire between "0" and its newline),
# so the parts are joined: reading afresh would see only the newline.
rc="" part=""
while :; do
    read -r -t 1 -u "$done" part; st=$?
    rc+=$part
    [ $st -eq 0 ] && break
    if [ $st -le 128 ] || ! kill -0 "$spid" 2>/dev/null; then
        cat "$req/out" 2>/dev/null; cat "$req/err" >&2 2>/dev/null
        echo "ublk-session: the CLI session (pid $spid) ended before answering: $*" >&2
        exit 125
    fi
done
[[ "$rc" =~ ^[0-9]+$ ]] || { echo "ublk-session: a garbled answer '$rc' from the CLI session: $*" >&2; exit 125; }
cat "$req/out"
cat "$req/err" >&2
exit "$rc"
