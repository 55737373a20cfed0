/* stun: STUN message view and encoders for ICE (RFC 8489 format, RFC 8445 ICE attributes). */
#ifndef ONAIR_PROTO_STUN_H
#define ONAIR_PROTO_STUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_SIZE 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TXID_SIZE 12
/* RFC 8489 §14.5: HMAC-SHA1 over the message; §14.7: CRC-32 XOR this constant. */
#define STUN_INTEGRITY_SIZE 20
#define STUN_FINGERPRINT_XOR 0x5354554eu

/* Message types (method and class already combined, RFC 8489 §5). */
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111

/* TURN (RFC 8656 §17): Allocate, Refresh and CreatePermission requests and their answers, and
 * the Send and Data indications. */
#define STUN_ALLOCATE_REQUEST 0x0003
#define STUN_ALLOCATE_SUCCESS 0x0103
#define STUN_ALLOCATE_ERROR 0x0113
#define STUN_REFRESH_REQUEST 0x0004
#define STUN_REFRESH_SUCCESS 0x0104
#define STUN_REFRESH_ERROR 0x0114
#define STUN_CREATE_PERMISSION_REQUEST 0x0008
#define STUN_CREATE_PERMISSION_SUCCESS 0x0108
#define STUN_CREATE_PERMISSION_ERROR 0x0118
#define STUN_SEND_INDICATION 0x0016
#define STUN_DATA_INDICATION 0x0017
/* Classes as returned by stun_class(). */
#define STUN_CLASS_REQUEST 0
#define STUN_CLASS_INDICATION 1
#define STUN_CLASS_SUCCESS 2
#define STUN_CLASS_ERROR 3

/* Attribute types (RFC 8489 §18.3, RFC 8445 §16.1). */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_LIFETIME 0x000D
#define STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define STUN_ATTR_DATA 0x0013
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY 0x0024
#define STUN_ATTR_USE_CANDIDATE 0x0025
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_ICE_CONTROLLED 0x8029
#define STUN_ATTR_ICE_CONTROLLING 0x802A

/* How many unknown comprehension-required attribute types a view remembers. */
#define STUN_MAX_UNKNOWN 8

/* A decoded STUN message. Pointers point into the decoded buffer and are valid as long as it
 * is; they are not NUL-terminated. Only the first occurrence of an attribute is kept. */
struct stun_msg {
    uint16_t type;   /* method and class, e.g. STUN_BINDING_REQUEST */
    uint16_t length; /* the header's length field: bytes after the 20-byte header */
    uint8_t txid[STUN_TXID_SIZE];

    const char *username; /* NULL when absent */
    size_t username_len;

    bool has_integrity;
    size_t integrity_offset; /* offset of the MESSAGE-INTEGRITY attribute header */
    bool has_fingerprint;
    size_t fingerprint_offset; /* offset of the FINGERPRINT attribute header */

    bool has_priority;
    uint32_t priority;
    bool use_candidate;
    bool ice_controlling, ice_controlled;
    uint64_t tiebreaker; /* from whichever of ICE-CONTROLLING / ICE-CONTROLLED came first */

    bool has_xor_mapped;
    struct sockaddr_storage xor_mapped; /* AF_INET or AF_INET6 */

    /* TURN (RFC 8656): the long-term credential's realm and nonce, the allocation's relayed
     * address and lifetime, and a Data indication's peer and payload. */
    const char *realm, *nonce;
    size_t realm_len, nonce_len;
    bool has_xor_relayed, has_xor_peer, has_lifetime, has_data;
    struct sockaddr_storage xor_relayed, xor_peer;
    uint32_t lifetime; /* seconds */
    const uint8_t *data;
    size_t data_len;
    bool has_error;
    int error_code; /* 300..699 */
    const char *error_reason;
    size_t error_reason_len;

    /* Comprehension-required attributes (type < 0x8000) this decoder does not understand, in
     * order of appearance (at most STUN_MAX_UNKNOWN are listed; n_unknown counts them all). */
    uint16_t unknown[STUN_MAX_UNKNOWN];
    size_t n_unknown;
};

/* RFC 7983 demultiplexing plus the RFC 8489 header: first byte 0..3, at least a header long,
 * and the magic cookie in place. */
bool stun_is_stun(const uint8_t *p, size_t len);

/* The class (STUN_CLASS_*) and method (1 = Binding) encoded in a message type. */
static inline int stun_class(uint16_t type)
{
    return ((type >> 7) & 2) | ((type >> 4) & 1);
}
static inline int stun_method(uint16_t type)
{
    return (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80);
}

/* Decodes one whole datagram P[0..LEN) into *OUT. Returns 0, or -1 with *why set to a static
 * sentence. Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored (RFC 8489
 * §14.5); nothing may follow FINGERPRINT. Integrity and fingerprint are only located here;
 * check them with the two functions below. */
int stun_decode(struct stun_msg *out, const uint8_t *p, size_t len, const char **why);

/* True when M (decoded from P[0..LEN)) carries a MESSAGE-INTEGRITY that is the HMAC-SHA1 of
 * the message under KEY (for ICE, the password of whoever is to answer the request). */
bool stun_check_integrity(const uint8_t *p, size_t len, const struct stun_msg *m,
                          const uint8_t *key, size_t key_len);
/* True when M carries a FINGERPRINT that matches the message. */
bool stun_check_fingerprint(const uint8_t *p, size_t len, const struct stun_msg *m);

/* Encoders write one message into DST[0..CAP) and return its size, or 0 when it does not fit.
 * TXID is STUN_TXID_SIZE bytes. A KEY with KEY_LEN > 0 adds MESSAGE-INTEGRITY. */

/* Binding success: XOR-MAPPED-ADDRESS (an IPv4-mapped IPv6 address is reported as IPv4),
 * then MESSAGE-INTEGRITY if keyed, then FINGERPRINT if asked. */
size_t stun_encode_binding_success(uint8_t *dst, size_t cap, const uint8_t *txid,
                                   const struct sockaddr *mapped, const uint8_t *key,
                                   size_t key_len, bool fingerprint);
/* Binding error response with ERROR-CODE CODE (300..699) and REASON (NULL for none; cut to
 * 127 characters), MESSAGE-INTEGRITY if keyed, and FINGERPRINT (RFC 8445 §7.1). */
size_t stun_encode_binding_error(uint8_t *dst, size_t cap, const uint8_t *txid, int code,
                                 const char *reason, const uint8_t *key, size_t key_len);
/* 420 Unknown Attribute answer listing the attribute types the request carried that we do
 * not understand (RFC 8489 §14.9), with FINGERPRINT. */
size_t stun_encode_binding_error_unknown(uint8_t *dst, size_t cap, const uint8_t *txid,
                                         const uint16_t *unknown, size_t n_unknown);
/* Binding request for an ICE connectivity check (RFC 8445 §7.1.1): USERNAME, PRIORITY,
 * ICE-CONTROLLING or ICE-CONTROLLED with TIEBREAKER, USE-CANDIDATE if asked (only sent when
 * controlling), MESSAGE-INTEGRITY if keyed, FINGERPRINT. USERNAME NULL leaves it out. */
size_t stun_encode_binding_request(uint8_t *dst, size_t cap, const uint8_t *txid,
                                   const char *username, uint32_t priority, bool controlling,
                                   uint64_t tiebreaker, bool use_candidate, const uint8_t *key,
                                   size_t key_len);

/* What a TURN message carries besides its header (fields left zero or NULL are left out). */
struct stun_turn_attrs {
    bool requested_udp;         /* REQUESTED-TRANSPORT: UDP (17), for Allocate */
    bool has_lifetime;
    uint32_t lifetime;          /* seconds; 0 in a Refresh deletes the allocation */
    const struct sockaddr *peer; /* XOR-PEER-ADDRESS */
    const uint8_t *data;         /* DATA, for Send */
    size_t data_len;
    /* The long-term credential (RFC 8489 §9.2): all three or none. */
    const char *username, *realm, *nonce;
};
/* Encodes a TURN request or indication TYPE (STUN_ALLOCATE_REQUEST, ...) with ATTRS, then
 * MESSAGE-INTEGRITY when KEY_LEN > 0 (the long-term key, stun_long_term_key). Returns the size,
 * or 0 when it does not fit. */
size_t stun_encode_turn(uint8_t *dst, size_t cap, uint16_t type, const uint8_t *txid,
                        const struct stun_turn_attrs *attrs, const uint8_t *key, size_t key_len);
/* The long-term credential key (RFC 8489 §9.2.2): MD5(USERNAME ":" REALM ":" PASSWORD), 16
 * bytes into KEY. REALM is REALM_LEN bytes (as decoded, not NUL-terminated). */
void stun_long_term_key(const char *username, const char *realm, size_t realm_len,
                        const char *password, uint8_t key[16]);

#endif
