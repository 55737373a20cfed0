/* fuzz_sdp: sdp_parse, then sdp_write of what it made, which must parse again and write the
 * same text; and the helpers on every parsed section. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sdp.h"

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
        if (m->n_codecs >= 2)
            (void)sdp_codec_compatible(&m->codecs[0], &m->codecs[1]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Static: a session is a few hundred kilobytes. */
    static struct sdp_session first, second;
    static char text[1 << 20], again[1 << 20];
    const char *why = NULL;
    if (sdp_parse(&first, (const char *)data, size, &why) != 0) {
        require(why != NULL && why[0] != 0);
        return 0;
    }
    check_strings(&first);
    size_t n = sdp_write(&first, text, sizeof text);
    require(n > 0 && n < sizeof text && text[n] == 0 && strlen(text) == n);
    /* What the writer made is valid SDP to the parser, and writing it again changes nothing. */
    why = NULL;
    if (sdp_parse(&second, text, n, &why) != 0)
        abort();
    check_strings(&second);
    require(second.n_media == first.n_media);
    size_t n2 = sdp_write(&second, again, sizeof again);
    require(n2 == n && memcmp(text, again, n) == 0);
    /* A buffer one byte short is refused, not overrun. */
    char *tight = malloc(n);
    require(sdp_write(&first, tight, n) == 0);
    free(tight);
    return 0;
}
