/* fuzz_stun: stun_decode, both checks, and our encoders fed with what was decoded. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stun.h"

/* The fuzzer aborts on any broken promise, not only on memory errors. */
static void require(int condition)
{
    if (!condition)
        abort();
}

/* A view must stay inside the input it was decoded from. */
static void check_view(const struct stun_msg *m, const uint8_t *data, size_t size)
{
    require((size_t)m->length + STUN_HEADER_SIZE == size);
    if (m->username)
        require((const uint8_t *)m->username >= data &&
                (const uint8_t *)m->username + m->username_len <= data + size);
    if (m->has_error) {
        require(m->error_code >= 300 && m->error_code <= 699);
        require((const uint8_t *)m->error_reason >= data &&
                (const uint8_t *)m->error_reason + m->error_reason_len <= data + size);
    }
    if (m->has_integrity)
        require(m->integrity_offset + 4 + STUN_INTEGRITY_SIZE <= size);
    if (m->has_fingerprint)
        require(m->fingerprint_offset + 8 == size);
    /* The TURN client (app/turn_client.c) copies REALM and NONCE and relays DATA from these
     * views, and uses the relayed and peer addresses as they are. */
    if (m->realm)
        require((const uint8_t *)m->realm >= data &&
                (const uint8_t *)m->realm + m->realm_len <= data + size);
    if (m->nonce)
        require((const uint8_t *)m->nonce >= data &&
                (const uint8_t *)m->nonce + m->nonce_len <= data + size);
    if (m->has_data)
        require(m->data >= data && m->data + m->data_len <= data + size);
    if (m->has_xor_relayed)
        require(m->xor_relayed.ss_family == AF_INET || m->xor_relayed.ss_family == AF_INET6);
    if (m->has_xor_peer)
        require(m->xor_peer.ss_family == AF_INET || m->xor_peer.ss_family == AF_INET6);
}

/* A Send indication of the decoded peer and data, written by our encoder, reads back the same:
 * what the TURN client sends is what a Data indication it receives is decoded as. */
static void round_trip_turn_data(const struct stun_msg *m)
{
    static uint8_t out[70000];
    struct stun_turn_attrs attrs = {
        .peer = (const struct sockaddr *)&m->xor_peer, .data = m->data, .data_len = m->data_len};
    size_t n = stun_encode_turn(out, sizeof out, STUN_SEND_INDICATION, m->txid, &attrs, NULL, 0);
    require(n > 0);
    struct stun_msg again;
    const char *why = NULL;
    require(stun_decode(&again, out, n, &why) == 0);
    require(again.type == STUN_SEND_INDICATION && again.has_xor_peer && again.has_data);
    require(again.data_len == m->data_len && memcmp(again.data, m->data, m->data_len) == 0);
}

/* Whatever address was decoded, our success answer carries it back, with valid integrity and
 * fingerprint. An IPv4-mapped IPv6 address comes back as the IPv4 address, on purpose (a
 * dual-stack socket's view of an IPv4 peer). */
static void round_trip_address(const struct stun_msg *m)
{
    static const uint8_t key[] = "fuzz-key";
    uint8_t out[128];
    size_t n = stun_encode_binding_success(out, sizeof out, m->txid,
                                           (const struct sockaddr *)&m->xor_mapped, key,
                                           sizeof key - 1, true);
    require(n > 0);
    struct stun_msg again;
    const char *why = NULL;
    require(stun_decode(&again, out, n, &why) == 0);
    require(again.has_xor_mapped);
    require(stun_check_integrity(out, n, &again, key, sizeof key - 1));
    require(stun_check_fingerprint(out, n, &again));
    if (m->xor_mapped.ss_family == AF_INET) {
        const struct sockaddr_in *want = (const struct sockaddr_in *)&m->xor_mapped;
        const struct sockaddr_in *got = (const struct sockaddr_in *)&again.xor_mapped;
        require(got->sin_family == AF_INET && got->sin_port == want->sin_port &&
                got->sin_addr.s_addr == want->sin_addr.s_addr);
        return;
    }
    const struct sockaddr_in6 *want = (const struct sockaddr_in6 *)&m->xor_mapped;
    if (IN6_IS_ADDR_V4MAPPED(&want->sin6_addr)) {
        const struct sockaddr_in *got = (const struct sockaddr_in *)&again.xor_mapped;
        require(got->sin_family == AF_INET && got->sin_port == want->sin6_port &&
                memcmp(&got->sin_addr, want->sin6_addr.s6_addr + 12, 4) == 0);
        return;
    }
    const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)&again.xor_mapped;
    require(got->sin6_family == AF_INET6 && got->sin6_port == want->sin6_port &&
            memcmp(&got->sin6_addr, &want->sin6_addr, 16) == 0);
}

/* A decoded USERNAME without NUL bytes goes back out in a request that decodes the same. */
static void round_trip_request(const struct stun_msg *m)
{
    char username[520];
    if (!m->username || memchr(m->username, '\0', m->username_len))
        return;
    memcpy(username, m->username, m->username_len);
    username[m->username_len] = '\0';
    uint8_t out[700];
    size_t n = stun_encode_binding_request(out, sizeof out, m->txid, username, m->priority,
                                           m->ice_controlling, m->tiebreaker, m->use_candidate,
                                           (const uint8_t *)username, m->username_len);
    require(n > 0);
    struct stun_msg again;
    const char *why = NULL;
    require(stun_decode(&again, out, n, &why) == 0);
    require(again.username_len == m->username_len &&
            memcmp(again.username, m->username, m->username_len) == 0);
    require(again.priority == m->priority && again.tiebreaker == m->tiebreaker);
    require(m->username_len == 0 ||
            stun_check_integrity(out, n, &again, (const uint8_t *)username, m->username_len));
    require(stun_check_fingerprint(out, n, &again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stun_msg m;
    const char *why = NULL;
    (void)stun_is_stun(data, size);
    if (stun_decode(&m, data, size, &why) < 0) {
        require(why != NULL);
        return 0;
    }
    check_view(&m, data, size);
    static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt"; /* RFC 5769's password */
    (void)stun_check_integrity(data, size, &m, key, sizeof key - 1);
    (void)stun_check_fingerprint(data, size, &m);
    if (m.has_xor_mapped)
        round_trip_address(&m);
    round_trip_request(&m);
    if (m.has_xor_peer && m.has_data)
        round_trip_turn_data(&m);
    return 0;
}
