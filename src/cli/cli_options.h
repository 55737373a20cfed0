/* cli_options: what the commands' option parsers share. */
#ifndef ONAIR_CLI_CLI_OPTIONS_H
#define ONAIR_CLI_CLI_OPTIONS_H
#include <stddef.h>

#include "app/peer_client.h"

/* --log-level ARG for COMMAND ("publish", ...): sets the level and returns 0, or says what it
 * wants on stderr and returns 2 (the usage exit code). */
int cli_log_level(const char *command, const char *arg);

/* Reads PATH, at most MAX bytes (a config file, a key), into a NUL-terminated buffer the caller
 * frees, its length in *LEN; NULL with errno set on failure (EFBIG: longer than MAX). */
char *cli_read_file(const char *path, size_t max, size_t *len);

/* The ICE options of the clients (publish, record): their getopt entries, usage lines and
 * handling. The values are past any command's own. */
enum { CLI_O_ICE_SERVER = 1000, CLI_O_ICE_USERNAME, CLI_O_ICE_CREDENTIAL, CLI_O_RELAY };
#define CLI_ICE_LONG_OPTIONS                                                                   \
    {"ice-server", required_argument, NULL, CLI_O_ICE_SERVER},                                 \
        {"ice-username", required_argument, NULL, CLI_O_ICE_USERNAME},                         \
        {"ice-credential", required_argument, NULL, CLI_O_ICE_CREDENTIAL},                     \
        {"relay", no_argument, NULL, CLI_O_RELAY}
#define CLI_ICE_USAGE                                                                          \
    "  --ice-server URL    a TURN server, turn:HOST[:PORT][?transport=udp|tcp], used when\n"   \
    "                      there is no direct path (after 3 s); without it, the first TURN\n"  \
    "                      server in the server's Link headers (with their credentials)\n"     \
    "  --ice-username U    --ice-credential P: the TURN server's long-term credentials\n"      \
    "  --relay             send everything through TURN from the start\n"

/* How the clients (publish, record, bench) talk to the server: the bearer token of a server
 * started with --publish-token or --watch-token, and the CA of one with a private certificate. */
enum { CLI_O_TOKEN = 1010, CLI_O_CACERT };
#define CLI_SERVER_LONG_OPTIONS                                                                \
    {"token", required_argument, NULL, CLI_O_TOKEN},                                           \
        {"cacert", required_argument, NULL, CLI_O_CACERT}
#define CLI_SERVER_USAGE                                                                           \
    "  --token TOKEN       the token the server asks for (Authorization: Bearer); default:\n"      \
    "                      the ONAIR_TOKEN environment variable, which ps does not show\n"         \
    "  --cacert FILE       trust the https:// server's certificate if FILE (PEM) signed it\n"
/* SERVER before the options: no CA of its own, ONAIR_TOKEN's value as the token (none when
 * unset or empty). */
void cli_server_defaults(struct whip_client_target *server);
/* Takes option OPT (ARG) into SERVER when it is one of CLI_SERVER_LONG_OPTIONS: 1 when taken,
 * else 0. */
int cli_server_option(struct whip_client_target *server, int opt, const char *arg);

/* Takes option OPT (ARG) into ICE when it is one of CLI_ICE_LONG_OPTIONS. Returns 1 when taken,
 * 0 when OPT is another option, 2 after saying on stderr what is wrong with ARG. */
int cli_ice_option(const char *command, struct peer_client_ice *ice, int opt, const char *arg);

#endif
