/* clock: monotonic milliseconds/microseconds for timers, and wall-clock NTP time for RTCP SRs.
 * Only layers above proto/ and rtc/ read the clock; engines are handed `now`. */
#ifndef ONAIR_BASE_CLOCK_H
#define ONAIR_BASE_CLOCK_H
#include <stdint.h>
#include <time.h>

uint64_t clock_now_us(void);
static inline uint64_t clock_now_ms(void) { return clock_now_us() / 1000; }
/* 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900 in the high 32 bits, fraction low. */
uint64_t clock_ntp_now(void);
/* Milliseconds since the Unix epoch, for times people read (chat messages). */
uint64_t clock_wall_ms(void);
/* The time MS milliseconds from now on CLOCK, for the waits that take a deadline:
 * CLOCK_REALTIME for pthread_timedjoin_np and a condition variable of default attributes. */
struct timespec clock_deadline(clockid_t clock, uint64_t ms);

#endif
