/* turn_client: a TURN allocation (RFC 8656) for onair's own clients behind NAT: Allocate with
 * the long-term credential, permissions for the peers, Send indications out and Data
 * indications in, refreshed before they lapse. Over UDP (the datagrams go through the client's
 * own socket, via a callback) or TCP (its own connection, RFC 8656 §2.1 framing). */
#ifndef ONAIR_APP_TURN_CLIENT_H
#define ONAIR_APP_TURN_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct turn_client;

struct turn_client_callbacks {
    /* UDP only: send P to the TURN server at TO from the client's socket. */
    void (*send_udp)(void *opaque, const uint8_t *p, size_t len, const struct sockaddr *to);
    /* Data the relay received from PEER. */
    void (*on_data)(void *opaque, const struct sockaddr *peer, uint8_t *data, size_t len);
    /* The allocation is ready (REASON NULL) or failed for good (REASON says why). */
    void (*on_state)(void *opaque, bool ready, const char *reason);
};

/* Starts an allocation on SERVER over UDP or TCP with USERNAME and PASSWORD (copied). */
struct turn_client *turn_client_new(uv_loop_t *loop, const struct sockaddr *server, bool tcp,
                                    const char *username, const char *password,
                                    const struct turn_client_callbacks *callbacks, void *opaque);
/* Deletes the allocation (best effort) and frees the client once libuv lets go. NULL: no-op. */
void turn_client_free(struct turn_client *tc);

/* UDP: whether a datagram from FROM is the TURN server's (then hand it to turn_client_feed). */
bool turn_client_is_server(const struct turn_client *tc, const struct sockaddr *from);
/* UDP: one datagram from the server. */
void turn_client_feed(struct turn_client *tc, const uint8_t *p, size_t len);

/* Lets PEER's address send to us through the relay (and us to it); kept until freed. */
void turn_client_permit(struct turn_client *tc, const struct sockaddr *peer);
/* Relays P to PEER. Returns 0, or -1 when the allocation is not ready (the data is dropped, as
 * a lost datagram would be). */
int turn_client_send(struct turn_client *tc, const struct sockaddr *peer, const uint8_t *p,
                     size_t len);

bool turn_client_ready(const struct turn_client *tc);
/* True once the allocation failed for good (on_state said why). */
bool turn_client_failed(const struct turn_client *tc);
/* The relayed address the server gave, once ready. */
const struct sockaddr *turn_client_relayed(const struct turn_client *tc);

#endif
