#!/usr/bin/env bash
# make install: the binary says which onair it is, the systemd unit passes systemd-analyze verify
# and its ExecStart serves with the sample config, its user is made (systemd-sysusers) and reads
# the config, every option the sample config shows (commented out) is one onair takes, and
# neither a second install nor uninstall touches the admin's config. Installs under a temporary
# PREFIX, so the unit names a binary that exists, and makes the user in a temporary root's
# /etc/passwd, not the machine's.
# TAP lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-install.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

prefix=$work/usr
confdir=$work/etc/onair
unitdir=$work/etc/systemd/system
unit=$unitdir/onair.service
sysroot=$work/root
mkdir -p "$sysroot/etc"
# -o: install the binary this run of the suite built and tested, without remaking it.
install_onair() {
    make -s "$1" BUILD="$(dirname "$ONAIR")" -o "$ONAIR" PREFIX="$prefix" CONFDIR="$confdir" \
        UNITDIR="$unitdir" SYSUSERSDIR="$work/etc/sysusers.d" SYSUSERS_ROOT="$sysroot" \
        >"$work/make-$1.log" 2>&1
}

install_onair install
check $? "make install exits 0"
gid=$(awk -F: '$1 == "onair" { print $3 }' "$sysroot/etc/group")
modes=$(stat -c '%a %u:%g %n' "$prefix/bin/onair" "$unit" "$confdir/onair.conf" \
    "$work/etc/sysusers.d/onair.conf" "$prefix/share/doc/onair/README.md" 2>&1 | sed "s|$work/||")
want="755 0:0 usr/bin/onair
644 0:0 etc/systemd/system/onair.service
640 0:$gid etc/onair/onair.conf
644 0:0 etc/sysusers.d/onair.conf
644 0:0 usr/share/doc/onair/README.md"
check "$([ -n "$gid" ] && [ "$modes" = "$want" ]; echo $?)" \
    "it installs the binary, the unit, its user's entry, the README and the config (root and the group onair alone)"
[ "$modes" = "$want" ] || echo "$modes" | sed 's/^/#   /'

version=$("$prefix/bin/onair" --version)
want="onair $(sed -n 's/^VERSION := //p' Makefile) (git $(git rev-parse --short HEAD))"
check "$([ "$version" = "$want" ]; echo $?)" "onair --version says the release and the commit: $version"

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
check "$([ "$exec_start" = "$prefix/bin/onair serve --config $confdir/onair.conf" ] &&
    grep -qx "User=onair" "$unit" && grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" &&
    grep -q "^onair:x:[0-9]*:$gid:onair WebRTC relay:/var/lib/onair:" "$sysroot/etc/passwd"; echo $?)" \
    "the unit runs the installed binary on the config as the user onair, made by systemd-sysusers; reload is SIGHUP"
verify=$(systemd-analyze verify "$unit" 2>&1)
status=$?
check "$([ "$status" = 0 ] && [ -z "$verify" ]; echo $?)" "systemd-analyze verify finds nothing wrong with the unit"
[ -z "$verify" ] || echo "$verify" | sed 's/^/#   /'

# What systemd would run, as the user onair (its ids; the machine has no such user); on loopback
# ports.
read -r http_port media_port < <(free_ports 2)
base="http://127.0.0.1:$http_port"
uid=$(awk -F: '$1 == "onair" { print $3 }' "$sysroot/etc/passwd")
chmod 755 "$work"
ONAIR=$work/as-onair
printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %s "$@"\n' "$uid" "$gid" \
    "${exec_start%% *}" >"$ONAIR"
chmod 755 "$ONAIR"
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
start_onair "$work/serve.log" ${exec_start#* serve } --listen "127.0.0.1:$http_port" \
    --media-port "$media_port"
check "$(grep -qF "$version" "$work/serve.log" && curl -sf "$base/" | grep -q '<html' &&
    [ "$(stat -c %u "/proc/$server_pid")" = "$uid" ]; echo $?)" \
    "the unit's command, run as the user onair, reads the config and serves the pages, logging its version"
stop_onair
check $? "and stops cleanly on SIGTERM, as systemctl stop sends"
ONAIR=$prefix/bin/onair

# Every option the sample config shows commented out ("# name value") is one onair takes. --check
# reads the files it names: they are made in $work (a PEM-looking pair, a file to play).
sed -E -e 's/^# ([a-z-]+ [^ ]+)$/\1/' -e "s#/etc/onair/|/srv/media/#$work/#" dist/onair.conf \
    >"$work/every.conf"
printf -- '-----BEGIN CERTIFICATE-----\n' >"$work/cert.pem"
printf -- '-----BEGIN PRIVATE KEY-----\n' >"$work/key.pem"
: >"$work/lobby.mp4"
shown=$(grep -cE '^[a-z-]+ [^ ]+$' "$work/every.conf")
out=$("$ONAIR" serve --config "$work/every.conf" --check 2>&1)
status=$?
check "$([ "$status" = 0 ] && [ "$shown" -ge 12 ]; echo $?)" "the $shown settings the sample config shows are all onair's (serve --check)"
echo "$out" | head -n 3 | sed 's/^/#   /'
rm "$work/lobby.mp4"
out=$("$ONAIR" serve --config "$work/every.conf" --check 2>&1)
status=$?
check "$([ "$status" = 2 ] && echo "$out" | grep -qF "onair: --source lobby=$work/lobby.mp4: No such file or directory"; echo $?)" \
    "serve --check finds a --source file that is not there, and exits 2" || echo "$out" | sed "s/^/#   /"
: >"$work/lobby.mp4"
rm "$work/key.pem"
out=$("$ONAIR" serve --config "$work/every.conf" --check 2>&1)
status=$?
check "$([ "$status" = 2 ] && echo "$out" | grep -qF "onair: cannot read the key $work/key.pem"; echo $?)" \
    "and a TLS key that is not there" || echo "$out" | sed "s/^/#   /"
printf -- '-----BEGIN PRIVATE KEY-----\n' >"$work/key.pem"
echo "recrod-dir /var/lib/onair" >>"$work/every.conf"
out=$("$ONAIR" serve --config "$work/every.conf" --check 2>&1)
status=$?
check "$([ "$status" = 2 ] && echo "$out" | head -n 1 | grep -q "line $(wc -l <"$work/every.conf"): unknown setting 'recrod-dir'"; echo $?)" \
    "serve --check names a misspelt setting's line, and exits 2"

# The admin's config outlives installs and uninstall.
echo "publish-token the-admins-own-token-of-24" >>"$confdir/onair.conf"
install_onair install
check "$(grep -q the-admins-own-token "$confdir/onair.conf"; echo $?)" "a second make install leaves the config as the admin changed it"
install_onair uninstall
check "$([ ! -e "$prefix/bin/onair" ] && [ ! -e "$unit" ] && [ ! -e "$prefix/share/doc/onair" ] &&
    [ ! -e "$work/etc/sysusers.d/onair.conf" ] && grep -q the-admins-own-token "$confdir/onair.conf"; echo $?)" \
    "make uninstall removes the binary, the unit, the user's entry and the README, and keeps the config"

grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit "$failed"
