/* access: bearer tokens per stream and action. */
#include "app/access.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/jwt.h"
#include "proto/jwt_key.h"

/* SHA-256 of TEXT[0..LEN); false when OpenSSL cannot make it. */
static bool sha256(const char *text, size_t len, uint8_t digest[32])
{
    size_t made = 0;
    return EVP_Q_digest(NULL, "SHA256", NULL, text, len, digest, &made) && made == 32;
}

static bool token68_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* The length of the token68 at TEXT (RFC 7235 §2.1: 1*( tchar ) *"="), 0 when none. */
static size_t token68_len(const char *text)
{
    size_t n = 0;
    while (token68_char(text[n]))
        n++;
    if (n == 0)
        return 0;
    while (text[n] == '=')
        n++;
    return n;
}

bool stream_name_valid(const char *name, size_t len)
{
    static const char allowed[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    if (len == 0 || len > 63 || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name[i] || !strchr(allowed, name[i]))
            return false;
    return true;
}

bool access_token_valid(const char *token, const char **why)
{
    size_t len = token68_len(token);
    if (len == 0 || token[len]) {
        *why = "a token is letters, digits and -._~+/ (then any '='), as a bearer token "
               "is sent in a header";
        return false;
    }
    if (len > ACCESS_MAX_TOKEN_LEN) {
        *why = "a token is at most 256 characters";
        return false;
    }
    return true;
}

int access_add(struct access_rules *rules, enum access_action action, const char *spec,
               const char **why)
{
    const char *eq = strchr(spec, '=');
    const char *token = spec;
    struct access_token t = {0};
    /* A '=' inside the token's own padding ("abc==") is not a stream name's end: a name is
     * followed by a token that starts with a token character. */
    if (eq && eq > spec && token68_char(eq[1])) {
        t.stream = spec;
        t.stream_len = (size_t)(eq - spec);
        token = eq + 1;
        if (!stream_name_valid(t.stream, t.stream_len)) {
            *why = "NAME=TOKEN: stream names are 1 to 63 letters, digits, '-', '_' or '.'";
            return -1;
        }
    }
    if (!access_token_valid(token, why))
        return -1;
    if (rules->n[action] == ACCESS_MAX_TOKENS) {
        *why = "at most 64 tokens of each kind";
        return -1;
    }
    t.token = token;
    t.token_len = strlen(token);
    if (!sha256(t.token, t.token_len, t.digest)) {
        *why = "SHA-256 is not available";
        return -1;
    }
    rules->tokens[action][rules->n[action]++] = t;
    return 0;
}

/* Whether T is a token of the stream NAME[0..LEN). */
static bool names(const struct access_token *t, const char *name, size_t len)
{
    return t->stream && t->stream_len == len && memcmp(t->stream, name, len) == 0;
}

/* Whether the stream STREAM[0..LEN) has tokens of its own for ACTION: then the ones for every
 * stream do not apply to it. */
static bool has_own(const struct access_rules *rules, enum access_action action, const char *stream,
                    size_t len)
{
    for (size_t i = 0; i < rules->n[action]; i++)
        if (names(&rules->tokens[action][i], stream, len))
            return true;
    return false;
}

/* Whether ACTION has tokens for every stream without tokens of its own. */
static bool has_every(const struct access_rules *rules, enum access_action action)
{
    for (size_t i = 0; i < rules->n[action]; i++)
        if (!rules->tokens[action][i].stream)
            return true;
    return false;
}

void access_free_keys(struct access_rules *rules)
{
    for (size_t i = 0; i < rules->n_public_keys; i++)
        jwt_key_free(rules->public_keys[i]);
    rules->n_public_keys = 0;
    for (size_t i = 0; i < rules->n_fetched_keys; i++)
        jwt_key_free(rules->fetched_keys[i]);
    rules->n_fetched_keys = 0;
}

void access_move_fetched_keys(struct access_rules *to, struct access_rules *from)
{
    for (size_t i = 0; i < to->n_fetched_keys; i++)
        jwt_key_free(to->fetched_keys[i]);
    to->fetches_keys = from->fetches_keys;
    to->n_fetched_keys = from->n_fetched_keys;
    memcpy(to->fetched_keys, from->fetched_keys, sizeof to->fetched_keys);
    from->n_fetched_keys = 0;
}

/* Whether JWTs are checked: then every stream needs a token. */
static bool signed_tokens(const struct access_rules *rules)
{
    return rules->secret || rules->n_public_keys || rules->fetches_keys;
}

bool access_needs_token(const struct access_rules *rules, enum access_action action,
                        const char *stream)
{
    return signed_tokens(rules) || has_own(rules, action, stream, strlen(stream)) ||
           has_every(rules, action);
}

bool access_watch_token_unguarded(const struct access_rules *rules, size_t i)
{
    const struct access_token *t = &rules->tokens[ACCESS_WATCH][i];
    if (signed_tokens(rules) || has_every(rules, ACCESS_PUBLISH))
        return false;
    return !t->stream || !has_own(rules, ACCESS_PUBLISH, t->stream, t->stream_len);
}

bool access_open(const struct access_rules *rules)
{
    return !signed_tokens(rules) && rules->n[ACCESS_PUBLISH] == 0 && rules->n[ACCESS_WATCH] == 0;
}

/* Whether the I-th token of ACTION names the same stream as one before it. */
static bool named_before(const struct access_rules *rules, enum access_action action, size_t i)
{
    const struct access_token *t = &rules->tokens[action][i];
    for (size_t j = 0; t->stream && j < i; j++)
        if (names(&rules->tokens[action][j], t->stream, t->stream_len))
            return true;
    return false;
}

size_t access_describe(const struct access_rules *rules, enum access_action action, char *out,
                       size_t cap)
{
    size_t len = 0;
    bool every = false;
    out[0] = 0;
    if (signed_tokens(rules)) { /* then a stream's own tokens are only more of them */
        snprintf(out, cap, "every stream");
        return strlen(out);
    }
    for (size_t i = 0; i < rules->n[action]; i++) {
        const struct access_token *t = &rules->tokens[action][i];
        every |= !t->stream;
        if (t->stream && !named_before(rules, action, i) && len < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s%.*s", len ? ", " : "",
                                    (int)t->stream_len, t->stream);
    }
    if (every && len < cap)
        len += (size_t)snprintf(out + len, cap - len, "%severy stream without tokens of its own",
                                len ? ", " : "");
    return len < cap ? len : strlen(out);
}

const char *access_bearer_token(const char *value, size_t *len)
{
    if (!value || strncasecmp(value, "Bearer", 6) != 0 || value[6] != ' ')
        return NULL;
    const char *token = value + 6;
    while (*token == ' ')
        token++;
    size_t n = token68_len(token);
    if (n == 0)
        return NULL;
    for (const char *rest = token + n; *rest; rest++)
        if (*rest != ' ')
            return NULL;
    *len = n;
    return token;
}

bool access_bearer_is(const char *authorization, const char *token)
{
    size_t len = 0;
    const char *given = access_bearer_token(authorization, &len);
    uint8_t a[32], b[32];
    return given && sha256(given, len, a) && sha256(token, strlen(token), b) &&
           CRYPTO_memcmp(a, b, sizeof a) == 0;
}

void access_read(struct access_credentials *out, const struct access_rules *rules,
                 const char *authorization, int64_t now)
{
    *out = (struct access_credentials){0};
    out->token = access_bearer_token(authorization, &out->len);
    if (!out->token) {
        /* another scheme (Basic) is no token; a malformed bearer one is a bad one */
        out->malformed = authorization && strncasecmp(authorization, "Bearer", 6) == 0;
        return;
    }
    if (!sha256(out->token, out->len, out->digest)) { /* nothing could match it */
        out->token = NULL;
        out->malformed = true;
    } else if (signed_tokens(rules) && jwt_shaped(out->token, out->len)) {
        struct jwt_key *keys[2 * ACCESS_MAX_PUBLIC_KEYS];
        size_t n = rules->n_public_keys;
        memcpy(keys, rules->public_keys, n * sizeof *keys);
        memcpy(keys + n, rules->fetched_keys, rules->n_fetched_keys * sizeof *keys);
        n += rules->n_fetched_keys;
        out->jwt = jwt_verify(&out->grant, out->token, out->len, rules->secret, keys, n, now,
                              &out->jwt_why) == 0;
    }
}

/* Whether the JWT's GRANT is for ACTION on STREAM; if not, the reason in *WHY. */
static bool grants(const struct jwt_grant *grant, enum access_action action, const char *stream,
                   const char **why)
{
    if (grant->publish != (action == ACCESS_PUBLISH))
        *why = grant->publish ? "the token is for publishing" : "the token is for watching";
    else if (strcmp(grant->stream, "*") != 0 && strcmp(grant->stream, stream) != 0)
        *why = "the token is for another stream";
    else
        return true;
    return false;
}

enum access_verdict access_allows(const struct access_rules *rules,
                                  const struct access_credentials *credentials,
                                  enum access_action action, const char *stream, const char **why)
{
    size_t stream_len = strlen(stream);
    bool own = has_own(rules, action, stream, stream_len);
    if (!own && !has_every(rules, action) && !signed_tokens(rules))
        return ACCESS_GRANTED;
    if (!credentials->token)
        return credentials->malformed ? ACCESS_BAD_TOKEN : ACCESS_NO_TOKEN;
    bool match = false;
    for (size_t i = 0; i < rules->n[action]; i++) {
        const struct access_token *t = &rules->tokens[action][i];
        if (own ? !names(t, stream, stream_len) : t->stream != NULL)
            continue;
        /* Every candidate is compared, in constant time. */
        match |= CRYPTO_memcmp(t->digest, credentials->digest, sizeof t->digest) == 0;
    }
    if (match)
        return ACCESS_GRANTED;
    const char *reason = credentials->jwt_why;
    if (credentials->jwt && grants(&credentials->grant, action, stream, &reason))
        return ACCESS_GRANTED;
    if (why && reason)
        *why = reason;
    return ACCESS_BAD_TOKEN;
}

enum access_verdict access_check(const struct access_rules *rules, enum access_action action,
                                 const char *stream, const char *authorization, int64_t now,
                                 const char **why)
{
    struct access_credentials credentials;
    access_read(&credentials, rules, authorization, now);
    return access_allows(rules, &credentials, action, stream, why);
}
