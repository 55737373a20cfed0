/* paced_sender: app/pacer on a libuv timer. Packets pushed leave through the callback when the
 * pacer lets them: at once if the budget allows (from inside paced_sender_push), else from the
 * timer, which wakes at the pacer's next time (libuv timers count whole milliseconds). */
#ifndef ONAIR_APP_PACED_SENDER_H
#define ONAIR_APP_PACED_SENDER_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Sends one packet; must not close its paced_sender. */
typedef void (*paced_sender_cb)(void *opaque, size_t track, const uint8_t *data, size_t len);

struct paced_sender;

struct paced_sender *paced_sender_new(uv_loop_t *loop, paced_sender_cb send, void *opaque);
/* Queues a copy of the packet (over PACER_MAX_PACKET bytes: sent at once, unpaced) and sends
 * what may leave now. */
void paced_sender_push(struct paced_sender *ps, size_t track, const uint8_t *data, size_t len);
/* Drops what waits; no callback follows. Freed once libuv lets go of the timer. NULL: no-op. */
void paced_sender_close(struct paced_sender *ps);

#endif
