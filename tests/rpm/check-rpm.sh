#!/bin/bash
# Checks a built jublk RPM: file list, requires, provides, scriptlets, and that the
# launcher in the payload runs. Usage: check-rpm.sh RPM. Prints one line per check and
# "RPM: N passed, N failed"; writes the counts to target/rpm/check-counts.
set -u
rpm_file=$(readlink -f "$1")
passed=0; failed=0
check() {  # check NAME COMMAND...
    local name=$1; shift
    if out=$("$@" 2>&1); then passed=$((passed + 1)); echo "PASS rpm: $name"
    else failed=$((failed + 1)); echo "FAIL rpm: $name"; printf '%s\n' "$out" | sed 's/^/    | /' | tail -n 15; fi
}
files=$(rpm -qlp "$rpm_file" 2>/dev/null)
requires=$(rpm -qp --requires "$rpm_file" 2>/dev/null)
provides=$(rpm -qp --provides "$rpm_file" 2>/dev/null)
scripts=$(rpm -qp --scripts "$rpm_file" 2>/dev/null)
has_file() { printf '%s\n' "$files" | grep -qx "$1" || { echo "missing $1"; return 1; }; }
check "file list" bash -c "$(declare -f has_file); files='$files'; for f in /usr/bin/ublk /usr/share/jublk/jublk.jar \
  /usr/lib64/jublk/libjublk.so /usr/lib64/jublk/libjnidispatch.so /usr/lib/systemd/system/jublk@.service \
  /usr/lib/modules-load.d/jublk.conf /etc/jublk/example.conf /usr/share/man/man1/ublk.1 \
  /usr/share/bash-completion/completions/ublk; do has_file \$f || exit 1; done; \
  ls=\$(printf '%s\n' \"\$files\" | grep -c 'jublk/lib/.*\.jar'); [ \$ls -eq 2 ] || { echo \"\$ls jars in lib\"; exit 1; }"
check "requires a headless Java >= 17" grep -qx 'java-headless >= 1:17' <<< "$requires"
check "no liburing or JNA system dependency" bash -c "! grep -Eq 'liburing|libjnidispatch|libjublk' <<< '$requires'"
check "private libraries are not provided" bash -c "! grep -Eq 'libjublk|libjnidispatch' <<< '$provides'"
check "conflicts with ublksrv (same command name)" bash -c "rpm -qp --conflicts '$rpm_file' | grep -qx ublksrv"
check "post scriptlet loads ublk_drv" grep -q 'modprobe ublk_drv' <<< "$scripts"
check "preun disables instances only on erase" grep -q 'if \[ "\$1" = 0 \]' <<< "$scripts"
tmp=$(mktemp -d)
( cd "$tmp" && rpm2cpio "$rpm_file" | cpio -idm --quiet )
check "launcher in the payload runs ublk --version" bash -c "JUBLK_HOME=$tmp/usr/share/jublk JUBLK_LIBDIR=$tmp/usr/lib64/jublk \
  $tmp/usr/bin/ublk --version | grep -q '^jublk '"
check "payload launcher loads the private shim (ublk features reaches the kernel check)" bash -c \
  "JUBLK_HOME=$tmp/usr/share/jublk JUBLK_LIBDIR=$tmp/usr/lib64/jublk $tmp/usr/bin/ublk features 2>&1 | grep -Eq 'ublk-control|driver features'"
check "man page and completion are generated from the CLI" bash -c "grep -q 'max\\\\-memory' $tmp/usr/share/man/man1/ublk.1 \
  && grep -q 'flush' $tmp/usr/share/bash-completion/completions/ublk"
rm -rf "$tmp"
mkdir -p target/rpm
echo "$passed $failed" > target/rpm/check-counts
echo "RPM: $passed passed, $failed failed"
[ $failed -eq 0 ]
