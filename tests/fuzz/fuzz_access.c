/* fuzz_access: any Authorization header and any token spec. A header passes only with the exact
 * token of the stream (bytes equal, after "Bearer "), and the token access_bearer_token finds
 * lies inside the header. The input is SPEC '\n' HEADER. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/access.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 600)
        return 0;
    char text[601];
    memcpy(text, data, size);
    text[size] = 0;
    if (strlen(text) != size)
        return 0; /* a C string cannot hold a NUL: neither a header nor an argument can */
    char *header = strchr(text, '\n');
    if (!header)
        return 0;
    *header++ = 0;
    struct access_rules *rules = calloc(1, sizeof *rules);
    const char *why = NULL;
    int added = access_add(rules, ACCESS_WATCH, text, &why);
    if (added < 0 && !why)
        abort();
    size_t len = 0;
    const char *token = access_bearer_token(header, &len);
    if (token && (token < header || token + len > header + strlen(header) || len == 0))
        abort();
    enum access_verdict v = access_check(rules, ACCESS_WATCH, "stream", header, 0, NULL);
    if (added < 0 && v != ACCESS_GRANTED)
        abort(); /* no rule, no refusal */
    if (added == 0) {
        const struct access_token *t = &rules->tokens[ACCESS_WATCH][0];
        bool applies = !t->stream || (t->stream_len == 6 && memcmp(t->stream, "stream", 6) == 0);
        bool equal = token && len == t->token_len && memcmp(token, t->token, len) == 0;
        if ((v == ACCESS_GRANTED) != (!applies || equal))
            abort();
    }
    free(rules);
    return 0;
}
