/* run_padding: RTP padding that lets a run of packets to one viewer leave as one UDP GSO
 * message. The kernel cuts a GSO message into segments of one size, the last one possibly
 * smaller; libwebrtc splits a frame "about equally", its last packets a byte longer than the
 * first (RtpPacketizer::SplitAboutEqually), so Chromium's frames would go out as two messages
 * each. Padding the shorter packets up to the longer costs a few bytes and saves a message
 * (its share of the kernel's send path, about 1.6 µs on loopback here). Pure. */
#ifndef ONAIR_SFU_RUN_PADDING_H
#define ONAIR_SFU_RUN_PADDING_H
#include <stddef.h>
#include <stdint.h>

/* The most padding given to one packet: 1.3 % of a 1,200-byte packet. */
#define RUN_PADDING_MAX 16

/* Sets PADS[i] (0..RUN_PADDING_MAX) for the run of N packets of SIZES[i] bytes, so that the
 * padded sizes split into as few GSO messages as a greedy pass finds: each message one size,
 * but its last packet may be smaller. A packet is padded only when that keeps it in a message
 * with the packets around it; the last packet of a message never is. */
void run_padding_plan(const size_t *sizes, size_t n, uint8_t *pads);

#endif
