/* ice: the server's ICE-lite responder and a small full ICE agent for our clients, no sockets. */
#include "rtc/ice.h"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

/* Room for any answer we queue or write: a success with an IPv6 XOR-MAPPED-ADDRESS, or an
 * error with a short reason, plus MESSAGE-INTEGRITY and FINGERPRINT. */
#define ICE_ANSWER_MAX 160

/* ---- Addresses and credentials, shared by both engines ---- */

/* An address as family-free 16 bytes plus port, so that an IPv4 peer seen through a
 * dual-stack socket (::ffff:a.b.c.d) equals the same peer seen through an IPv4 socket. */
static bool addr_key(const struct sockaddr *a, uint8_t ip[16], uint16_t *port)
{
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)a;
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &sin->sin_addr, 4);
        *port = sin->sin_port;
        return true;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)a;
        memcpy(ip, &sin6->sin6_addr, 16);
        *port = sin6->sin6_port;
        return true;
    }
    return false;
}

static bool addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    uint8_t ip_a[16], ip_b[16];
    uint16_t port_a, port_b;
    return addr_key(a, ip_a, &port_a) && addr_key(b, ip_b, &port_b) && port_a == port_b &&
           memcmp(ip_a, ip_b, 16) == 0;
}

/* Copies an IPv4 or IPv6 address; false for any other family. */
static bool addr_copy(struct sockaddr_storage *dst, const struct sockaddr *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->sa_family == AF_INET)
        memcpy(dst, src, sizeof(struct sockaddr_in));
    else if (src->sa_family == AF_INET6)
        memcpy(dst, src, sizeof(struct sockaddr_in6));
    else
        return false;
    return true;
}

/* RFC 8445 §7.2.2: a check's USERNAME is "<answerer's ufrag>:<sender's ufrag>". SECOND NULL
 * accepts any sender. */
static bool username_is(const struct stun_msg *m, const char *first, const char *second)
{
    size_t first_len = strlen(first);
    if (!m->username || m->username_len <= first_len ||
        memcmp(m->username, first, first_len) != 0 || m->username[first_len] != ':')
        return false;
    if (!second)
        return true;
    size_t second_len = strlen(second);
    return m->username_len == first_len + 1 + second_len &&
           memcmp(m->username + first_len + 1, second, second_len) == 0;
}

/* Milliseconds from SINCE to NOW; 0 if a caller's clock ever steps back. */
static uint64_t elapsed(uint64_t now_ms, uint64_t since_ms)
{
    return now_ms > since_ms ? now_ms - since_ms : 0;
}

static void replace_string(char **field, const char *value)
{
    free(*field);
    *field = value ? xstrdup(value) : NULL;
}

int ice_username_local_ufrag(const struct stun_msg *m, char *dst, size_t cap)
{
    if (!m->username)
        return -1;
    const char *colon = memchr(m->username, ':', m->username_len);
    if (!colon)
        return -1;
    size_t n = (size_t)(colon - m->username);
    if (n == 0 || n >= cap || memchr(m->username, '\0', n))
        return -1;
    memcpy(dst, m->username, n);
    dst[n] = '\0';
    return (int)n;
}

/* The checks every answerer makes (RFC 8489 §9.1.3, §6.3.1; RFC 8445 §7.3): returns 0 for an
 * authentic request, else the error code to answer with. A bad FINGERPRINT is caught before. */
static int check_request(const uint8_t *p, size_t len, const struct stun_msg *m,
                         const char *local_ufrag, const char *remote_ufrag, const char *local_pwd)
{
    if (!m->username || !m->has_integrity)
        return 400;
    if (!username_is(m, local_ufrag, remote_ufrag) ||
        !stun_check_integrity(p, len, m, (const uint8_t *)local_pwd, strlen(local_pwd)))
        return 401;
    if (m->n_unknown)
        return 420;
    return 0;
}

/* An error answer for CODE. 400 and 401 go unauthenticated (the request could not be
 * verified, RFC 8489 §9.1.3); 487 is keyed with our password. */
static size_t write_error(uint8_t *out, size_t cap, const struct stun_msg *m, int code,
                          const char *local_pwd)
{
    switch (code) {
    case 400:
        return stun_encode_binding_error(out, cap, m->txid, 400, "Bad Request", NULL, 0);
    case 401:
        return stun_encode_binding_error(out, cap, m->txid, 401, "Unauthorized", NULL, 0);
    case 420:
        return stun_encode_binding_error_unknown(
            out, cap, m->txid, m->unknown,
            m->n_unknown < STUN_MAX_UNKNOWN ? m->n_unknown : STUN_MAX_UNKNOWN);
    default:
        return stun_encode_binding_error(out, cap, m->txid, code, "Role Conflict",
                                         (const uint8_t *)local_pwd, strlen(local_pwd));
    }
}

static size_t write_success(uint8_t *out, size_t cap, const struct stun_msg *m,
                            const struct sockaddr *from, const char *local_pwd)
{
    return stun_encode_binding_success(out, cap, m->txid, from, (const uint8_t *)local_pwd,
                                       strlen(local_pwd), true);
}

/* ---- ICE-lite responder ---- */

struct ice_lite {
    char *local_ufrag, *local_pwd;
    char *remote_ufrag, *remote_pwd; /* remote_ufrag NULL: any */
    struct sockaddr_storage selected;
    bool has_selected, nominated;
    /* Consent (RFC 7675): the time of the last valid check, or of creation before one. */
    bool clock_started, had_valid_check;
    uint64_t created_ms, last_check_ms;
};

struct ice_lite *ice_lite_new(const char *local_ufrag, const char *local_pwd,
                              const char *remote_ufrag, const char *remote_pwd)
{
    struct ice_lite *ice = xcalloc(1, sizeof *ice);
    ice->local_ufrag = xstrdup(local_ufrag);
    ice->local_pwd = xstrdup(local_pwd);
    replace_string(&ice->remote_ufrag, remote_ufrag);
    replace_string(&ice->remote_pwd, remote_pwd);
    return ice;
}

void ice_lite_free(struct ice_lite *ice)
{
    if (!ice)
        return;
    free(ice->local_ufrag);
    free(ice->local_pwd);
    free(ice->remote_ufrag);
    free(ice->remote_pwd);
    free(ice);
}

/* The engine is made without a time, so the first call that carries one stands for its
 * creation. The read-only consent query may be that call; the cast is sound because every
 * ice_lite is allocated non-const by ice_lite_new. */
static void lite_start_clock(const struct ice_lite *ice, uint64_t now_ms)
{
    if (ice->clock_started)
        return;
    struct ice_lite *writable = (struct ice_lite *)ice;
    writable->clock_started = true;
    writable->created_ms = now_ms;
}

/* A valid check: RFC 8445 §7.3.1.5 for a lite agent, the peer's USE-CANDIDATE nominates the
 * pair; before any nomination the first valid check's address carries media. */
static void lite_record_check(struct ice_lite *ice, uint64_t now_ms, const struct sockaddr *from,
                              bool use_candidate)
{
    ice->had_valid_check = true;
    ice->last_check_ms = now_ms;
    if (use_candidate || !ice->has_selected) {
        addr_copy(&ice->selected, from);
        ice->has_selected = true;
    }
    if (use_candidate)
        ice->nominated = true;
}

int ice_lite_handle_request(struct ice_lite *ice, uint64_t now_ms, const struct sockaddr *from,
                            const uint8_t *p, size_t len, const struct stun_msg *m, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    *out_len = 0;
    lite_start_clock(ice, now_ms);
    if (m->type != STUN_BINDING_REQUEST ||
        (from->sa_family != AF_INET && from->sa_family != AF_INET6))
        return ICE_LITE_IGNORED;
    /* RFC 8489 §7.3: a message whose FINGERPRINT does not match is discarded silently. */
    if (m->has_fingerprint && !stun_check_fingerprint(p, len, m))
        return ICE_LITE_IGNORED;
    int code = check_request(p, len, m, ice->local_ufrag, ice->remote_ufrag, ice->local_pwd);
    /* RFC 8445 §7.3.1.1: a lite agent is always controlled and cannot switch roles, so a peer
     * that also claims the controlled role is told to take the controlling one. */
    if (code == 0 && m->ice_controlled)
        code = 487;
    if (code) {
        *out_len = write_error(out, cap, m, code, ice->local_pwd);
        return ICE_LITE_REFUSED;
    }
    lite_record_check(ice, now_ms, from, m->use_candidate);
    *out_len = write_success(out, cap, m, from, ice->local_pwd);
    return ICE_LITE_OK;
}

const struct sockaddr *ice_lite_selected(const struct ice_lite *ice)
{
    return ice->has_selected ? (const struct sockaddr *)&ice->selected : NULL;
}

bool ice_lite_nominated(const struct ice_lite *ice)
{
    return ice->nominated;
}

bool ice_lite_consent_expired(const struct ice_lite *ice, uint64_t now_ms)
{
    lite_start_clock(ice, now_ms);
    uint64_t since = ice->had_valid_check ? ice->last_check_ms : ice->created_ms;
    return elapsed(now_ms, since) >= ICE_CONSENT_TIMEOUT_MS;
}

void ice_lite_set_remote_credentials(struct ice_lite *ice, const char *remote_ufrag,
                                     const char *remote_pwd)
{
    replace_string(&ice->remote_ufrag, remote_ufrag);
    replace_string(&ice->remote_pwd, remote_pwd);
}

void ice_lite_restart(struct ice_lite *ice, const char *new_local_ufrag, const char *new_local_pwd)
{
    replace_string(&ice->local_ufrag, new_local_ufrag);
    replace_string(&ice->local_pwd, new_local_pwd);
    ice->nominated = false;
}

/* ---- Full agent ---- */

/* RFC 8489 §6.2.1: retransmissions start at RTO and double; RFC 8445 §14.3 sets RTO to at
 * least 500 ms. We cap the interval so that a lost consent check is retried within the
 * consent interval, and stop after Rc = 7 transmissions. */
#define ICE_RTO_MS 500
#define ICE_RTO_MAX_MS 3000
#define ICE_MAX_TRANSMISSIONS 7
#define ICE_ANSWER_QUEUE 8

/* RFC 8445 §5.1.2.1: the priority our checks claim is that of the peer-reflexive candidate
 * they may create: type preference 110, local preference 65535, component 1. */
#define ICE_PRFLX_PRIORITY ((110u << 24) | (65535u << 8) | (256u - 1))

enum ice_pair_state { PAIR_WAITING, PAIR_IN_PROGRESS, PAIR_SUCCEEDED, PAIR_FAILED };

/* One outstanding Binding transaction (at most one per pair). */
struct ice_transaction {
    bool active;
    bool controlling; /* the role the request claimed, for 487 (RFC 8445 §7.2.5.1) */
    uint8_t txid[STUN_TXID_SIZE];
    int transmissions;
    uint32_t rto_ms;
    uint64_t next_ms; /* next retransmission, or the final timeout after the last one */
};

/* Our single local candidate paired with one remote candidate. */
struct ice_pair {
    struct sockaddr_storage remote;
    uint32_t priority; /* the remote candidate's */
    enum ice_pair_state state;
    bool triggered;      /* the peer checked us from here: check back next (§7.3.1.4) */
    bool peer_nominated; /* the peer sent USE-CANDIDATE from here while we were controlled */
    struct ice_transaction tx;
};

struct ice_answer {
    uint8_t data[ICE_ANSWER_MAX];
    size_t len;
    struct sockaddr_storage to;
};

struct ice_agent {
    char *local_ufrag, *local_pwd, *remote_ufrag, *remote_pwd;
    char *username; /* "remote_ufrag:local_ufrag", what our checks carry */
    uint64_t tiebreaker;
    bool controlling;
    enum ice_state state;
    struct ice_pair pairs[ICE_AGENT_MAX_CANDIDATES];
    size_t n_pairs;
    int selected; /* index into pairs, or -1 */
    bool started;
    uint64_t start_ms, next_pace_ms;
    uint64_t last_consent_ms, next_consent_ms;
    struct ice_answer answers[ICE_ANSWER_QUEUE];
    size_t n_answers;
};

static char *make_username(const char *remote_ufrag, const char *local_ufrag)
{
    size_t remote_len = strlen(remote_ufrag), local_len = strlen(local_ufrag);
    char *s = xmalloc(remote_len + 1 + local_len + 1);
    memcpy(s, remote_ufrag, remote_len);
    s[remote_len] = ':';
    memcpy(s + remote_len + 1, local_ufrag, local_len + 1);
    return s;
}

struct ice_agent *ice_agent_new(const char *local_ufrag, const char *local_pwd,
                                const char *remote_ufrag, const char *remote_pwd,
                                uint64_t tiebreaker)
{
    struct ice_agent *agent = xcalloc(1, sizeof *agent);
    agent->local_ufrag = xstrdup(local_ufrag);
    agent->local_pwd = xstrdup(local_pwd);
    agent->remote_ufrag = xstrdup(remote_ufrag);
    agent->remote_pwd = xstrdup(remote_pwd);
    agent->username = make_username(remote_ufrag, local_ufrag);
    agent->tiebreaker = tiebreaker;
    agent->controlling = true;
    agent->state = ICE_CHECKING;
    agent->selected = -1;
    return agent;
}

void ice_agent_free(struct ice_agent *agent)
{
    if (!agent)
        return;
    free(agent->local_ufrag);
    free(agent->local_pwd);
    free(agent->remote_ufrag);
    free(agent->remote_pwd);
    free(agent->username);
    free(agent);
}

void ice_agent_start_controlled(struct ice_agent *agent)
{
    agent->controlling = false;
}

static struct ice_pair *find_pair(struct ice_agent *agent, const struct sockaddr *addr)
{
    for (size_t i = 0; i < agent->n_pairs; i++)
        if (addr_equal((const struct sockaddr *)&agent->pairs[i].remote, addr))
            return &agent->pairs[i];
    return NULL;
}

static struct ice_pair *add_pair(struct ice_agent *agent, const struct sockaddr *addr,
                                 uint32_t priority)
{
    struct ice_pair *pair = find_pair(agent, addr);
    if (pair) {
        pair->priority = priority;
        return pair;
    }
    if (agent->n_pairs == ICE_AGENT_MAX_CANDIDATES)
        return NULL;
    pair = &agent->pairs[agent->n_pairs];
    memset(pair, 0, sizeof *pair);
    if (!addr_copy(&pair->remote, addr))
        return NULL;
    pair->priority = priority;
    pair->state = PAIR_WAITING;
    agent->n_pairs++;
    return pair;
}

int ice_agent_add_remote_candidate(struct ice_agent *agent, const struct sockaddr *addr,
                                   uint32_t priority)
{
    return add_pair(agent, addr, priority) ? 0 : -1;
}

static void agent_start_clock(struct ice_agent *agent, uint64_t now_ms)
{
    if (agent->started)
        return;
    agent->started = true;
    agent->start_ms = now_ms;
    agent->next_pace_ms = now_ms;
}

/* The pair carries media from now on; other checks stop (RFC 8445 §8.1.2: once a pair is
 * selected, the rest of the check list is no longer needed). */
static void agent_select(struct ice_agent *agent, struct ice_pair *pair, uint64_t now_ms)
{
    agent->selected = (int)(pair - agent->pairs);
    agent->state = ICE_CONNECTED;
    agent->last_consent_ms = now_ms;
    agent->next_consent_ms = now_ms + ICE_AGENT_CONSENT_INTERVAL_MS;
    for (size_t i = 0; i < agent->n_pairs; i++)
        if (&agent->pairs[i] != pair)
            agent->pairs[i].tx.active = false;
}

static void agent_fail(struct ice_agent *agent)
{
    agent->state = ICE_FAILED;
    agent->selected = -1;
    for (size_t i = 0; i < agent->n_pairs; i++)
        agent->pairs[i].tx.active = false;
}

/* Deadlines that do not need sending: the overall check timeout, consent loss, and
 * transactions that ran out of retransmissions. */
static void agent_expire(struct ice_agent *agent, uint64_t now_ms)
{
    if (agent->state == ICE_CHECKING && elapsed(now_ms, agent->start_ms) >= ICE_AGENT_FAIL_MS)
        agent_fail(agent);
    if (agent->state == ICE_CONNECTED &&
        elapsed(now_ms, agent->last_consent_ms) >= ICE_CONSENT_TIMEOUT_MS)
        agent_fail(agent); /* RFC 7675 §5.1: consent lost */
    for (size_t i = 0; i < agent->n_pairs; i++) {
        struct ice_pair *pair = &agent->pairs[i];
        if (!pair->tx.active || pair->tx.transmissions < ICE_MAX_TRANSMISSIONS ||
            now_ms < pair->tx.next_ms)
            continue;
        pair->tx.active = false;
        /* A lost consent check is not a failed pair; consent expiry judges that. */
        if ((int)i != agent->selected && pair->state == PAIR_IN_PROGRESS)
            pair->state = PAIR_FAILED;
    }
}

/* The pair whose check goes out next, or NULL: a due retransmission first, then (while
 * checking) a triggered check, then the waiting pair with the highest priority. Connected,
 * only the selected pair is checked, every consent interval. */
static struct ice_pair *agent_next_check(struct ice_agent *agent, uint64_t now_ms, bool *is_new)
{
    struct ice_pair *best = NULL;
    *is_new = false;
    for (size_t i = 0; i < agent->n_pairs; i++) {
        struct ice_pair *pair = &agent->pairs[i];
        if (pair->tx.active && now_ms >= pair->tx.next_ms &&
            (!best || pair->tx.next_ms < best->tx.next_ms))
            best = pair;
    }
    if (best || agent->state == ICE_FAILED)
        return best;
    *is_new = true;
    if (agent->state == ICE_CONNECTED) {
        struct ice_pair *pair = &agent->pairs[agent->selected];
        return !pair->tx.active && now_ms >= agent->next_consent_ms ? pair : NULL;
    }
    for (size_t i = 0; i < agent->n_pairs; i++) {
        struct ice_pair *pair = &agent->pairs[i];
        if (pair->triggered && !pair->tx.active)
            return pair;
    }
    for (size_t i = 0; i < agent->n_pairs; i++) {
        struct ice_pair *pair = &agent->pairs[i];
        if (pair->state == PAIR_WAITING && (!best || pair->priority > best->priority))
            best = pair;
    }
    return best;
}

/* Starts a new transaction on PAIR (a fresh transaction id, the current role). */
static bool agent_begin_transaction(struct ice_agent *agent, struct ice_pair *pair, uint64_t now_ms)
{
    struct ice_transaction *tx = &pair->tx;
    if (RAND_bytes(tx->txid, sizeof tx->txid) != 1)
        return false;
    tx->active = true;
    tx->controlling = agent->controlling;
    tx->transmissions = 0;
    tx->rto_ms = ICE_RTO_MS;
    pair->triggered = false;
    if (pair->state != PAIR_SUCCEEDED)
        pair->state = PAIR_IN_PROGRESS;
    if (agent->state == ICE_CONNECTED)
        agent->next_consent_ms = now_ms + ICE_AGENT_CONSENT_INTERVAL_MS;
    return true;
}

/* RFC 8445 §7.2.2 and §7.1.1: the check carries USERNAME, PRIORITY, our role and tiebreaker,
 * USE-CANDIDATE when controlling (aggressive nomination), MESSAGE-INTEGRITY keyed with the
 * peer's password, and FINGERPRINT. A retransmission repeats the same transaction. */
static int agent_send_check(struct ice_agent *agent, struct ice_pair *pair, uint64_t now_ms,
                            uint8_t *buf, size_t cap, size_t *len, struct sockaddr_storage *to)
{
    struct ice_transaction *tx = &pair->tx;
    size_t n = stun_encode_binding_request(
        buf, cap, tx->txid, agent->username, ICE_PRFLX_PRIORITY, tx->controlling, agent->tiebreaker,
        tx->controlling, (const uint8_t *)agent->remote_pwd, strlen(agent->remote_pwd));
    tx->transmissions++;
    tx->next_ms = now_ms + tx->rto_ms;
    tx->rto_ms = tx->rto_ms * 2 > ICE_RTO_MAX_MS ? ICE_RTO_MAX_MS : tx->rto_ms * 2;
    agent->next_pace_ms = now_ms + ICE_AGENT_TA_MS;
    if (!n)
        return -1;
    *len = n;
    *to = pair->remote;
    return 1;
}

int ice_agent_poll_output(struct ice_agent *agent, uint64_t now_ms, uint8_t *buf, size_t cap,
                          size_t *len, struct sockaddr_storage *to)
{
    *len = 0;
    agent_start_clock(agent, now_ms);
    agent_expire(agent, now_ms);
    if (agent->n_answers) {
        struct ice_answer answer = agent->answers[0];
        agent->n_answers--;
        memmove(agent->answers, agent->answers + 1, agent->n_answers * sizeof answer);
        if (answer.len > cap)
            return -1;
        memcpy(buf, answer.data, answer.len);
        *len = answer.len;
        *to = answer.to;
        return 1;
    }
    if (agent->state == ICE_FAILED || now_ms < agent->next_pace_ms)
        return 0;
    bool is_new;
    struct ice_pair *pair = agent_next_check(agent, now_ms, &is_new);
    if (!pair || (is_new && !agent_begin_transaction(agent, pair, now_ms)))
        return 0;
    return agent_send_check(agent, pair, now_ms, buf, cap, len, to);
}

static void agent_queue_answer(struct ice_agent *agent, const struct sockaddr *to,
                               const uint8_t *data, size_t len)
{
    if (!len || agent->n_answers == ICE_ANSWER_QUEUE)
        return; /* too big, or a flood of checks: the peer retransmits */
    struct ice_answer *answer = &agent->answers[agent->n_answers++];
    memcpy(answer->data, data, len);
    answer->len = len;
    addr_copy(&answer->to, to);
}

/* RFC 8445 §7.3.1.1: a role conflict is settled by the tiebreakers. Returns 487 when the peer
 * must change role, 0 when there is no conflict or we changed ours. */
static int agent_resolve_role(struct ice_agent *agent, const struct stun_msg *m)
{
    if (agent->controlling && m->ice_controlling) {
        if (agent->tiebreaker >= m->tiebreaker)
            return 487;
        agent->controlling = false;
    } else if (!agent->controlling && m->ice_controlled) {
        if (agent->tiebreaker < m->tiebreaker)
            return 487;
        agent->controlling = true;
    }
    return 0;
}

/* A full peer's check (RFC 8445 §7.3): answer it, learn a peer-reflexive candidate from an
 * unknown address (§7.3.1.3), check back (§7.3.1.4), and note its nomination (§7.3.1.5). */
static int agent_handle_request(struct ice_agent *agent, uint64_t now_ms,
                                const struct sockaddr *from, const uint8_t *p, size_t len,
                                const struct stun_msg *m)
{
    uint8_t out[ICE_ANSWER_MAX];
    int code = check_request(p, len, m, agent->local_ufrag, agent->remote_ufrag, agent->local_pwd);
    if (!code)
        code = agent_resolve_role(agent, m);
    if (code) {
        agent_queue_answer(agent, from, out,
                           write_error(out, sizeof out, m, code, agent->local_pwd));
        return -1;
    }
    agent_queue_answer(agent, from, out, write_success(out, sizeof out, m, from, agent->local_pwd));
    struct ice_pair *pair = find_pair(agent, from);
    if (!pair)
        pair = add_pair(agent, from, m->has_priority ? m->priority : 0);
    if (!pair || agent->state != ICE_CHECKING)
        return 0;
    if (!agent->controlling && m->use_candidate) {
        pair->peer_nominated = true;
        if (pair->state == PAIR_SUCCEEDED) {
            agent_select(agent, pair, now_ms);
            return 0;
        }
    }
    if (pair->state != PAIR_SUCCEEDED && !pair->tx.active)
        pair->triggered = true;
    return 0;
}

/* RFC 8445 §7.2.5.1 and RFC 8489 §9.1.5: a success must carry MESSAGE-INTEGRITY keyed with
 * the peer's password. An error must too, except 400 and 401, which the peer sends when it
 * could not verify our request and so cannot sign. */
static bool response_believable(const struct ice_agent *agent, const uint8_t *p, size_t len,
                                const struct stun_msg *m, bool success)
{
    const uint8_t *key = (const uint8_t *)agent->remote_pwd;
    bool authentic = stun_check_integrity(p, len, m, key, strlen(agent->remote_pwd));
    if (success)
        return authentic;
    if (!m->has_error)
        return false;
    if (m->has_integrity)
        return authentic;
    return m->error_code == 400 || m->error_code == 401;
}

/* An answer to one of our checks (RFC 8445 §7.2.5). */
static int agent_handle_response(struct ice_agent *agent, uint64_t now_ms,
                                 const struct sockaddr *from, const uint8_t *p, size_t len,
                                 const struct stun_msg *m)
{
    struct ice_pair *pair = NULL;
    for (size_t i = 0; i < agent->n_pairs && !pair; i++)
        if (agent->pairs[i].tx.active &&
            memcmp(agent->pairs[i].tx.txid, m->txid, STUN_TXID_SIZE) == 0)
            pair = &agent->pairs[i];
    if (!pair)
        return -1;
    bool success = stun_class(m->type) == STUN_CLASS_SUCCESS;
    if (!response_believable(agent, p, len, m, success))
        return -1;
    struct ice_transaction *tx = &pair->tx;
    tx->active = false;
    bool is_selected = agent->selected == (int)(pair - agent->pairs);
    /* §7.2.5.2.1: the answer must come from where the check went. */
    if (!addr_equal(from, (const struct sockaddr *)&pair->remote)) {
        if (!is_selected)
            pair->state = PAIR_FAILED;
        return 0;
    }
    if (success) {
        pair->state = PAIR_SUCCEEDED;
        if (is_selected && agent->state == ICE_CONNECTED)
            agent->last_consent_ms = now_ms;
        else if (agent->state == ICE_CHECKING && (tx->controlling || pair->peer_nominated))
            agent_select(agent, pair, now_ms);
        return 0;
    }
    if (m->error_code == 487) {
        /* §7.2.5.1: take the role opposite to the one the request claimed, and retry. */
        agent->controlling = !tx->controlling;
        if (pair->state != PAIR_SUCCEEDED)
            pair->state = PAIR_WAITING;
        pair->triggered = true;
        return 0;
    }
    if (is_selected && agent->state == ICE_CONNECTED && m->error_code == 401) {
        /* The peer no longer knows our username: it ended the session, or restarted without
         * it. Consent cannot come back; waiting the 30 s of RFC 7675 would only delay the
         * reconnection. (The transaction id, 96 random bits, keeps this from a blind spoof.) */
        agent_fail(agent);
        return 0;
    }
    if (!is_selected)
        pair->state = PAIR_FAILED;
    return 0;
}

int ice_agent_feed(struct ice_agent *agent, uint64_t now_ms, const struct sockaddr *from,
                   const uint8_t *p, size_t len)
{
    agent_start_clock(agent, now_ms);
    struct stun_msg m;
    const char *why;
    if (agent->state == ICE_FAILED || !stun_is_stun(p, len) || stun_decode(&m, p, len, &why) < 0 ||
        stun_method(m.type) != 1 || (m.has_fingerprint && !stun_check_fingerprint(p, len, &m)))
        return -1;
    switch (stun_class(m.type)) {
    case STUN_CLASS_REQUEST:
        return agent_handle_request(agent, now_ms, from, p, len, &m);
    case STUN_CLASS_SUCCESS:
    case STUN_CLASS_ERROR:
        return agent_handle_response(agent, now_ms, from, p, len, &m);
    default:
        return -1; /* indications: nothing to do */
    }
}

static uint64_t later(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}
static uint64_t sooner(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t ice_agent_next_timeout(const struct ice_agent *agent)
{
    if (agent->n_answers || !agent->started)
        return 0;
    if (agent->state == ICE_FAILED)
        return UINT64_MAX;
    uint64_t t = UINT64_MAX;
    bool work = false;
    for (size_t i = 0; i < agent->n_pairs; i++) {
        const struct ice_pair *pair = &agent->pairs[i];
        /* The last transmission's timeout needs no send slot; a retransmission does. */
        if (pair->tx.active)
            t = sooner(t, pair->tx.transmissions < ICE_MAX_TRANSMISSIONS
                              ? later(pair->tx.next_ms, agent->next_pace_ms)
                              : pair->tx.next_ms);
        else if (agent->state == ICE_CHECKING && (pair->triggered || pair->state == PAIR_WAITING))
            work = true;
    }
    if (agent->state == ICE_CHECKING) {
        t = sooner(t, agent->start_ms + ICE_AGENT_FAIL_MS);
        if (work)
            t = sooner(t, agent->next_pace_ms);
    } else {
        t = sooner(t, agent->last_consent_ms + ICE_CONSENT_TIMEOUT_MS);
        if (!agent->pairs[agent->selected].tx.active)
            t = sooner(t, later(agent->next_consent_ms, agent->next_pace_ms));
    }
    return t;
}

int ice_agent_state(const struct ice_agent *agent)
{
    return agent->state;
}

const struct sockaddr *ice_agent_selected(const struct ice_agent *agent)
{
    if (agent->state != ICE_CONNECTED || agent->selected < 0)
        return NULL;
    return (const struct sockaddr *)&agent->pairs[agent->selected].remote;
}

bool ice_agent_controlling(const struct ice_agent *agent)
{
    return agent->controlling;
}
