/* cli_options: shared option handling of onair's commands. */
#include "cli/cli_options.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "proto/ice_server_url.h"

int cli_log_level(const char *command, const char *arg)
{
    int level = log_level_parse(arg);
    if (level < 0) {
        fprintf(stderr, "onair %s: --log-level wants debug, info, warn or error, not '%s'\n",
                command, arg);
        return 2;
    }
    log_set_level((enum log_level)level);
    return 0;
}

int cli_ice_option(const char *command, struct peer_client_ice *ice, int opt, const char *arg)
{
    switch (opt) {
    case CLI_O_ICE_SERVER: {
        struct ice_server_url u;
        const char *why;
        if (ice_server_url_parse(arg, &u, &why) < 0) {
            fprintf(stderr, "onair %s: --ice-server %s: %s\n", command, arg, why);
            return 2;
        }
        if (!u.turn) {
            /* The server is ICE-lite with public candidates: it learns our address from our
             * checks, so a STUN server adds nothing. */
            log_info("--ice-server %s: STUN is not needed to reach onair; ignored", arg);
            return 1;
        }
        if (u.secure) {
            fprintf(stderr, "onair %s: --ice-server %s: turns: (TURN over TLS) is not supported; "
                            "use turn:...?transport=tcp\n", command, arg);
            return 2;
        }
        ice->turn_url = arg;
        return 1;
    }
    case CLI_O_ICE_USERNAME:
        ice->username = arg;
        return 1;
    case CLI_O_ICE_CREDENTIAL:
        ice->credential = arg;
        return 1;
    case CLI_O_RELAY:
        ice->relay_only = true;
        return 1;
    default:
        return 0;
    }
}

void cli_server_defaults(struct whip_client_target *server)
{
    const char *token = getenv("ONAIR_TOKEN");
    server->token = token && token[0] ? token : NULL;
    server->ca_file = NULL;
}

int cli_server_option(struct whip_client_target *server, int opt, const char *arg)
{
    if (opt == CLI_O_TOKEN)
        server->token = arg;
    else if (opt == CLI_O_CACERT)
        server->ca_file = arg;
    else
        return 0;
    return 1;
}

char *cli_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    bool bad = ferror(f) || n > max;
    fclose(f);
    if (!buf || bad) {
        free(buf);
        errno = bad ? EFBIG : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
