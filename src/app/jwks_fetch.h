/* jwks_fetch: the JWK Set an identity provider publishes (its jwks.json), fetched at start and
 * every REFRESH seconds from a thread of its own (libcurl), so that the keys it rotates reach the
 * server without a restart and a slow provider never holds the loop. A fetch that fails, or a
 * set that cannot be read (proto/jwks), keeps the keys the server has, says why in the log, and
 * is tried again sooner. */
#ifndef ONAIR_APP_JWKS_FETCH_H
#define ONAIR_APP_JWKS_FETCH_H
#include <stddef.h>
#include <uv.h>

#include "proto/jwt_key.h"

#define JWKS_FETCH_MAX_KEYS 8
#define JWKS_FETCH_TIMEOUT_MS 5000
#define JWKS_FETCH_MAX_BYTES (1 << 20)
/* After a failed fetch, the next comes at most this soon. */
#define JWKS_FETCH_RETRY_S 10

/* Called on the loop's thread with the keys of a fetched set (KEYS[0..N), the callee's to free
 * with jwt_key_free), each time the set is fetched and read. */
typedef void (*jwks_fetched_fn)(void *opaque, struct jwt_key **keys, size_t n);

struct jwks_fetch;
/* Starts fetching URL (http:// or https://) now and every REFRESH_S seconds. NULL with *WHY when
 * the thread cannot start. */
struct jwks_fetch *jwks_fetch_start(uv_loop_t *loop, const char *url, unsigned refresh_s,
                                    jwks_fetched_fn fetched, void *opaque, const char **why);
/* Stops the thread (waiting for a fetch under way: at most JWKS_FETCH_TIMEOUT_MS) and frees F
 * once its handle is closed. NULL is fine. */
void jwks_fetch_stop(struct jwks_fetch *f);

#endif
