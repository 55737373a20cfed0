/* access: who may publish to a stream and who may watch it, by bearer tokens (RFC 6750) in the
 * Authorization header, as WHIP (RFC 9725 §4.5) and WHEP clients send them (OBS's "Bearer
 * Token", `onair publish --token`, the pages' #token=). A stream's tokens are those given for
 * its name, else those given for every stream; with neither, it is open. With a secret or a
 * public key, every stream needs a token, and a JWT signed with the secret, or the key's private
 * half, is one too. Pure: no I/O, no clock. */
#ifndef ONAIR_APP_ACCESS_H
#define ONAIR_APP_ACCESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/jwt.h"

enum access_action { ACCESS_PUBLISH, ACCESS_WATCH, ACCESS_ACTIONS };

#define ACCESS_MAX_TOKENS 64
#define ACCESS_MAX_TOKEN_LEN 256
/* Shorter tokens are taken with a warning: easy to guess, or a typo ("cam=" is the token
 * "cam=" for every stream, token68 allowing '=' at its end). */
#define ACCESS_SHORT_TOKEN_LEN 16
/* The same for --token-secret: HS256 wants a key of 256 bits or more (RFC 7518 §3.2). */
#define ACCESS_SHORT_SECRET_LEN 32
#define ACCESS_MAX_PUBLIC_KEYS 8

struct access_token {
    const char *stream; /* NULL: every stream without tokens of its own */
    size_t stream_len;
    const char *token; /* points into the spec given to access_add */
    size_t token_len;
    /* SHA-256 of the token: requests' tokens are compared with it, so that neither how much of
     * a guess was right nor whether its length was shows in the time taken. */
    uint8_t digest[32];
};

struct access_rules {
    struct access_token tokens[ACCESS_ACTIONS][ACCESS_MAX_TOKENS];
    size_t n[ACCESS_ACTIONS];
    /* --token-secret: every stream needs a token, and a JWT signed with it (proto/jwt.h) is
     * one for the stream and action it names; NULL: none. */
    const char *secret;
    /* --token-public-key, repeatable: the same for a JWT signed with the private half of one of
     * them (proto/jwt_key.h): a rotation has the old key and the new. Freed by
     * access_free_keys, by whoever holds the rules last (app/server.h). */
    struct jwt_key *public_keys[ACCESS_MAX_PUBLIC_KEYS];
    size_t n_public_keys;
    /* --token-jwks-url: the same for the keys of the JWK Set fetched from there
     * (app/jwks_fetch.h), replaced by each fetch and freed as the others; FETCHES_KEYS closes
     * every stream from the start, before the first set arrives. */
    bool fetches_keys;
    struct jwt_key *fetched_keys[ACCESS_MAX_PUBLIC_KEYS];
    size_t n_fetched_keys;
};

/* Whether NAME[0..LEN) may name a stream: names appear in URLs, logs and file names, so they
 * are 1 to 63 letters, digits, '-', '_' or '.', and do not start with '.'. */
bool stream_name_valid(const char *name, size_t len);

/* Whether TOKEN can be a bearer token (RFC 6750's token68: letters, digits and -._~+/ then
 * any '=') of at most ACCESS_MAX_TOKEN_LEN characters; if not, *WHY says so. */
bool access_token_valid(const char *token, const char **why);

/* Adds SPEC, "TOKEN" (every stream) or "NAME=TOKEN" (stream NAME), for ACTION. SPEC must outlive
 * RULES. Returns 0, or -1 with *WHY when the token could not be sent in a header (RFC 6750's
 * token68: letters, digits and -._~+/ then any '='), is empty or too long, or the list is
 * full, or NAME is not a stream name. */
int access_add(struct access_rules *rules, enum access_action action, const char *spec,
               const char **why);

/* Frees RULES' public keys (none are left). */
void access_free_keys(struct access_rules *rules);
/* Moves FROM's fetched keys (and that it fetches them) to TO, whose own fetched keys are freed:
 * rules read again (SIGHUP) keep what --token-jwks-url fetched, as the URL takes a restart. */
void access_move_fetched_keys(struct access_rules *to, struct access_rules *from);

/* Whether STREAM needs a token for ACTION. */
bool access_needs_token(const struct access_rules *rules, enum access_action action,
                        const char *stream);

/* Whether the stream(s) of the I-th watch token need no token to publish to: then anyone may go
 * live under that private name (while its publisher is not), and its viewers watch them and
 * share their chat room. Worth a warning at start; some want exactly that. */
bool access_watch_token_unguarded(const struct access_rules *rules, size_t i);

/* Whether no stream needs a token, to publish or to watch. */
bool access_open(const struct access_rules *rules);

/* Names the streams that need a token for ACTION into OUT[0..CAP), each once: "cam, lobby, every
 * stream without tokens of its own". Returns its length, 0 (and "") when none does. */
size_t access_describe(const struct access_rules *rules, enum access_action action, char *out,
                       size_t cap);

enum access_verdict {
    ACCESS_GRANTED,
    ACCESS_NO_TOKEN,  /* the stream needs one and the request has no bearer token */
    ACCESS_BAD_TOKEN, /* the request's token is not one of the stream's */
};

/* A request's Authorization header, read once to be checked against many streams (a listing):
 * its bearer token and, with a secret or key, what the token grants as a JWT or why it does not. */
struct access_credentials {
    const char *token; /* NULL: no bearer token */
    size_t len;
    bool malformed; /* "Bearer" with no token68 after it: a bad token, not none */
    uint8_t digest[32];
    bool jwt; /* the token is a JWT signed with the secret or key, valid now, granting GRANT */
    struct jwt_grant grant;
    const char *jwt_why; /* why a JWT-shaped token is not one, NULL otherwise */
};

/* Reads AUTHORIZATION (the header's value, NULL when absent) at NOW (seconds since 1970, for a
 * JWT's expiry and start). AUTHORIZATION must outlive OUT. */
void access_read(struct access_credentials *out, const struct access_rules *rules,
                 const char *authorization, int64_t now);

/* Checks CREDENTIALS for ACTION on STREAM. When a JWT is refused and WHY is not NULL, *WHY says
 * why ("the token has expired", "the token is for another stream"). */
enum access_verdict access_allows(const struct access_rules *rules,
                                  const struct access_credentials *credentials,
                                  enum access_action action, const char *stream, const char **why);

/* access_read and access_allows for one check. */
enum access_verdict access_check(const struct access_rules *rules, enum access_action action,
                                 const char *stream, const char *authorization, int64_t now,
                                 const char **why);

/* Whether AUTHORIZATION (NULL when absent) is "Bearer TOKEN", compared in constant time. */
bool access_bearer_is(const char *authorization, const char *token);

/* The token of a "Bearer TOKEN" header value (the scheme in any case, spaces around the
 * token): *LEN bytes at the returned pointer, or NULL when VALUE is not that. */
const char *access_bearer_token(const char *value, size_t *len);

#endif
