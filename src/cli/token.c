/* token: `onair token`, a JWT for a server started with --token-secret or --token-public-key,
 * made as an application's backend makes them with any JWT library; for operators and scripts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/access.h"
#include "cli/cli_options.h"
#include "proto/jwt.h"
#include "proto/jwt_key.h"

int token_main(int argc, char **argv);

/* Ten years: a token is a grant to whoever holds it, so it must end. */
#define TOKEN_MAX_TTL (10 * 365 * 86400L)
/* A PEM private key is a few kilobytes at most (RSA 8192: ~6.4 KiB). */
#define TOKEN_KEY_FILE_MAX (64 * 1024)

static const char token_usage[] =
    "usage: onair token --stream NAME --role publish|watch [OPTIONS]\n"
    "\n"
    "Prints a token that a server started with --token-secret SECRET takes for publishing to\n"
    "or watching NAME until it expires: a JWT signed with HMAC-SHA256, header\n"
    "{\"alg\":\"HS256\"} and claims {\"stream\": NAME, \"role\": ROLE, \"exp\": SECONDS}, as any\n"
    "JWT library makes it. Give it as a bearer token: onair publish --token, /watch/NAME#token=.\n"
    "With --key, it is signed with that private key for a server started with\n"
    "--token-public-key (its public half), by the key's algorithm: RS256, ES256 or EdDSA.\n"
    "\n"
    "options:\n"
    "  --stream NAME       the stream, or '*' for every stream\n"
    "  --role ROLE         publish or watch\n"
    "  --ttl SECONDS       how long it lasts (default 86400, a day; at most ten years)\n"
    "  --secret SECRET     the server's --token-secret (default: $ONAIR_TOKEN_SECRET, which,\n"
    "                      unlike an option, ps does not show)\n"
    "  --key FILE          sign with the PEM private key in FILE instead\n"
    "  -h, --help          this text\n";

static int token_fail(const char *why, const char *arg)
{
    fprintf(stderr, "onair token: ");
    fprintf(stderr, why, arg);
    fprintf(stderr, "\n\n%s", token_usage);
    return 2;
}

int token_main(int argc, char **argv)
{
    enum { O_STREAM = 256, O_ROLE, O_TTL, O_SECRET, O_KEY };
    static const struct option options[] = {
        {"stream", required_argument, NULL, O_STREAM},
        {"role", required_argument, NULL, O_ROLE},
        {"ttl", required_argument, NULL, O_TTL},
        {"secret", required_argument, NULL, O_SECRET},
        {"key", required_argument, NULL, O_KEY},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *stream = NULL, *role = NULL, *secret = getenv("ONAIR_TOKEN_SECRET");
    const char *key_file = NULL;
    long ttl = 86400;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        char *end;
        switch (opt) {
        case O_STREAM:
            stream = optarg;
            break;
        case O_ROLE:
            role = optarg;
            break;
        case O_TTL:
            ttl = strtol(optarg, &end, 10);
            if (*end || end == optarg || ttl < 1 || ttl > TOKEN_MAX_TTL)
                return token_fail("--ttl '%s': seconds, from 1 to ten years", optarg);
            break;
        case O_SECRET:
            secret = optarg;
            break;
        case O_KEY:
            key_file = optarg;
            break;
        case 'h':
            fputs(token_usage, stdout);
            return 0;
        default:
            return token_fail("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return token_fail("unexpected argument '%s'", argv[optind]);
    if (!stream || (strcmp(stream, "*") != 0 && !stream_name_valid(stream, strlen(stream))))
        return token_fail("%s", "--stream NAME: 1 to 63 letters, digits, '-', '_' or '.', or '*'");
    if (!role || (strcmp(role, "publish") != 0 && strcmp(role, "watch") != 0))
        return token_fail("%s", "--role publish or --role watch");
    if (!key_file && (!secret || !secret[0]))
        return token_fail("%s", "no secret: --secret SECRET or ONAIR_TOKEN_SECRET (or --key FILE)");
    int64_t expires = (int64_t)time(NULL) + ttl;
    char token[JWT_MAX_LEN];
    if (!key_file) {
        if (jwt_sign(token, sizeof token, secret, stream, role, expires) < 0) {
            fprintf(stderr, "onair token: HMAC-SHA256 is not available\n");
            return 1;
        }
        puts(token);
        return 0;
    }
    size_t len;
    char *pem = cli_read_file(key_file, TOKEN_KEY_FILE_MAX, &len);
    if (!pem) {
        fprintf(stderr, "onair token: --key: cannot read %s: %s\n", key_file, strerror(errno));
        return 2;
    }
    const char *why;
    struct jwt_key *key = jwt_key_from_private_pem(pem, len, &why);
    free(pem);
    if (!key) {
        fprintf(stderr, "onair token: --key %s: %s\n", key_file, why);
        return 2;
    }
    int n = jwt_sign_with_key(token, sizeof token, key, stream, role, expires);
    jwt_key_free(key);
    if (n < 0) {
        fprintf(stderr, "onair token: --key %s: OpenSSL could not sign with it\n", key_file);
        return 1;
    }
    puts(token);
    return 0;
}
