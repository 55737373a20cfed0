/* bench/fanout-instructions: the SFU's own work per packet sent to a viewer, for callgrind,
 * which counts instructions the same from run to run on this noisy machine (CPU time per
 * packet moves by more than a small change costs; perf has no counters here, and valgrind
 * cannot run the server: FFmpeg's libhwy uses an instruction it does not know).
 *
 * One publisher sends 3 s of a 720p30 VP8 stream as Chromium does (picture IDs and TL0PICIDX
 * in every descriptor, ~8 packets of 1,100 bytes a frame, a keyframe each 2 s) and Opus, and
 * VIEWERS viewers get it through sinks that take the packet and do nothing with it: what is
 * counted is the SFU's part (parse, history, rewrite, renumbering), not sealing or sending.
 *
 *   valgrind --tool=callgrind --toggle-collect=send_stream build/fanout-instructions 200
 *
 * then the total over the packets sent it prints is instructions per packet. */
#include "sfu_fixture.h"

enum { FRAMES = 90, PACKETS_PER_FRAME = 8, PAYLOAD = 1100 };

static uint64_t sent;
static uint8_t slot[2048]; /* past the largest packet the SFU builds with its SRTP room */

static void take_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    (void)opaque, (void)pkt, (void)len, (void)cap;
    sent++;
}

static void take_rtcp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    (void)opaque, (void)pkt, (void)len, (void)cap;
}

/* Where the server's sink has packets built: its send queue's slot. */
static uint8_t *send_slot(void *opaque, size_t *cap)
{
    (void)opaque;
    *cap = sizeof slot;
    return slot;
}

static const struct sfu_sink sink = {take_rtp, take_rtcp, NULL, send_slot};

/* A VP8 packet with Chromium's descriptor: X, S on a frame's first packet, a 15-bit picture
 * ID and TL0PICIDX. */
static size_t chromium_vp8(uint8_t *buf, uint16_t seq, uint32_t ts, bool first, bool keyframe,
                           uint16_t picture_id, uint8_t tl0)
{
    uint8_t *p = buf;
    *p++ = 0x80;
    *p++ = PUB_VP8_PT;
    p = be16_write(p, seq);
    p = be32_write(p, ts);
    p = be32_write(p, 0x1111);
    *p++ = first ? 0x90 : 0x80; /* X, S */
    *p++ = 0xc0;                /* I, L */
    *p++ = (uint8_t)(0x80 | picture_id >> 8);
    *p++ = (uint8_t)picture_id;
    *p++ = tl0;
    if (first)
        *p++ = keyframe ? 0x50 : 0x51;
    while (p < buf + PAYLOAD)
        *p = (uint8_t)(p - buf), p++;
    return (size_t)(p - buf);
}

/* The stream, frame by frame: what callgrind counts (--toggle-collect). */
__attribute__((noinline)) static void send_stream(struct sfu *sfu, struct sfu_publisher *pub)
{
    uint8_t pkt[PAYLOAD + 64];
    uint16_t seq = 1000, audio_seq = 50;
    uint64_t now = 1000000;
    for (int f = 0; f < FRAMES; f++, now += 33333) {
        uint32_t ts = (uint32_t)(now * 90 / 1000);
        for (int k = 0; k < PACKETS_PER_FRAME; k++) {
            size_t n = chromium_vp8(pkt, seq++, ts, k == 0, f % 60 == 0 && k == 0,
                                    (uint16_t)(f + 300), (uint8_t)(f / 3));
            sfu_publisher_rtp(pub, now, pkt, n);
            sfu_flush(sfu);
        }
        if (f % 3 == 0) { /* ~20 ms of Opus per 33 ms frame: close enough */
            size_t n = opus_packet(pkt, 0x2222, audio_seq++, (uint32_t)(now * 48 / 1000));
            sfu_publisher_rtp(pub, now, pkt, n);
            sfu_flush(sfu);
        }
    }
}

int main(int argc, char **argv)
{
    int viewers = argc > 1 ? atoi(argv[1]) : 200;
    struct sfu_config config = {.max_bitrate = 2500000};
    struct sfu *sfu = sfu_new(&config);
    struct sfu_track_desc pt[2];
    struct sfu_viewer_track_desc vt[2];
    publisher_tracks(pt, 0x1111, 0x2222);
    pt[0].ext_ids[SFU_EXT_ABS_SEND_TIME] = 0; /* Chromium's packets here carry no extension */
    pt[0].ext_ids[SFU_EXT_MID] = 0;
    viewer_tracks(vt);
    const char *why;
    struct sfu_publisher *pub = sfu_publisher_attach(sfu, "clip", pt, 2, &sink, NULL, &why);
    if (!sfu || !pub || viewers < 1)
        return 1;
    struct sfu_viewer **watching = calloc((size_t)viewers, sizeof *watching);
    if (!watching)
        return 1;
    for (int i = 0; i < viewers; i++) {
        watching[i] = sfu_viewer_attach(sfu, "clip", vt, 2, &sink, NULL);
        sfu_viewer_start(watching[i], 0);
    }
    send_stream(sfu, pub);
    printf("%d viewers, %llu packets sent\n", viewers, (unsigned long long)sent);
    for (int i = 0; i < viewers; i++)
        sfu_viewer_detach(watching[i]);
    free(watching);
    sfu_publisher_detach(pub);
    sfu_free(sfu);
    return 0;
}
