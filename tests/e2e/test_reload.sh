#!/usr/bin/env bash
# SIGHUP (`systemctl reload onair`): the server reads its --config file again and takes the new
# publish and watch tokens and metrics token while its streams go on; a config file that is
# wrong changes nothing, and says why; a server without one says there is nothing to read. TAP
# lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-reload.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

scripts/make-demo-media "$work" >/dev/null 2>&1
read -r http_port media_port < <(free_ports 2)
base="http://127.0.0.1:$http_port"
# settings PUBLISH_TOKEN METRICS_TOKEN: the config file with those tokens.
settings() {
    cat >"$work/onair.conf" <<CONF
listen 127.0.0.1:$http_port
media-port $media_port
public-ip 127.0.0.1
source lobby=$work/demo.webm
publish-token cam=$1
metrics-token $2
CONF
}
# status METHOD PATH [TOKEN]: the HTTP status of a request.
status() {
    local auth=()
    [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
    curl -s -o /dev/null -m 5 -X "$1" "${auth[@]}" -w '%{http_code}' "$base$2"
}
# reloaded WHAT: sends SIGHUP and waits for the log line that says WHAT happened.
hangups=0
logged_hangups() { [ "$(grep -c "SIGHUP: " "$work/serve.log")" -ge "$1" ]; }
reloaded() {
    hangups=$((hangups + 1))
    kill -HUP "$server_pid"
    wait_for 5 logged_hangups "$hangups"
    grep "SIGHUP: " "$work/serve.log" | sed -n "${hangups}p" | grep -qF "$1"
}
lobby_live() {
    curl -s "$base/api/streams/lobby" | grep -q '"live":true' &&
        curl -s "$base/api/streams/cli" | grep -q '"live":true'
}

settings old-publish-token-of-24 old-metrics-token-of-24
# A --source on the command line too: a reload parses it again, as it was given.
start_onair "$work/serve.log" --config "$work/onair.conf" --source "cli=$work/demo.webm"
# DELETE /api/streams/cam answers 404 (cam has no publisher) to a request its token lets through.
check "$([ "$(status DELETE /api/streams/cam old-publish-token-of-24)" = 404 ] &&
    [ "$(status GET /metrics old-metrics-token-of-24)" = 200 ]; echo $?)" "the config file's tokens open cam and /metrics"
pid=$server_pid

settings new-publish-token-of-24 new-metrics-token-of-24
reloaded "the tokens, --token-secret, --token-public-key and --metrics-token are the config file's now"
check $? "on SIGHUP the server reads the config file again, and says so"
check "$([ "$(status DELETE /api/streams/cam old-publish-token-of-24)" = 401 ] &&
    [ "$(status DELETE /api/streams/cam new-publish-token-of-24)" = 404 ] &&
    [ "$(status GET /metrics old-metrics-token-of-24)" = 401 ] &&
    [ "$(status GET /metrics new-metrics-token-of-24)" = 200 ]; echo $?)" \
    "the new tokens open cam and /metrics, the old ones no more"
check "$(kill -0 "$pid" && lobby_live && ! grep -q "shutting down" "$work/serve.log"; echo $?)" \
    "the server and its streams went on through the reload"

echo "pubilsh-token cam=typo-in-the-setting-of-24" >>"$work/onair.conf"
reloaded "the settings are as they were: the config file is wrong"
check "$([ $? = 0 ] && grep -q "config file $work/onair.conf, line 7: unknown setting 'pubilsh-token'" "$work/serve.log"; echo $?)" \
    "a config file with a misspelt setting: the log names its line and says nothing changed"
check "$([ "$(status DELETE /api/streams/cam new-publish-token-of-24)" = 404 ] && lobby_live; echo $?)" \
    "the tokens read before still hold, and the stream goes on"
stop_onair
check $? "the server stops cleanly"

start_onair "$work/serve-no-config.log" --listen "127.0.0.1:$http_port" --media-port "$media_port"
kill -HUP "$server_pid"
sleep 0.5
check "$(curl -sf "$base/healthz" >/dev/null && grep -q "SIGHUP: there is no --config file to read again; nothing changes" "$work/serve-no-config.log"; echo $?)" \
    "a server without --config says there is nothing to read again, and goes on"
stop_onair
grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit "$failed"
