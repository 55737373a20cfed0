/* quality_auto: stepping a viewer's simulcast quality by the loss it reports (quality_auto.h). */
#include "sfu/quality_auto.h"

void quality_auto_init(struct quality_auto *q, uint64_t now_us)
{
    *q = (struct quality_auto){.clean_since_us = now_us, .wait_up_us = QUALITY_AUTO_WAIT_UP_US};
}

uint8_t quality_auto_loss(uint32_t expected, int64_t lost)
{
    if (!expected || lost <= 0) /* duplicates make the cumulative figure fall */
        return 0;
    if ((uint64_t)lost >= expected)
        return 255;
    return (uint8_t)((uint64_t)lost * 256 / expected);
}

/* Both steps start the next window at the next report. */
static enum quality_step take(struct quality_auto *q, enum quality_step step, uint64_t now_us)
{
    if (step == QUALITY_DOWN) {
        bool try_failed = q->raised && now_us - q->raised_us < QUALITY_AUTO_TRY_US;
        if (!try_failed)
            q->wait_up_us = QUALITY_AUTO_WAIT_UP_US;
        else if (q->wait_up_us < QUALITY_AUTO_WAIT_UP_MAX_US / 2)
            q->wait_up_us *= 2;
        else
            q->wait_up_us = QUALITY_AUTO_WAIT_UP_MAX_US;
        q->raised = false;
    } else {
        q->raised = true;
        q->raised_us = now_us;
    }
    q->have_mark = false;
    q->bad_windows = 0;
    q->clean_since_us = now_us;
    return step;
}

enum quality_step quality_auto_report(struct quality_auto *q, uint32_t highest_seq,
                                      int32_t cumulative_lost, uint64_t now_us, bool can_down,
                                      bool can_up)
{
    if (!q->have_mark || now_us < q->mark_us + QUALITY_AUTO_WINDOW_US) {
        if (!q->have_mark) {
            q->have_mark = true;
            q->mark_seq = highest_seq;
            q->mark_lost = cumulative_lost;
            q->mark_us = now_us;
        }
        return QUALITY_STAY;
    }
    uint32_t expected = highest_seq - q->mark_seq;
    if (expected > INT32_MAX) /* the report went backwards (reordered): not a window */
        return QUALITY_STAY;
    uint8_t loss = quality_auto_loss(expected, (int64_t)cumulative_lost - q->mark_lost);
    q->mark_seq = highest_seq;
    q->mark_lost = cumulative_lost;
    q->mark_us = now_us;

    if (loss > QUALITY_AUTO_CLEAN_LOSS)
        q->clean_since_us = now_us;
    if (loss <= QUALITY_AUTO_BAD_LOSS || expected < QUALITY_AUTO_MIN_PACKETS) {
        q->bad_windows = 0;
    } else {
        q->bad_windows++;
        if (can_down && (q->bad_windows >= 2 || loss > QUALITY_AUTO_BAD_LOSS_NOW))
            return take(q, QUALITY_DOWN, now_us);
    }
    if (loss <= QUALITY_AUTO_CLEAN_LOSS && can_up && now_us - q->clean_since_us >= q->wait_up_us)
        return take(q, QUALITY_UP, now_us);
    return QUALITY_STAY;
}
