/* fuzz_dtls_fingerprint: any a=fingerprint value from a peer's SDP. An accepted one has its
 * hash's digest size, says the same digits as the input, and reads back the same once written
 * out by dtls_fingerprint_format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rtc/dtls_fingerprint.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct dtls_fingerprint fp;
    if (dtls_fingerprint_parse(&fp, text) < 0)
        return 0;
    CHECK(fp.hash >= DTLS_FINGERPRINT_SHA1 && fp.hash <= DTLS_FINGERPRINT_SHA512);
    CHECK(fp.digest_len == dtls_fingerprint_digest_size(fp.hash));
    CHECK(fp.digest_len > 0 && fp.digest_len <= DTLS_FINGERPRINT_DIGEST_MAX);

    /* The canonical text: the hash's name, a space, uppercase pairs. */
    char prefix[16], canonical[16 + 3 * DTLS_FINGERPRINT_DIGEST_MAX];
    snprintf(prefix, sizeof prefix, "%s ", dtls_fingerprint_hash_name(fp.hash));
    dtls_fingerprint_format(canonical, prefix, fp.digest, fp.digest_len);
    size_t hex_len = 3 * fp.digest_len - 1;
    CHECK(strlen(canonical) == strlen(prefix) + hex_len);

    /* The input is blanks, the name, blanks, the same digits in any case, then blanks or a line
     * end: nothing was skipped or invented. */
    const char *p = text + strspn(text, " \t");
    size_t name_len = strcspn(p, " \t");
    CHECK(strncasecmp(p, prefix, name_len) == 0 && name_len == strlen(prefix) - 1);
    p += name_len;
    p += strspn(p, " \t");
    CHECK(strncasecmp(p, canonical + strlen(prefix), hex_len) == 0);
    p += hex_len;
    CHECK(p[strspn(p, " \t\r\n")] == '\0');

    struct dtls_fingerprint again;
    CHECK(dtls_fingerprint_parse(&again, canonical) == 0);
    CHECK(again.hash == fp.hash && again.digest_len == fp.digest_len &&
          memcmp(again.digest, fp.digest, fp.digest_len) == 0);
    return 0;
}
