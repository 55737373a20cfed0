/* backoff: how long to wait before trying a lost peer again (a camera, a file, an origin): 1, 2,
 * 4 ... seconds, doubling per failure up to a ceiling, so a server that is down is not hammered
 * and one that is back is found soon. Pure. */
#ifndef ONAIR_BASE_BACKOFF_H
#define ONAIR_BASE_BACKOFF_H

/* The seconds to wait after FAILURES failed attempts in a row (1 after the first), at most
 * MAX_S. */
static inline unsigned backoff_s(unsigned failures, unsigned max_s)
{
    /* Past 2^31 the shift would overflow; any ceiling a caller sets is far below that. */
    unsigned wait_s = failures == 0 ? 1 : failures > 31 ? max_s : 1u << (failures - 1);
    return wait_s < max_s ? wait_s : max_s;
}

#endif
