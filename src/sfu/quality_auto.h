/* quality_auto: when a viewer that let the server choose its simulcast quality should step down
 * to a smaller layer or try a larger one, from the loss its receiver reports show (RFC 3550
 * §6.4.1, of its video).
 *
 * Loss is what a link too narrow for its layer shows first: the queue in front of it overflows.
 * Chromium counts a packet repaired by a retransmission as received, so its reports show what
 * repairs did not mend, and a layer that costs more than the link carries shows it within a
 * second or two. Chromium sends a report with each of its NACKs and PLIs too, so reports come
 * tens of milliseconds apart at times, their fraction-lost field over a handful of packets: the
 * loss is worked out here instead, from the cumulative figures, over windows of at least
 * QUALITY_AUTO_WINDOW_US, and a window starts afresh at each step, so the loss of the layer left
 * is not held against the next.
 *
 * A link with room shows no loss, but nothing says how much room: a larger layer is tried after
 * a while without loss, and given up at once when loss follows; each failed try doubles the wait
 * before the next, so a viewer near its link's limit does not see its picture change every few
 * seconds.
 *
 * Pure: the caller brings the reports, the time, and what can be done. */
#ifndef ONAIR_SFU_QUALITY_AUTO_H
#define ONAIR_SFU_QUALITY_AUTO_H
#include <stdbool.h>
#include <stdint.h>

/* Loss is judged over windows at least this long ... */
#define QUALITY_AUTO_WINDOW_US 1000000
/* ... and a window of fewer packets than this is too small to call bad. */
#define QUALITY_AUTO_MIN_PACKETS 10
/* Loss (of 256) over which a window is bad: two bad windows in a row step down ... */
#define QUALITY_AUTO_BAD_LOSS 26 /* ~10 % */
/* ... or one over this at once. */
#define QUALITY_AUTO_BAD_LOSS_NOW 64 /* 25 % */
/* Loss (of 256) up to which a window is clean. Between the two a window is neither. */
#define QUALITY_AUTO_CLEAN_LOSS 5 /* ~2 % */
/* How long windows must stay clean before a larger layer is tried, at first ... */
#define QUALITY_AUTO_WAIT_UP_US 8000000
/* ... and at most, after failed tries. */
#define QUALITY_AUTO_WAIT_UP_MAX_US 120000000
/* A step down this soon after a step up means the try failed. */
#define QUALITY_AUTO_TRY_US 10000000

enum quality_step { QUALITY_STAY, QUALITY_DOWN, QUALITY_UP };

struct quality_auto {
    /* Where the current window started: a report's figures, and when it came. */
    bool have_mark;
    uint32_t mark_seq;
    int32_t mark_lost;
    uint64_t mark_us;
    uint64_t clean_since_us; /* since when every window was clean */
    uint64_t raised_us;      /* when the last step up was taken, if RAISED */
    bool raised;
    uint64_t wait_up_us;  /* clean time a step up needs now */
    unsigned bad_windows; /* bad windows in a row */
};

void quality_auto_init(struct quality_auto *q, uint64_t now_us);
/* A receiver report block of the viewer's video at NOW_US: its extended highest sequence number
 * received and cumulative number of packets lost. CAN_DOWN and CAN_UP say whether a smaller and
 * a larger layer exist for it now. Returns the step to take; the state assumes it is taken. */
enum quality_step quality_auto_report(struct quality_auto *q, uint32_t highest_seq,
                                      int32_t cumulative_lost, uint64_t now_us, bool can_down,
                                      bool can_up);
/* The loss (of 256, 0..255) of EXPECTED packets of which LOST were lost; none for no packets. */
uint8_t quality_auto_loss(uint32_t expected, int64_t lost);
#endif
