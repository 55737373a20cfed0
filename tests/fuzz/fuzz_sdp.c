/* fuzz_sdp: sdp_parse_fragment (a PATCH body) and sdp_parse, then sdp_write of what sdp_parse
 * made into buffers of many sizes (what is written must parse again, and writing that must give
 * the same text); then the server's offer/answer policy on the parsed offer, whose answers must
 * be valid SDP too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sdp.h"
#include "sfu/negotiate.h"

/* The fuzzer aborts on any broken promise, not only on memory errors. */
static void require(int condition)
{
    if (!condition)
        abort();
}

/* Every string of a parsed session is terminated inside its field. */
static void check_strings(const struct sdp_session *s)
{
    require(memchr(s->bundle, 0, sizeof s->bundle) != NULL);
    require(s->n_media <= SDP_MAX_MEDIA);
    for (size_t i = 0; i < s->n_media; i++) {
        const struct sdp_media *m = &s->media[i];
        require(m->n_codecs <= SDP_MAX_CODECS && m->n_extmaps <= SDP_MAX_EXTMAPS &&
                m->n_candidates <= SDP_MAX_CANDIDATES);
        require(memchr(m->mid, 0, sizeof m->mid) && memchr(m->msid, 0, sizeof m->msid));
        for (size_t c = 0; c < m->n_codecs; c++)
            require(m->codecs[c].pt <= 127 && memchr(m->codecs[c].fmtp, 0, 256));
        /* The helpers only read. */
        (void)sdp_media_ice_ufrag(s, m);
        (void)sdp_media_setup(s, m);
        (void)sdp_in_bundle(s, m->mid);
        /* A codec is compatible with itself, and compatibility goes both ways. */
        for (size_t c = 0; c < m->n_codecs; c++) {
            struct sdp_codec_id id = sdp_codec_id(&m->codecs[c]);
            require(memchr(id.name, 0, sizeof id.name) && sdp_codec_id_equal(&id, &id));
        }
        if (m->n_codecs >= 2)
            require(sdp_codec_compatible(&m->codecs[0], &m->codecs[1]) ==
                    sdp_codec_compatible(&m->codecs[1], &m->codecs[0]));
    }
}

/* S written into a heap buffer of exactly CAP bytes (so that AddressSanitizer sees a byte too
 * far): it fits when CAP exceeds the text's length N, and is refused otherwise. */
static void write_into(const struct sdp_session *s, size_t cap, size_t n, const char *text)
{
    char *buf = malloc(cap ? cap : 1);
    size_t got = sdp_write(s, buf, cap);
    if (cap > n)
        require(got == n && memcmp(buf, text, n + 1) == 0);
    else
        require(got == 0);
    free(buf);
}

/* Writes S into TEXT, parses it into AGAIN (which must succeed) and returns the length. */
static size_t write_and_reparse(const struct sdp_session *s, char *text, size_t cap,
                                struct sdp_session *again)
{
    size_t n = sdp_write(s, text, cap);
    require(n > 0 && n < cap && text[n] == 0 && strlen(text) == n);
    const char *why = NULL;
    if (sdp_parse(again, text, n, &why) != 0)
        abort();
    check_strings(again);
    require(again->n_media == s->n_media);
    return n;
}

static const char server_ips[][64] = {"192.0.2.1", "2001:db8::1"};
static const struct negotiate_local local = {
    .origin_id = 1,
    .ice_ufrag = "srvufrag",
    .ice_pwd = "srvpassword0123456789abc",
    .fingerprint = "sha-256 AA:BB:CC",
    .candidate_ips = server_ips,
    .n_candidate_ips = 2,
    .port = 50000,
    .cname = "onair",
    .stream_id = "cam1",
    .ssrcs = {[SFU_AUDIO] = 1001, [SFU_VIDEO] = 2001},
    .rtx_ssrcs = {[SFU_AUDIO] = 1002, [SFU_VIDEO] = 2002},
};

/* What every answer promises: one section per offered one, same mids, a BUNDLE group of
 * offered mids only, and text that parses. */
static void check_answer(const struct sdp_session *offer, const struct sdp_session *answer)
{
    static char text[1 << 18];
    static struct sdp_session reparsed;
    require(answer->n_media == offer->n_media);
    for (size_t i = 0; i < answer->n_media; i++) {
        require(strcmp(answer->media[i].mid, offer->media[i].mid) == 0);
        if (sdp_media_active(&answer->media[i]))
            require(sdp_in_bundle(answer, answer->media[i].mid));
    }
    write_and_reparse(answer, text, sizeof text, &reparsed);
    require(reparsed.ice_lite);
}

static void fuzz_negotiate(const struct sdp_session *offer)
{
    static struct sdp_session answer;
    static struct sfu_track_desc tracks[SFU_KINDS];
    static struct sfu_viewer_track_desc viewer_tracks[SFU_KINDS];
    size_t n_tracks = 0;
    const char *why = NULL;
    struct negotiate_data data;
    (void)negotiate_offer_sends_media(offer);

    static const struct negotiate_prefs prefs[] = {{NULL, NULL}, {"H264,AV1,VP9,VP8", "opus"}};
    bool published = false;
    for (size_t p = 0; p < sizeof prefs / sizeof prefs[0]; p++) {
        int rc = negotiate_publisher(offer, &prefs[p], &local, &answer, tracks, &n_tracks, &why);
        require(rc == 0 || rc == NEGOTIATE_EBADSDP || rc == NEGOTIATE_ENOCODEC);
        if (rc < 0) {
            require(why != NULL && why[0] != 0);
            continue;
        }
        require(n_tracks >= 1 && n_tracks <= SFU_KINDS);
        if (p == 0)
            published = true;
        (void)negotiate_data_channel(offer, &local, &answer, &data);
        check_answer(offer, &answer);
    }

    /* As a viewer: of nothing yet, and of what this offer would publish. */
    const struct sfu_track_desc *live[SFU_KINDS] = {NULL, NULL};
    if (published) {
        negotiate_publisher(offer, &prefs[0], &local, &answer, tracks, &n_tracks, &why);
        for (size_t i = 0; i < n_tracks; i++)
            live[tracks[i].kind] = &tracks[i];
    }
    for (int with_live = 0; with_live <= published; with_live++) {
        why = NULL;
        int rc = negotiate_viewer(offer, &local, with_live ? live : NULL, &answer, viewer_tracks,
                                  &n_tracks, &why);
        require(rc == 0 || rc == NEGOTIATE_EBADSDP || rc == NEGOTIATE_ENOCODEC);
        if (rc < 0) {
            require(why != NULL && why[0] != 0);
            continue;
        }
        require(n_tracks >= 1 && n_tracks <= SFU_KINDS);
        for (size_t i = 0; i < n_tracks; i++) {
            require(viewer_tracks[i].n_codecs >= 1);
            if (with_live && live[viewer_tracks[i].kind])
                require(negotiate_match_codec(viewer_tracks[i].codecs, viewer_tracks[i].n_codecs,
                                              &live[viewer_tracks[i].kind]->codec, NULL) >= 0);
        }
        (void)negotiate_data_channel(offer, &local, &answer, &data);
        check_answer(offer, &answer);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Static: a session is a few hundred kilobytes. */
    static struct sdp_session first, second;
    static char text[1 << 20], again[1 << 20];
    const char *why = NULL;
    /* The same bytes as a PATCH body (RFC 8840 fragment): refused with a reason, or parsed
     * into terminated strings. */
    if (sdp_parse_fragment(&first, (const char *)data, size, &why) != 0)
        require(why != NULL && why[0] != 0);
    else
        check_strings(&first);
    why = NULL;
    if (sdp_parse(&first, (const char *)data, size, &why) != 0) {
        require(why != NULL && why[0] != 0);
        return 0;
    }
    check_strings(&first);
    /* What the writer made is valid SDP to the parser, and writing it again changes nothing. */
    size_t n = write_and_reparse(&first, text, sizeof text, &second);
    size_t n2 = sdp_write(&second, again, sizeof again);
    require(n2 == n && memcmp(text, again, n) == 0);
    /* Buffers too small, from none to one byte short, are refused, not overrun; one just big
     * enough holds the same text. */
    static const size_t tiny[] = {0, 1, 2, 5, 16, 64, 200};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++)
        write_into(&first, tiny[i], n, text);
    write_into(&first, n / 2, n, text);
    write_into(&first, n - 1, n, text);
    write_into(&first, n, n, text);
    write_into(&first, n + 1, n, text);
    fuzz_negotiate(&first);
    return 0;
}
