#!/bin/bash
# Builds the jublk RPM on Debian 12 with Debian's rpm package: bash packaging/build-rpm.sh
# Output: target/rpm/RPMS/x86_64/jublk-VERSION-1.x86_64.rpm (path printed on the last line).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rpmbuild >/dev/null || { apt-get update -q >/dev/null; apt-get install -y -q rpm >/dev/null; }
[ -f target/jublk.jar ] || mvn -B -q package -DskipTests
version=$(unzip -p target/jublk.jar META-INF/MANIFEST.MF | sed -n 's/^Implementation-Version: *//p' | tr -d '\r')
jna=$(ls target/lib/jna-*.jar | sed 's/.*jna-\(.*\)\.jar/\1/')
picocli=$(ls target/lib/picocli-*.jar | sed 's/.*picocli-\(.*\)\.jar/\1/')
top=$PWD/target/rpm
rm -rf "$top"; mkdir -p "$top"/{SOURCES/lib,SPECS,BUILD,RPMS,SRPMS}
src=$top/SOURCES
cp target/jublk.jar "$src/"
cp "target/lib/jna-$jna.jar" "$src/lib/jna.jar"
cp "target/lib/picocli-$picocli.jar" "$src/lib/picocli.jar"
cp target/native/libjublk.so target/native/libjnidispatch.so "$src/"
cp packaging/ublk packaging/jublk@.service packaging/modules-load.conf packaging/example.conf "$src/"
java -cp target/jublk.jar io.jublk.cli.Main generate-docs --dir "$src"
rpmbuild -bb --quiet --target x86_64 --define "_topdir $top" --define "jublk_version $version" \
    --define "jna_version $jna" --define "picocli_version $picocli" \
    --define "_unitdir /usr/lib/systemd/system" --define "_libdir /usr/lib64" \
    --nodeps packaging/jublk.spec 2>&1 | grep -v '^warning: Could not canonicalize hostname' || true
rpm=$(ls "$top"/RPMS/x86_64/jublk-"$version"-1*.x86_64.rpm)
echo "$rpm"
