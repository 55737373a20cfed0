/* fuzz_ice: the ICE-lite responder's checks of a STUN request (RFC 8445 §7.3, RFC 8489 §6.3.1)
 * and the split of USERNAME, driven by any datagram. The datagram goes to two responders, one
 * that knows the client's ufrag and one that does not yet; then its USERNAME and flags go out
 * again in a request our encoder signs with the right password, so that the fuzzer reaches the
 * accepting path without having to forge an HMAC. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stun.h"
#include "rtc/ice.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define LOCAL_UFRAG "srvU"
#define LOCAL_PWD "spwd-spwd-spwd-spwd-spwd"
#define REMOTE_UFRAG "cliU"
#define USERNAME LOCAL_UFRAG ":" REMOTE_UFRAG

static const uint8_t *key = (const uint8_t *)LOCAL_PWD;
static const size_t key_len = sizeof LOCAL_PWD - 1;

/* The client's address: IPv4 or IPv6 as the transaction id's first bit says, to cover both. */
static void client_address(struct sockaddr_storage *from, const uint8_t *txid)
{
    memset(from, 0, sizeof *from);
    if (txid[0] & 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)from;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(5000);
        inet_pton(AF_INET6, "2001:db8::5", &sin6->sin6_addr);
        return;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)from;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(5000);
    inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
}

static int same_address(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET)
        return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* ice_username_local_ufrag against a plain reading of its promise. */
static void check_local_ufrag(const struct stun_msg *m)
{
    char dst[64];
    int n = ice_username_local_ufrag(m, dst, sizeof dst);
    const char *colon = m->username ? memchr(m->username, ':', m->username_len) : NULL;
    size_t want = colon ? (size_t)(colon - m->username) : 0;
    int usable = colon && want > 0 && want < sizeof dst && !memchr(m->username, '\0', want);
    if (!usable) {
        CHECK(n == -1);
        return;
    }
    CHECK(n == (int)want && strlen(dst) == want && memcmp(dst, m->username, want) == 0);
}

/* One request handed to RESPONDER; checks the answer against what the request was. */
static int handle(struct ice_lite *responder, const struct sockaddr *from, const uint8_t *p,
                  size_t len, const struct stun_msg *m)
{
    uint8_t out[512];
    size_t out_len = 1;
    int r = ice_lite_handle_request(responder, 1000, from, p, len, m, out, sizeof out, &out_len);
    CHECK(r == ICE_LITE_OK || r == ICE_LITE_IGNORED || r == ICE_LITE_REFUSED);
    if (r == ICE_LITE_IGNORED) {
        CHECK(out_len == 0);
        return r;
    }
    /* Only a Binding request whose FINGERPRINT, if any, is right gets an answer. */
    CHECK(m->type == STUN_BINDING_REQUEST);
    CHECK(!m->has_fingerprint || stun_check_fingerprint(p, len, m));
    CHECK(out_len > 0);
    struct stun_msg answer;
    const char *why = NULL;
    CHECK(stun_decode(&answer, out, out_len, &why) == 0);
    CHECK(memcmp(answer.txid, m->txid, STUN_TXID_SIZE) == 0);
    CHECK(stun_check_fingerprint(out, out_len, &answer));
    if (r == ICE_LITE_REFUSED) {
        CHECK(answer.type == STUN_BINDING_ERROR && answer.has_error);
        int code = answer.error_code;
        CHECK(code == 400 || code == 401 || code == 420 || code == 487);
        /* 400 exactly when the request cannot be authenticated at all. */
        CHECK((code == 400) == (!m->username || !m->has_integrity));
        return r;
    }
    /* Accepted: our ufrag first, the right password, nothing unknown, not a controlled peer. */
    CHECK(m->username && m->username_len > 5 && memcmp(m->username, LOCAL_UFRAG ":", 5) == 0);
    CHECK(m->has_integrity && stun_check_integrity(p, len, m, key, key_len));
    CHECK(m->n_unknown == 0 && !m->ice_controlled);
    CHECK(answer.type == STUN_BINDING_SUCCESS && answer.has_xor_mapped);
    CHECK(same_address((const struct sockaddr *)&answer.xor_mapped, from));
    CHECK(stun_check_integrity(out, out_len, &answer, key, key_len));
    const struct sockaddr *selected = ice_lite_selected(responder);
    CHECK(selected != NULL);
    if (m->use_candidate)
        CHECK(ice_lite_nominated(responder) && same_address(selected, from));
    char ufrag[64];
    CHECK(ice_username_local_ufrag(m, ufrag, sizeof ufrag) == 4 && !strcmp(ufrag, LOCAL_UFRAG));
    return r;
}

/* The decoded USERNAME and role, signed by our encoder with the right password: accepted when
 * USERNAME is exactly ours and the client's and the client controls, else refused with 401
 * (the wrong USERNAME) or 487 (both controlled). */
static void resigned(const struct sockaddr *from, const struct stun_msg *m)
{
    char username[520];
    if (!m->username || m->username_len >= sizeof username ||
        memchr(m->username, '\0', m->username_len))
        return;
    memcpy(username, m->username, m->username_len);
    username[m->username_len] = '\0';
    bool controlling = !m->ice_controlled;
    uint8_t req[700];
    size_t n =
        stun_encode_binding_request(req, sizeof req, m->txid, username, m->priority, controlling,
                                    m->tiebreaker, m->use_candidate, key, key_len);
    CHECK(n > 0);
    struct stun_msg again;
    const char *why = NULL;
    CHECK(stun_decode(&again, req, n, &why) == 0);
    struct ice_lite *strict = ice_lite_new(LOCAL_UFRAG, LOCAL_PWD, REMOTE_UFRAG, "cpwd");
    int r = handle(strict, from, req, n, &again);
    ice_lite_free(strict);
    if (strcmp(username, USERNAME) != 0)
        CHECK(r == ICE_LITE_REFUSED);
    else
        CHECK(r == (controlling ? ICE_LITE_OK : ICE_LITE_REFUSED));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stun_msg m;
    const char *why = NULL;
    if (stun_decode(&m, data, size, &why) < 0)
        return 0;
    check_local_ufrag(&m);
    struct sockaddr_storage from;
    client_address(&from, m.txid);
    const struct sockaddr *sa = (const struct sockaddr *)&from;

    struct ice_lite *strict = ice_lite_new(LOCAL_UFRAG, LOCAL_PWD, REMOTE_UFRAG, "cpwd");
    struct ice_lite *any = ice_lite_new(LOCAL_UFRAG, LOCAL_PWD, NULL, NULL);
    int strict_r = handle(strict, sa, data, size, &m);
    int any_r = handle(any, sa, data, size, &m);
    /* Knowing the client's ufrag only narrows what is accepted. */
    CHECK(strict_r != ICE_LITE_OK || any_r == ICE_LITE_OK);
    if (strict_r == ICE_LITE_OK)
        CHECK(m.username_len == sizeof USERNAME - 1 && !memcmp(m.username, USERNAME, 9));
    ice_lite_free(strict);
    ice_lite_free(any);

    if (m.type == STUN_BINDING_REQUEST)
        resigned(sa, &m);
    return 0;
}
