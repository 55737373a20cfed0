/* sctp: an SCTP association carrying WebRTC data channels (RFC 8831, RFC 8832, RFC 8261) over
 * usrsctp without its threads and without sockets: SCTP packets in with sctp_feed (the DTLS
 * application data), packets out with sctp_poll_output (to dtls_write), timers by the caller,
 * events pulled with sctp_poll_event. */
#ifndef ONAIR_RTC_SCTP_H
#define ONAIR_RTC_SCTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Naming note: libusrsctp exports its internal functions unprefixed (sctp_close, sctp_init,
 * sctp_shutdown, sctp_finish, ...), and a function of ours with the same name would interpose
 * on them at dynamic link time. Nothing here may take such a name; the unit test checks the
 * names below against the library. The event struct is sctp_dc_event because usrsctp.h already
 * defines struct sctp_event. */

/* The SCTP port WebRTC uses unless the SDP's a=sctp-port says otherwise (RFC 8841 §5). */
#define SCTP_DC_DEFAULT_PORT 5000
/* The a=max-message-size we offer by default (RFC 8841 §6): 256 KiB. */
#define SCTP_DC_MAX_MESSAGE_SIZE (256 * 1024)
/* The largest SCTP packet the engine writes: it travels as one DTLS record inside one UDP
 * datagram, so it leaves DTLS_MTU (1200) room for the record header, explicit nonce and tag. */
#define SCTP_DC_MTU 1150
/* Streams offered in each direction, and so the channel ids usable (0 .. SCTP_DC_STREAMS - 1). */
#define SCTP_DC_STREAMS 1024
/* How often the engine wants sctp_handle_timeout while an association exists, in ms. */
#define SCTP_DC_TICK_MS 10

/* Prepares usrsctp for this process: usrsctp_init_nothreads and its sysctls. usrsctp keeps all
 * its state (endpoints, associations, the timer wheel) in process globals, so this is global
 * too; sctp_new calls it, and calling it again does nothing. Thread-safe. */
void sctp_global_setup(void);

struct sctp;

/* Makes an engine for one peer: an SCTP endpoint on LOCAL_PORT that connects to REMOTE_PORT
 * (both sides send INIT, as browsers do; SCTP resolves the collision). CLIENT is our DTLS role:
 * RFC 8832 §6 gives the DTLS client even stream ids and the server odd ones. Messages larger than
 * MAX_MESSAGE_SIZE (0 means SCTP_DC_MAX_MESSAGE_SIZE) are refused both ways. The INIT is ready
 * in sctp_poll_output at once; create the engine when DTLS is connected. Free with sctp_free. */
struct sctp *sctp_new(uint16_t local_port, uint16_t remote_port, bool client,
                      size_t max_message_size);
/* Aborts the association (an ABORT is queued but never sent) and frees the engine and every
 * event and message it holds. NULL is a no-op. */
void sctp_free(struct sctp *s);

/* Handles one SCTP packet from the peer (a DTLS application-data record) at NOW_MS. Bad packets
 * are dropped by SCTP itself. Returns 0, or -1 when the association is closed. */
int sctp_feed(struct sctp *s, uint64_t now_ms, const uint8_t *p, size_t len);
/* Copies the next packet to send into BUF[0..CAP) and returns its size (at most SCTP_DC_MTU);
 * 0 when there is none; -1, dropping it, when CAP is too small. */
ssize_t sctp_poll_output(struct sctp *s, uint8_t *buf, size_t cap);

/* When sctp_handle_timeout is next due, on the caller's clock in ms (the one given to sctp_feed
 * and sctp_handle_timeout), or UINT64_MAX once the association is closed. usrsctp has no query
 * for its next timer, so while an association exists this is simply the last time seen plus
 * SCTP_DC_TICK_MS. */
uint64_t sctp_next_timeout(const struct sctp *s);
/* Advances usrsctp's timers to NOW_MS (process-wide: the first engine to call with a new time
 * advances them for all) and sends what became sendable. Harmless to call early. The caller's
 * clock must be one monotonic clock shared by every engine in the process, running at the wall
 * clock's pace: usrsctp also reads the wall clock itself (RTT samples, and on a T3 timeout it
 * retransmits only chunks sent at least an RTO ago by that clock), so an accelerated test clock
 * never retransmits a lost tail. */
void sctp_handle_timeout(struct sctp *s, uint64_t now_ms);

enum sctp_dc_event_type {
    SCTP_DC_CONNECTED,      /* the association is up; channels may send */
    SCTP_DC_CHANNEL_OPEN,   /* a channel opened: by the peer's DCEP OPEN, or ours was ACKed */
    SCTP_DC_MESSAGE,        /* a whole message arrived on an open channel */
    SCTP_DC_CHANNEL_CLOSED, /* the channel's streams were reset; its id is free again */
    SCTP_DC_CLOSED,         /* the association ended (shutdown, abort or failure) */
};

/* One event. Pointers are owned by the engine and valid until the next sctp_poll_event or
 * sctp_free. label and protocol are NUL-terminated. */
struct sctp_dc_event {
    enum sctp_dc_event_type type;
    uint16_t id; /* the channel (stream id), for the channel events */
    /* SCTP_DC_CHANNEL_OPEN */
    bool remote;          /* the peer opened it (else it is ours, now acknowledged) */
    uint8_t channel_type; /* enum dcep_channel_type: ordering and reliability */
    uint32_t reliability; /* max retransmissions or lifetime in ms */
    uint16_t priority;
    const char *label, *protocol;
    /* SCTP_DC_MESSAGE */
    bool binary; /* from the PPID: binary (53, 57) or string (51, 56) */
    const uint8_t *data;
    size_t len; /* 0 for an empty message */
};

/* Takes the next event into *EV. Returns 1 when one was taken, 0 when there is none. */
int sctp_poll_event(struct sctp *s, struct sctp_dc_event *ev);

/* Opens a channel with DCEP (RFC 8832 §6): sends DATA_CHANNEL_OPEN on stream ID, or on the next
 * free id of our parity when ID is negative. CHANNEL_TYPE is an enum dcep_channel_type,
 * RELIABILITY its parameter. Messages may be sent at once (unordered ones go ordered until the
 * ACK, as §6 asks); SCTP_DC_CHANNEL_OPEN with remote false reports the ACK. Works before the
 * association is up (everything waits for it). Returns the id, or -EINVAL (bad type or id),
 * -EBUSY (id in use), -ENOSPC (no free id), -EPIPE (association closed). Strings are copied. */
int sctp_open_channel(struct sctp *s, int id, const char *label, const char *protocol,
                      uint8_t channel_type, uint32_t reliability, uint16_t priority);
/* Declares a channel negotiated out of band (RTCDataChannelInit negotiated: true, RFC 8832 §1):
 * no DCEP, open at once on both sides, no event. Returns 0 or the errors of sctp_open_channel. */
int sctp_accept_negotiated(struct sctp *s, uint16_t id, const char *label, const char *protocol,
                           uint8_t channel_type, uint32_t reliability, uint16_t priority);

/* Sends one message on channel ID with the channel's ordering and partial reliability (RFC 3758
 * through usrsctp's SCTP_PR_SCTP_RTX / SCTP_PR_SCTP_TTL). BINARY picks the PPID; an empty
 * message goes as one zero byte with the empty PPID (RFC 8831 §6.6). The bytes are copied when
 * they must wait. Returns 0, -EMSGSIZE (LEN above the max message size), -ENOENT (no such
 * channel) or -EPIPE (channel closing or association closed). */
int sctp_send(struct sctp *s, uint16_t id, bool binary, const uint8_t *p, size_t len);
/* Bytes of channel ID's messages waiting in the engine because usrsctp's send buffer is full:
 * the backpressure signal (like RTCDataChannel.bufferedAmount, without what usrsctp already
 * holds). The engine never refuses a message for being queued; the caller bounds it with this.
 * 0 for an unknown channel. */
size_t sctp_buffered(const struct sctp *s, uint16_t id);
/* Bytes accepted by usrsctp for the whole association and not yet acknowledged by the peer. */
size_t sctp_buffered_association(const struct sctp *s);

/* Closes channel ID (RFC 8831 §6.7): once its queued messages are handed to SCTP, resets its
 * outgoing stream; the peer resets its own, and SCTP_DC_CHANNEL_CLOSED follows. Returns 0 or
 * -ENOENT. */
int sctp_close_channel(struct sctp *s, uint16_t id);
/* Starts a graceful SHUTDOWN of the association; SCTP_DC_CLOSED follows. */
void sctp_stop(struct sctp *s);

/* Stops (PAUSED true) or resumes taking what the peer sends. While paused, arriving data stays
 * in usrsctp's receive buffer, whose window closes, so the peer's SCTP slows down and its
 * RTCDataChannel.bufferedAmount grows: the backpressure a relay passes back to a sender whose
 * receivers cannot keep up. Everything on the association waits, notifications included; the
 * window is SCTP_DC_RECEIVE_BUFFER, so a pause costs at most that much memory. */
void sctp_pause_receive(struct sctp *s, bool paused);
bool sctp_receive_paused(const struct sctp *s);

/* True between SCTP_DC_CONNECTED and SCTP_DC_CLOSED. */
bool sctp_connected(const struct sctp *s);
/* Whether the peer agreed to I-DATA (RFC 8260), so large messages interleave with small ones. */
bool sctp_interleaving(const struct sctp *s);

#endif
