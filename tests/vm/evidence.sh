# Sourced by the guest scripts: keeps what a failed or crashed server left in /run/jublk
# (server logs, a kept add log, JVM crash reports) by copying it to the results share,
# which outlives the guest. Usage: save_server_evidence DEST_DIR
save_server_evidence() {
    mkdir -p "$1"
    # Regular files only: the control sockets cannot be created on the 9p share (QEMU
    # refuses, and logs "broken or compromised client").
    find /run/jublk -maxdepth 1 -type f -exec cp {} "$1/" \; 2>/dev/null || true
    local f
    for f in /run/jublk/hs_err_pid*.log; do
        [ -f "$f" ] || continue
        echo "  JVM crash report $f (copied to $1):"
        grep -E '^# (SIG|Problematic frame|[A-Z].*Error)|^# [CJVj] +\[' "$f" | head -n 8 | sed 's/^/    /'
        rm -f "$f"  # reported once
    done
}
