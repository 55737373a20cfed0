/* Tests for sfu/run_padding: the padding that lets a run of packets to one viewer leave as one
 * UDP GSO message. Each plan is checked against the kernel's rule as io/udp's batcher applies
 * it (one segment size, the last segment possibly shorter), on hand-made runs and on many
 * frames split as libwebrtc splits them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sfu/run_padding.h"

#define MAX_RUN 32

/* How many GSO messages the batcher makes of packets of SIZES: a packet joins the message
 * before it while that message has not had a shorter one yet and the packet is not longer. */
static size_t messages(const size_t *sizes, size_t n)
{
    size_t count = 0, segment = 0;
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        if (open && sizes[i] <= segment) {
            open = sizes[i] == segment;
            continue;
        }
        count++;
        segment = sizes[i];
        open = true;
    }
    return count;
}

/* Plans SIZES and checks what any plan must hold: no packet padded past RUN_PADDING_MAX or past
 * the longest of the run, and never more messages than without padding. Returns the messages
 * of the padded run and leaves the plan in PADS. */
static size_t plan(const size_t *sizes, size_t n, uint8_t *pads)
{
    size_t padded[MAX_RUN], longest = 0;
    run_padding_plan(sizes, n, pads);
    for (size_t i = 0; i < n; i++)
        longest = sizes[i] > longest ? sizes[i] : longest;
    for (size_t i = 0; i < n; i++) {
        assert_true(pads[i] <= RUN_PADDING_MAX);
        padded[i] = sizes[i] + pads[i];
        assert_true(padded[i] <= longest);
    }
    size_t count = messages(padded, n);
    assert_true(count <= messages(sizes, n));
    return count;
}

struct example {
    const char *what;
    size_t n;
    size_t sizes[8];
    uint8_t pads[8];
    size_t messages;
};

static void hand_made_runs(void **state)
{
    (void)state;
    static const struct example examples[] = {
        {"nothing", 0, {0}, {0}, 0},
        {"one packet", 1, {1200}, {0}, 1},
        {"libwebrtc's frame: the last packets a byte longer",
         5, {1000, 1000, 1000, 1001, 1001}, {1, 1, 1, 0, 0}, 1},
        {"one size and a short last: already one message", 3, {1200, 1200, 700}, {0, 0, 0}, 1},
        {"a slightly shorter packet inside the run", 3, {1000, 990, 1000}, {0, 10, 0}, 1},
        {"a shorter last packet within reach is left short", 3, {1000, 1000, 995}, {0, 0, 0}, 1},
        {"padding up by exactly the most", 2, {1000, 1016}, {16, 0}, 1},
        {"a byte past the most: two messages", 2, {1000, 1017}, {0, 0}, 2},
        {"a longer frame after a shorter one", 4, {1000, 1000, 1100, 1100}, {0, 0, 0, 0}, 2},
        {"a short packet ends a message; the next frame is padded on its own",
         4, {1000, 500, 1000, 1001}, {0, 0, 1, 0}, 2},
        {"raising the size keeps every earlier packet within reach",
         4, {1000, 1010, 1016, 1017}, {16, 6, 0, 0}, 2},
    };
    for (size_t e = 0; e < sizeof examples / sizeof *examples; e++) {
        const struct example *x = &examples[e];
        uint8_t pads[8];
        print_message("%s\n", x->what);
        assert_int_equal(plan(x->sizes, x->n, pads), x->messages);
        for (size_t i = 0; i < x->n; i++)
            assert_int_equal(pads[i], x->pads[i]);
    }
}

/* xorshift32: the same runs on every machine. */
static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A frame of BYTES split into K packets as libwebrtc's SplitAboutEqually does: the last
 * BYTES % K packets one byte longer than the others, each behind a header of HEADER bytes. */
static void split_about_equally(size_t bytes, size_t k, size_t header, size_t *sizes)
{
    size_t each = bytes / k, longer = bytes % k;
    for (size_t i = 0; i < k; i++)
        sizes[i] = header + each + (i >= k - longer);
}

static void libwebrtc_frames_leave_as_one_message(void **state)
{
    (void)state;
    uint32_t seed = 0x9e3779b9;
    size_t sizes[MAX_RUN];
    uint8_t pads[MAX_RUN];
    size_t uneven = 0;
    for (int frame = 0; frame < 10000; frame++) {
        size_t k = 1 + next_random(&seed) % MAX_RUN;
        size_t bytes = k * 600 + next_random(&seed) % (k * 600);
        split_about_equally(bytes, k, 12 + next_random(&seed) % 40, sizes);
        uneven += messages(sizes, k) > 1;
        assert_int_equal(plan(sizes, k, pads), 1);
    }
    assert_true(uneven > 5000); /* most frames needed the padding */
}

/* Any run at all, sizes within a few padding steps of each other or far apart. */
static void random_runs_keep_the_rules(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    size_t sizes[MAX_RUN];
    uint8_t pads[MAX_RUN];
    for (int run = 0; run < 100000; run++) {
        size_t n = next_random(&seed) % (MAX_RUN + 1);
        size_t spread = 1 + next_random(&seed) % (4 * RUN_PADDING_MAX);
        for (size_t i = 0; i < n; i++)
            sizes[i] = 1000 + next_random(&seed) % spread;
        plan(sizes, n, pads);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_made_runs),
        cmocka_unit_test(libwebrtc_frames_leave_as_one_message),
        cmocka_unit_test(random_runs_keep_the_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
