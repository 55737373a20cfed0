#!/usr/bin/env bash
# make install: the binary says which onair it is, the systemd unit passes systemd-analyze verify
# and its ExecStart serves with the sample config, every option the sample config shows
# (commented out) is one onair takes, and neither a second install nor uninstall touches the
# admin's config. Installs under a temporary PREFIX, so the unit names a binary that exists.
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
# -o: install the binary this run of the suite built and tested, without remaking it.
install_onair() {
    make -s "$1" BUILD="$(dirname "$ONAIR")" -o "$ONAIR" PREFIX="$prefix" CONFDIR="$confdir" \
        UNITDIR="$unitdir" >"$work/make-$1.log" 2>&1
}

install_onair install
check $? "make install exits 0"
modes=$(stat -c '%a %n' "$prefix/bin/onair" "$unit" "$confdir/onair.conf" \
    "$prefix/share/doc/onair/README.md" 2>&1 | sed "s|$work/||")
want="755 usr/bin/onair
644 etc/systemd/system/onair.service
600 etc/onair/onair.conf
644 usr/share/doc/onair/README.md"
check "$([ "$modes" = "$want" ]; echo $?)" "it installs the binary, the unit, the config (root only) and the README"
[ "$modes" = "$want" ] || echo "$modes" | sed 's/^/#   /'

version=$("$prefix/bin/onair" --version)
want="onair $(sed -n 's/^VERSION := //p' Makefile) (git $(git rev-parse --short HEAD))"
check "$([ "$version" = "$want" ]; echo $?)" "onair --version says the release and the commit: $version"

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
check "$([ "$exec_start" = "$prefix/bin/onair serve --config %d/onair.conf" ] &&
    grep -qx "LoadCredential=onair.conf:$confdir/onair.conf" "$unit"; echo $?)" \
    "the unit runs the installed binary on the config, handed over as a credential"
verify=$(systemd-analyze verify "$unit" 2>&1)
status=$?
check "$([ "$status" = 0 ] && [ -z "$verify" ]; echo $?)" "systemd-analyze verify finds nothing wrong with the unit"
[ -z "$verify" ] || echo "$verify" | sed 's/^/#   /'

# What systemd would run, the credential's directory being the config's own; on loopback ports.
read -r http_port media_port < <(free_ports 2)
base="http://127.0.0.1:$http_port"
command=${exec_start//%d/$confdir}
ONAIR=${command%% *}
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
start_onair "$work/serve.log" ${command#* serve } --listen "127.0.0.1:$http_port" \
    --media-port "$media_port"
check "$(grep -qF "$version" "$work/serve.log" && curl -sf "$base/" | grep -q '<html'; echo $?)" \
    "the unit's command serves the pages with the sample config, logging its version"
stop_onair
check $? "and stops cleanly on SIGTERM, as systemctl stop sends"
ONAIR=$prefix/bin/onair

# Every option the sample config shows commented out ("# name value") is one onair takes.
sed -E 's/^# ([a-z-]+ [^ ]+)$/\1/' dist/onair.conf >"$work/every.conf"
shown=$(grep -cE '^[a-z-]+ [^ ]+$' "$work/every.conf")
out=$("$ONAIR" serve --config "$work/every.conf" --check 2>&1)
status=$?
check "$([ "$status" = 0 ] && [ "$shown" -ge 12 ]; echo $?)" "the $shown settings the sample config shows are all onair's (serve --check)"
echo "$out" | head -n 3 | sed 's/^/#   /'
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
    grep -q the-admins-own-token "$confdir/onair.conf"; echo $?)" \
    "make uninstall removes the binary, the unit and the README, and keeps the config"

grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit "$failed"
