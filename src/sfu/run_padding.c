/* run_padding: one greedy pass. A message starts at its first packet and takes the next ones
 * while every packet so far can be padded up to the largest (at most RUN_PADDING_MAX bytes);
 * a packet too much smaller ends it as its short last segment, one too much larger starts the
 * next message. */
#include "sfu/run_padding.h"

void run_padding_plan(const size_t *sizes, size_t n, uint8_t *pads)
{
    size_t start = 0;
    while (start < n) {
        size_t segment = sizes[start], smallest = sizes[start], end = start + 1;
        while (end < n) {
            size_t size = sizes[end];
            if (size > segment) {
                if (size - smallest > RUN_PADDING_MAX)
                    break; /* too large to pad the others up to: the next message */
                segment = size;
            } else if (segment - size > RUN_PADDING_MAX) {
                end++; /* too small to pad: this message's short last segment */
                break;
            } else if (size < smallest) {
                smallest = size;
            }
            end++;
        }
        for (size_t i = start; i < end; i++)
            pads[i] = (uint8_t)(segment - sizes[i]);
        pads[end - 1] = 0; /* the last segment may be shorter than the others */
        start = end;
    }
}
