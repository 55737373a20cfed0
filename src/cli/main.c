/* onair: the command line. `onair serve` runs the relay; other subcommands come as clients. */
#include <errno.h>
#include <getopt.h>
#include <libavutil/log.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "app/config_file.h"
#include "app/ice_servers.h"
#include "app/media_url.h"
#include "app/server.h"
#include "base/byte_size.h"
#include "base/log.h"
#include "cli/cli_options.h"
#include "proto/jwks.h"
#include "proto/jwt_key.h"
#include "version.h"

static const char usage[] =
    "usage: onair COMMAND [OPTIONS]\n"
    "\n"
    "A live relay server for WebRTC: publish a stream once, watch it from any number of\n"
    "browsers at sub-second latency.\n"
    "\n"
    "commands:\n"
    "  serve     run the relay server (HTTP signaling, pages, and media on one UDP port)\n"
    "  publish   play a media file or an IP camera (rtsp://) into a stream (WHIP), without\n"
    "            re-encoding the video\n"
    "  record    record a stream (WHEP) into .mkv, .webm or .mp4, without re-encoding\n"
    "  bench     load-test a stream with many WHEP viewers in one process\n"
    "  token     make a token (JWT) for a server started with --token-secret\n"
    "\n"
    "`onair COMMAND --help` describes a command's options; `onair --version` says which onair\n"
    "this is.\n";

static const char serve_usage[] =
    "usage: onair serve [OPTIONS]\n"
    "\n"
    "Serves pages at / (/publish/NAME, /watch/NAME), WHIP at POST /whip/NAME, WHEP at\n"
    "POST /whep/NAME, the seed's POST /offer, and GET /api/streams, /api/ice-servers,\n"
    "/api/recordings, /metrics and /healthz.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT      HTTP address (default 127.0.0.1:8080; [::]:8080 for all)\n"
    "  --tls-cert FILE         serve HTTPS with this certificate (PEM, the chain after it) and\n"
    "  --tls-key FILE          its private key: browsers let a page off localhost use the\n"
    "                          camera only over HTTPS\n"
    "  --media-port PORT       UDP port for all media and STUN (default 8443; 0 picks one)\n"
    "  --media-bind ADDR       address the media port binds (default :: , i.e. all); one\n"
    "                          address is the one candidate, unless --public-ip is given\n"
    "  --media-tcp-port PORT   also ICE over TCP on this port (RFC 6544 passive candidates,\n"
    "                          RFC 4571 framing) for clients whose UDP is blocked; 0 picks one\n"
    "  --public-ip ADDR        address written into ICE candidates (repeatable; default:\n"
    "                          the addresses of the machine's interfaces), e.g. a cloud VM's\n"
    "                          public address in front of its private one (1:1 NAT)\n"
    "  --public-host NAME      a host name written into ICE candidates (repeatable); browsers\n"
    "                          resolve it\n"
    "  --announce-private      with --public-ip/--public-host, also announce the interfaces'\n"
    "                          addresses (for clients on the same private network)\n"
    "  --max-bitrate BPS       bitrate publishers are invited to reach (default 2500000)\n"
    "  --workers N             threads that send to viewers: a broadcast's viewers are split\n"
    "                          among them (default: one per CPU; 1 to 64)\n"
    "  --split-from N          a fan-out is split among the workers from N packet copies\n"
    "                          (viewers x packets; default 256): a smaller split costs more\n"
    "                          CPU than it saves time\n"
    "  --max-viewers N         viewers the server takes at once, over all streams; the next\n"
    "                          WHEP offer is refused (503, Retry-After) rather than let a\n"
    "                          saturated server fail everyone's join (default: no limit)\n"
    "  --max-load PERCENT      refuse new viewers the same way while the media loop was busier\n"
    "                          than this over the last second (1 to 100; default: no limit):\n"
    "                          past it joins answer late and the viewers it has lose packets\n"
    "  --video-codecs LIST     publisher video codec preference (default VP8,H264,VP9,AV1)\n"
    "  --audio-codecs LIST     publisher audio codec preference (default opus)\n"
    "  --source NAME=FILE      publish FILE in a loop as stream NAME (repeatable); FILE may be\n"
    "                          an IP camera's rtsp://[USER:PASS@]HOST[:PORT]/PATH (H.264 sent\n"
    "                          untouched, AAC audio as Opus), reconnected when it drops; or\n"
    "                          another server's stream, whep[s]://[:TOKEN@]HOST[:PORT]/PATH,\n"
    "                          watched over WHEP at http[s]://HOST[:PORT]/PATH and relayed\n"
    "  --rtsp-transport T      how rtsp:// sources send media: tcp (default) or udp\n"
    "  --no-source-pacing      send a --source's video a frame at a time, as the file or camera\n"
    "                          hands it, not paced as browsers send (for benchmarks against\n"
    "                          servers fed the same way)\n"
    "  --record-dir DIR        record streams into DIR as NAME-YYYYMMDDTHHMMSSZ.mkv (no\n"
    "                          re-encoding; playable while written); every stream, or only\n"
    "                          those named by --record; POST/DELETE /api/streams/NAME/recording\n"
    "                          start and stop one, GET /api/recordings lists them\n"
    "  --record NAME           record stream NAME whenever it is live (repeatable)\n"
    "  --no-chat               chat off for every stream (PUT /api/streams/NAME/chat with\n"
    "                          {\"enabled\": true} turns it on for one)\n"
    "  --max-file-size SIZE    largest file participants may send each other in a stream's\n"
    "                          room, in bytes or with K, M, G (default 100M)\n"
    "  --publish-token [NAME=]TOKEN\n"
    "                          publishing to NAME (or, without NAME=, to any stream without a\n"
    "                          token of its own) needs Authorization: Bearer TOKEN, and so\n"
    "                          do starting and stopping its recording and switching its chat\n"
    "                          (repeatable; tokens in --config stay out of ps)\n"
    "  --watch-token [NAME=]TOKEN\n"
    "                          the same for watching (WHEP, and /offer from a viewer); the\n"
    "                          pages take a token from their address: /watch/NAME#token=TOKEN;\n"
    "                          the API lists a stream with one only to a request with its token\n"
    "  --token-secret SECRET   every stream needs a token, and a JWT signed with SECRET\n"
    "                          (HS256; claims stream, role publish|watch, exp) is one for what\n"
    "                          it names: an application mints them (`onair token` does too)\n"
    "  --token-public-key FILE the same for JWTs signed with the private half of a public key\n"
    "                          in FILE, PEM or a JWK Set (an identity provider's jwks.json):\n"
    "                          RS256 (RSA), ES256 (EC P-256) or EdDSA (Ed25519); repeatable,\n"
    "                          up to 8 keys in all, for a rotation: the old key and the new\n"
    "  --token-jwks-url URL    the same for JWTs signed with a key of the JWK Set at URL (an\n"
    "                          identity provider's jwks.json), fetched at start and again\n"
    "                          every --token-jwks-refresh seconds, so rotations need no\n"
    "                          restart; a failed fetch keeps the keys\n"
    "  --token-jwks-refresh SECONDS\n"
    "                          how often --token-jwks-url's set is fetched again (default 300)\n"
    "  --metrics-token TOKEN   GET /metrics needs Authorization: Bearer TOKEN (it names\n"
    "                          every stream)\n"
    "  --webhook URL           POST a JSON event to URL when a stream goes live or ends and\n"
    "                          when a recording is finished ({\"event\", \"stream\", \"id\",\n"
    "                          \"time_ms\", ...}; tried 3 times, never holding the server)\n"
    "  --webhook-secret SECRET sign each with X-Onair-Signature: sha256=HMAC-SHA256(body)\n"
    "  --ice-server URL        STUN/TURN server for clients (repeatable, up to 8): stun:HOST:PORT,\n"
    "                          turn:HOST:PORT?transport=udp|tcp, turns:HOST:PORT; sent in WHIP/WHEP\n"
    "                          Link headers, /offer replies and GET /api/ice-servers\n"
    "  --turn-secret SECRET    coturn's static-auth-secret (use-auth-secret): TURN URLs get\n"
    "                          per-request credentials, user EXPIRY:ID, HMAC-SHA1 password\n"
    "  --turn-ttl SECONDS      lifetime of those credentials (default 86400)\n"
    "  --log-level LEVEL       debug, info, warn or error (default info)\n"
    "  --config FILE           settings from FILE, one a line: the option's name without\n"
    "                          dashes, then its value (\"source cam=/srv/cam.mp4\"); # comments;\n"
    "                          options on the command line come after, so they win\n"
    "  --check                 read the settings, say what is wrong with them, and exit (0:\n"
    "                          they would do): the TLS, key and --source files are read, no\n"
    "                          port is opened, rtsp:// and whep:// sources are not asked\n"
    "  -h, --help              this text\n";

/* Says what is wrong with the command line, then TEXT (the usage; NULL on a reload: the server's
 * log is no place for it). */
static int fail_usage(const char *text, const char *fmt, const char *arg)
{
    fprintf(stderr, "onair: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s%s", text ? "\n" : "", text ? text : "");
    return 2;
}

/* The largest config file read: settings, not data. */
#define CONFIG_FILE_MAX (1 << 20)

/* If the command line names --config FILE, puts FILE's settings in front of the command line's
 * own options in *ARGC and *ARGV (a new array in *OWNED) and returns 0; 2 after a message when the
 * file cannot be read or parsed. *PATH is the file (NULL without one). */
static int expand_config(int *argc, char ***argv, char ***owned, struct config_args *cfg,
                         const char **path)
{
    *path = NULL;
    for (int i = 1; i < *argc && !*path; i++) {
        if (strcmp((*argv)[i], "--config") == 0 && i + 1 < *argc)
            *path = (*argv)[i + 1];
        else if (strncmp((*argv)[i], "--config=", 9) == 0)
            *path = (*argv)[i] + 9;
    }
    if (!*path)
        return 0;
    size_t len = 0;
    char *text = cli_read_file(*path, CONFIG_FILE_MAX, &len);
    if (!text) {
        fprintf(stderr, "onair: cannot read the config file %s: %s\n", *path, strerror(errno));
        return 2;
    }
    char why[200];
    int rc = config_file_parse(text, len, cfg, why, sizeof why);
    free(text);
    if (rc < 0) {
        fprintf(stderr, "onair: config file %s: %s\n", *path, why);
        return 2;
    }
    *owned = malloc((size_t)(*argc + cfg->argc + 1) * sizeof **owned);
    if (!*owned)
        abort();
    (*owned)[0] = (*argv)[0];
    memcpy(*owned + 1, cfg->argv, (size_t)cfg->argc * sizeof **owned);
    memcpy(*owned + 1 + cfg->argc, *argv + 1, (size_t)(*argc - 1) * sizeof **owned);
    *argc += cfg->argc;
    (*owned)[*argc] = NULL;
    *argv = *owned;
    return 0;
}

/* The JWT public keys in the file PATH (--token-public-key): one PEM key, or a JWK Set (or one
 * JWK) in JSON. Adds them to ACCESS; false after saying why not. */
static bool read_public_keys(const char *path, struct access_rules *access)
{
    size_t len = 0;
    char *text = cli_read_file(path, CONFIG_FILE_MAX, &len);
    if (!text) {
        fprintf(stderr, "onair: --token-public-key: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t room = ACCESS_MAX_PUBLIC_KEYS - access->n_public_keys;
    struct jwt_key **slots = access->public_keys + access->n_public_keys;
    const char *why = NULL;
    struct jwks_result set = {0};
    if (room == 0)
        why = "more keys than the server holds";
    else if (!jwks_looks_like_json(text, len))
        set.n_keys = (slots[0] = jwt_key_from_pem(text, len, &why)) != NULL;
    else
        jwks_read(text, len, slots, room, &set, &why);
    free(text);
    access->n_public_keys += set.n_keys;
    if (set.n_keys == 0) {
        fprintf(stderr, "onair: --token-public-key %s: ", path);
        if (set.bad_key)
            fprintf(stderr, "key %zu: ", set.bad_key);
        fprintf(stderr, "%s", why);
        if (set.skipped)
            fprintf(stderr, " (%zu left out, the first as %s)", set.skipped, set.skip_why);
        fprintf(stderr, "\n");
        return false;
    }
    if (set.skipped)
        log_info("--token-public-key %s: %zu keys taken, %zu left out (the first as %s)", path,
                 set.n_keys, set.skipped, set.skip_why);
    return true;
}

/* A watch token makes a stream private, but while publishing to it needs no token anyone may go
 * live under its name when its publisher is not, and be watched by its viewers: said once at
 * start (and on each reload), as some want exactly that. */
static void warn_unguarded_watch_tokens(const struct access_rules *rules)
{
    for (size_t i = 0; i < rules->n[ACCESS_WATCH]; i++) {
        const struct access_token *t = &rules->tokens[ACCESS_WATCH][i];
        if (!access_watch_token_unguarded(rules, i))
            continue;
        if (t->stream)
            log_warn("--watch-token for '%.*s': publishing to it needs no token, so anyone may "
                     "go live as '%.*s' while it is not, to its viewers; add --publish-token "
                     "%.*s=TOKEN",
                     (int)t->stream_len, t->stream, (int)t->stream_len, t->stream,
                     (int)t->stream_len, t->stream);
        else
            log_warn("--watch-token for every stream: publishing needs no token, so anyone may "
                     "go live under any name, to its viewers; add --publish-token TOKEN");
    }
}

/* Parses onair serve's command line ARGV (the settings of CFG, read from CFG_PATH, in front) into
 * *OUT and *CHECK; OUT's access keys are the caller's to free (access_free_keys). Returns 0; 1
 * when it printed the help (the command is done); or 2 after saying what is wrong, followed by
 * USAGE_TEXT unless it is NULL (a reload). */
static int parse_serve(int argc, char **argv, const struct config_args *cfg, const char *cfg_path,
                       const char *usage_text, struct server_config *out, bool *check)
{
    struct server_config config = {
        .listen = "127.0.0.1:8080",
        .media_bind = "::",
        .media_port = 8443,
        .max_bitrate = 2500000,
        .video_codecs = "VP8,H264,VP9,AV1",
        .audio_codecs = "opus",
        .ice = {.turn_ttl = ICE_SERVERS_DEFAULT_TTL},
    };
    enum { O_LISTEN = 256, O_MEDIA_PORT, O_MEDIA_BIND, O_PUBLIC_IP, O_MAX_BITRATE, O_VIDEO,
           O_AUDIO, O_SOURCE, O_LOG, O_ICE_SERVER, O_TURN_SECRET, O_TURN_TTL,
           O_CONFIG, O_RECORD_DIR, O_RECORD, O_NO_CHAT, O_ANNOUNCE_PRIVATE,
           O_MEDIA_TCP_PORT, O_MAX_FILE_SIZE, O_RTSP_TRANSPORT, O_WORKERS, O_NO_PACING,
           O_MAX_VIEWERS, O_MAX_LOAD, O_SPLIT_FROM, O_PUBLISH_TOKEN, O_WATCH_TOKEN, O_TLS_CERT,
           O_TLS_KEY, O_TOKEN_SECRET, O_TOKEN_PUBLIC_KEY, O_METRICS_TOKEN, O_WEBHOOK,
           O_WEBHOOK_SECRET, O_JWKS_URL, O_JWKS_REFRESH, O_CHECK };
    static const struct option options[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"media-port", required_argument, NULL, O_MEDIA_PORT},
        {"media-bind", required_argument, NULL, O_MEDIA_BIND},
        {"media-tcp-port", required_argument, NULL, O_MEDIA_TCP_PORT},
        {"public-ip", required_argument, NULL, O_PUBLIC_IP},
        {"public-host", required_argument, NULL, O_PUBLIC_IP},
        {"announce-private", no_argument, NULL, O_ANNOUNCE_PRIVATE},
        {"max-bitrate", required_argument, NULL, O_MAX_BITRATE},
        {"workers", required_argument, NULL, O_WORKERS},
        {"split-from", required_argument, NULL, O_SPLIT_FROM},
        {"max-viewers", required_argument, NULL, O_MAX_VIEWERS},
        {"max-load", required_argument, NULL, O_MAX_LOAD},
        {"video-codecs", required_argument, NULL, O_VIDEO},
        {"audio-codecs", required_argument, NULL, O_AUDIO},
        {"source", required_argument, NULL, O_SOURCE},
        {"rtsp-transport", required_argument, NULL, O_RTSP_TRANSPORT},
        {"no-source-pacing", no_argument, NULL, O_NO_PACING},
        {"log-level", required_argument, NULL, O_LOG},
        {"ice-server", required_argument, NULL, O_ICE_SERVER},
        {"turn-secret", required_argument, NULL, O_TURN_SECRET},
        {"turn-ttl", required_argument, NULL, O_TURN_TTL},
        {"config", required_argument, NULL, O_CONFIG},
        {"record-dir", required_argument, NULL, O_RECORD_DIR},
        {"record", required_argument, NULL, O_RECORD},
        {"no-chat", no_argument, NULL, O_NO_CHAT},
        {"max-file-size", required_argument, NULL, O_MAX_FILE_SIZE},
        {"tls-cert", required_argument, NULL, O_TLS_CERT},
        {"tls-key", required_argument, NULL, O_TLS_KEY},
        {"publish-token", required_argument, NULL, O_PUBLISH_TOKEN},
        {"watch-token", required_argument, NULL, O_WATCH_TOKEN},
        {"token-secret", required_argument, NULL, O_TOKEN_SECRET},
        {"token-public-key", required_argument, NULL, O_TOKEN_PUBLIC_KEY},
        {"metrics-token", required_argument, NULL, O_METRICS_TOKEN},
        {"webhook", required_argument, NULL, O_WEBHOOK},
        {"webhook-secret", required_argument, NULL, O_WEBHOOK_SECRET},
        {"token-jwks-url", required_argument, NULL, O_JWKS_URL},
        {"token-jwks-refresh", required_argument, NULL, O_JWKS_REFRESH},
        {"check", no_argument, NULL, O_CHECK},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *key_files[ACCESS_MAX_PUBLIC_KEYS];
    size_t n_key_files = 0;
    int opt;
    char *end;
    opterr = 0;
    optind = 0; /* getopt starts afresh: a reload parses again */
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_LISTEN:
            config.listen = optarg;
            break;
        case O_MEDIA_PORT: {
            unsigned long port = strtoul(optarg, &end, 10);
            if (*end || port > 65535)
                return fail_usage(usage_text, "--media-port wants a port number, not '%s'", optarg);
            config.media_port = (uint16_t)port;
            break;
        }
        case O_MEDIA_BIND:
            config.media_bind = optarg;
            break;
        case O_MEDIA_TCP_PORT: {
            unsigned long port = strtoul(optarg, &end, 10);
            if (*end || port > 65535)
                return fail_usage(usage_text, "--media-tcp-port wants a port, not '%s'", optarg);
            config.media_tcp = true;
            config.media_tcp_port = (uint16_t)port;
            break;
        }
        case O_ANNOUNCE_PRIVATE:
            config.announce_private = true;
            break;
        case O_PUBLIC_IP: /* and --public-host: both are written as they are */
            if (config.n_public_ips == SERVER_MAX_ADDRS)
                return fail_usage(usage_text, "too many --public-ip/--public-host (at most %s)",
                                  "16");
            config.public_ips[config.n_public_ips++] = optarg;
            break;
        case O_MAX_BITRATE: {
            unsigned long bps = strtoul(optarg, &end, 10);
            if (*end || bps < 30000 || bps > 100000000)
                return fail_usage(usage_text, "--max-bitrate wants 30000..100000000, not '%s'",
                                  optarg);
            config.max_bitrate = (uint32_t)bps;
            break;
        }
        case O_WORKERS: {
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || n < 1 || n > 64)
                return fail_usage(usage_text, "--workers wants 1..64, not '%s'", optarg);
            config.workers = (unsigned)n;
            break;
        }
        case O_SPLIT_FROM: {
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || n < 1 || n > 1000000)
                return fail_usage(usage_text, "--split-from wants 1..1000000, not '%s'", optarg);
            config.split_from = (unsigned)n;
            break;
        }
        case O_MAX_VIEWERS: {
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || n < 1 || n > 1000000)
                return fail_usage(usage_text, "--max-viewers wants 1..1000000, not '%s'", optarg);
            config.max_viewers = (unsigned)n;
            break;
        }
        case O_MAX_LOAD: {
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || n < 1 || n > 100)
                return fail_usage(usage_text, "--max-load wants 1..100 (percent), not '%s'",
                                  optarg);
            config.max_load = (unsigned)n;
            break;
        }
        case O_VIDEO:
            config.video_codecs = optarg;
            break;
        case O_AUDIO:
            config.audio_codecs = optarg;
            break;
        case O_SOURCE: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1])
                return fail_usage(usage_text, "--source wants NAME=FILE, not '%s'", optarg);
            if (config.n_sources == SERVER_MAX_SOURCES)
                return fail_usage(usage_text, "too many --source (at most %s)", "16");
            struct media_url url;
            const char *url_why;
            if (media_url_parse(&url, eq + 1, &url_why) < 0) {
                char shown[512];
                media_url_redact(shown, sizeof shown, eq + 1);
                fprintf(stderr, "onair: --source %.*s=%s: %s\n", (int)(eq - optarg), optarg, shown,
                        url_why);
                return 2;
            }
            /* The name is copied, not cut out of OPTARG: a reload parses the same text again. */
            if (!stream_name_valid(optarg, (size_t)(eq - optarg)))
                return fail_usage(usage_text, "--source NAME=...: a stream name is 1 to 63 "
                                              "letters, digits, '-', '_' or '.', not in '%s'",
                                  optarg);
            snprintf(config.source_names[config.n_sources], sizeof config.source_names[0],
                     "%.*s", (int)(eq - optarg), optarg);
            config.source_paths[config.n_sources++] = eq + 1;
            break;
        }
        case O_NO_PACING:
            config.no_source_pacing = true;
            break;
        case O_RTSP_TRANSPORT:
            config.rtsp_transport = media_url_transport(optarg);
            if (!config.rtsp_transport)
                return fail_usage(usage_text, "--rtsp-transport wants udp or tcp, not '%s'",
                                  optarg);
            break;
        case O_LOG:
            if (cli_log_level("serve", optarg))
                return 2;
            break;
        case O_ICE_SERVER: {
            bool is_turn;
            const char *why;
            if (ice_servers_check_url(optarg, &is_turn, &why) < 0) {
                fprintf(stderr, "onair: --ice-server '%s': %s\n", optarg, why);
                return 2;
            }
            if (config.ice.n_urls == ICE_SERVERS_MAX)
                return fail_usage(usage_text, "too many --ice-server (at most %s)", "8");
            config.ice.urls[config.ice.n_urls++] = optarg;
            break;
        }
        case O_TURN_SECRET:
            config.ice.turn_secret = optarg;
            break;
        case O_TURN_TTL: {
            unsigned long ttl = strtoul(optarg, &end, 10);
            if (*end || ttl < 60 || ttl > 30 * 86400)
                return fail_usage(usage_text, "--turn-ttl wants 60..2592000 seconds, not '%s'",
                                  optarg);
            config.ice.turn_ttl = (uint32_t)ttl;
            break;
        }
        case O_CONFIG:
            break; /* read before the options, by expand_config */
        case O_NO_CHAT:
            config.no_chat = true;
            break;
        case O_MAX_FILE_SIZE:
            if (byte_size_parse(optarg, &config.max_file_size) < 0 || config.max_file_size == 0)
                return fail_usage(usage_text,
                                  "--max-file-size wants a size such as 104857600 or 100M, not "
                                  "'%s'", optarg);
            break;
        case O_TLS_CERT:
            config.tls.cert_file = optarg;
            break;
        case O_TLS_KEY:
            config.tls.key_file = optarg;
            break;
        case O_PUBLISH_TOKEN:
        case O_WATCH_TOKEN: {
            const char *why;
            enum access_action action = opt == O_PUBLISH_TOKEN ? ACCESS_PUBLISH : ACCESS_WATCH;
            const char *kind = action == ACCESS_PUBLISH ? "publish" : "watch";
            if (access_add(&config.access, action, optarg, &why) < 0) {
                fprintf(stderr, "onair: --%s-token: %s\n", kind, why);
                return 2;
            }
            size_t n = config.access.tokens[action][config.access.n[action] - 1].token_len;
            if (n < ACCESS_SHORT_TOKEN_LEN)
                log_warn("--%s-token: a token of %zu characters is easy to guess; use %d or more "
                         "random ones (openssl rand -base64 24)",
                         kind, n, ACCESS_SHORT_TOKEN_LEN);
            break;
        }
        case O_TOKEN_SECRET:
            if (!optarg[0])
                return fail_usage(usage_text, "%s", "--token-secret: the secret is empty");
            if (strlen(optarg) < ACCESS_SHORT_SECRET_LEN)
                log_warn("--token-secret: a secret of %zu characters is easy to guess; use %d or "
                         "more random ones (openssl rand -base64 32)",
                         strlen(optarg), ACCESS_SHORT_SECRET_LEN);
            config.access.secret = optarg;
            break;
        case O_TOKEN_PUBLIC_KEY:
            if (n_key_files == ACCESS_MAX_PUBLIC_KEYS)
                return fail_usage(usage_text, "at most 8 --token-public-key files (%s)", optarg);
            key_files[n_key_files++] = optarg;
            break;
        case O_METRICS_TOKEN: {
            const char *why;
            if (!access_token_valid(optarg, &why)) {
                fprintf(stderr, "onair: --metrics-token: %s\n", why);
                return 2;
            }
            config.metrics_token = optarg;
            break;
        }
        case O_WEBHOOK:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return fail_usage(usage_text, "--webhook '%s': an http:// or https:// URL",
                                  optarg);
            config.webhook_url = optarg;
            break;
        case O_JWKS_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return fail_usage(usage_text, "--token-jwks-url '%s': an http:// or https:// URL",
                                  optarg);
            config.jwks_url = optarg;
            config.access.fetches_keys = true;
            break;
        case O_JWKS_REFRESH: {
            char *rest;
            unsigned long seconds = strtoul(optarg, &rest, 10);
            if (*rest || seconds < 1 || seconds > 86400)
                return fail_usage(usage_text,
                                  "--token-jwks-refresh wants 1..86400 seconds, not '%s'", optarg);
            config.jwks_refresh_s = (unsigned)seconds;
            break;
        }
        case O_CHECK:
            *check = true;
            break;
        case O_WEBHOOK_SECRET:
            config.webhook_secret = optarg;
            break;
        case O_RECORD_DIR:
            config.record.dir = optarg;
            break;
        case O_RECORD:
            if (config.record.n_names == RECORDER_MAX_NAMES)
                return fail_usage(usage_text, "at most 16 --record streams (%s)", optarg);
            config.record.names[config.record.n_names++] = optarg;
            break;
        case 'h':
            fputs(serve_usage, stdout);
            return 1;
        default:
            if (optind - 2 >= 0 && optind - 2 < cfg->argc) {
                fprintf(stderr, "onair: config file %s, line %d: unknown setting '%s'\n%s%s",
                        cfg_path, cfg->lines[optind - 2], argv[optind - 1] + 2,
                        usage_text ? "\n" : "", usage_text ? usage_text : "");
                return 2;
            }
            return fail_usage(usage_text, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail_usage(usage_text, "unexpected argument '%s'", argv[optind]);
    const char *ice_why;
    if (ice_servers_check_config(&config.ice, &ice_why) < 0)
        return fail_usage(usage_text, "%s", ice_why);
    if (!config.tls.cert_file != !config.tls.key_file)
        return fail_usage(usage_text, "%s", "--tls-cert and --tls-key go together");
    if (config.jwks_refresh_s && !config.jwks_url)
        return fail_usage(usage_text, "%s", "--token-jwks-refresh goes with --token-jwks-url URL");
    if (!config.jwks_refresh_s)
        config.jwks_refresh_s = 300;
    if (config.webhook_secret && !config.webhook_url)
        return fail_usage(usage_text, "%s", "--webhook-secret goes with --webhook URL");
    if (config.record.n_names && !config.record.dir)
        return fail_usage(usage_text, "%s", "--record needs --record-dir DIR, where files go");
    /* Last: from here on nothing fails, so the keys are the caller's whatever happens. */
    for (size_t i = 0; i < n_key_files; i++)
        if (!read_public_keys(key_files[i], &config.access)) {
            access_free_keys(&config.access);
            return 2;
        }
    warn_unguarded_watch_tokens(&config.access);
    *out = config;
    return 0;
}

/* For --check: the files the server would read at start and stop on (the TLS certificate and
 * key, a --source's file); the key files are read by parse_serve already. Returns 0, or 2 after
 * saying what is wrong. */
static int check_files(const struct server_config *config)
{
    char why[300];
    if (config->tls.cert_file && !http_tls_readable(&config->tls, why, sizeof why)) {
        fprintf(stderr, "onair: %s\n", why);
        return 2;
    }
    for (size_t i = 0; i < config->n_sources; i++) {
        struct media_url url;
        const char *path = config->source_paths[i], *url_why;
        if (media_url_parse(&url, path, &url_why) == 0 && url.kind == MEDIA_URL_FILE &&
            !strstr(path, "://") && access(path, R_OK) != 0) {
            fprintf(stderr, "onair: --source %s=%s: %s\n", config->source_names[i], path,
                    strerror(errno));
            return 2;
        }
    }
    return 0;
}

/* What a reload (SIGHUP) reads again: the command line as given, and the config file's settings
 * it names. The first file's text stays for the settings that take a restart; a reload's stays
 * until the next one replaces what points into it. */
struct reloader {
    int argc;
    char **argv;
    struct config_args cfg;
    char **owned;
};

static int reload_settings(void *opaque, struct server_config *out)
{
    struct reloader *r = opaque;
    int argc = r->argc;
    char **argv = r->argv, **owned = NULL;
    struct config_args cfg = {0};
    const char *path;
    bool check = false;
    int rc = expand_config(&argc, &argv, &owned, &cfg, &path);
    if (rc == 0)
        rc = parse_serve(argc, argv, &cfg, path, NULL, out, &check);
    if (rc != 0) {
        free(owned);
        config_args_free(&cfg);
        return -1;
    }
    free(r->owned);
    config_args_free(&r->cfg);
    r->cfg = cfg;
    r->owned = owned;
    return 0;
}

static int serve(int argc, char **argv)
{
    struct reloader reloader = {.argc = argc, .argv = argv};
    struct config_args cfg = {0};
    char **owned = NULL;
    const char *cfg_path;
    struct server_config config;
    bool check = false;
    int rc = expand_config(&argc, &argv, &owned, &cfg, &cfg_path);
    if (rc == 0)
        rc = parse_serve(argc, argv, &cfg, cfg_path, serve_usage, &config, &check);
    if (rc == 0 && check) {
        rc = check_files(&config);
        if (rc == 0)
            printf("onair: the settings would do\n");
        access_free_keys(&config.access);
    }
    if (rc != 0 || check) {
        free(owned);
        config_args_free(&cfg);
        return rc == 1 ? 0 : rc;
    }
    log_info("onair %s", ONAIR_VERSION);
    uv_loop_t *loop = uv_default_loop();
    struct server srv;
    if (server_start(&srv, loop, &config) < 0) {
        server_stop(&srv);
        rc = 1;
    } else if (cfg_path) {
        server_set_reload(&srv, reload_settings, &reloader);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    server_free(&srv);
    uv_loop_close(loop);
    if (rc == 0)
        log_info("stopped");
    free(owned);
    config_args_free(&cfg);
    free(reloader.owned);
    config_args_free(&reloader.cfg);
    return rc;
}

int publish_main(int argc, char **argv);
int record_main(int argc, char **argv);
int bench_main(int argc, char **argv);
int token_main(int argc, char **argv);

int main(int argc, char **argv)
{
    /* FFmpeg prints to stderr on its own; keep only its errors, our log says the rest. */
    av_log_set_level(AV_LOG_ERROR);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("onair %s\n", ONAIR_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "publish") == 0)
        return publish_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "record") == 0)
        return record_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return bench_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "token") == 0)
        return token_main(argc - 1, argv + 1);
    fprintf(stderr, "onair: unknown command '%s'\n\n%s", argv[1], usage);
    return 2;
}
