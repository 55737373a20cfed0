/* test_media_url: files, standard input and camera URLs told apart; bad rtsp:// URLs refused
 * with a reason; passwords hidden in what is logged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "app/media_url.h"

static void test_files_and_stdin(void **state)
{
    static const char *files[] = {"clip.mp4", "/srv/media/front door.mp4", "http://cdn/x.mp4",
                                  "rtspx://cam/", "rtsp:/cam", "C:\\clip.mp4", ""};
    struct media_url url;
    const char *why = NULL;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        assert_int_equal(media_url_parse(&url, files[i], &why), 0);
        assert_int_equal(url.kind, MEDIA_URL_FILE);
    }
    assert_int_equal(media_url_parse(&url, "-", &why), 0);
    assert_int_equal(url.kind, MEDIA_URL_STDIN);
    assert_null(why);
}

static void test_rtsp_urls(void **state)
{
    struct media_url url;
    const char *why = NULL;
    assert_int_equal(media_url_parse(&url, "rtsp://10.0.0.9/stream1", &why), 0);
    assert_int_equal(url.kind, MEDIA_URL_RTSP);
    assert_string_equal(url.host, "10.0.0.9");
    assert_int_equal(url.port, 554);
    assert_false(url.has_password);

    assert_int_equal(media_url_parse(&url, "RTSP://admin:s3cret@cam.local:8554/h264?ch=1", &why),
                     0);
    assert_int_equal(url.kind, MEDIA_URL_RTSP);
    assert_string_equal(url.host, "cam.local");
    assert_int_equal(url.port, 8554);
    assert_true(url.has_password);

    /* A password may hold '@' when the last one ends the user information. */
    assert_int_equal(media_url_parse(&url, "rtsp://u:p@ss@[fd00::7]:10554", &why), 0);
    assert_string_equal(url.host, "fd00::7");
    assert_int_equal(url.port, 10554);
    assert_true(url.has_password);

    assert_int_equal(media_url_parse(&url, "rtsps://cam", &why), 0);
    assert_int_equal(url.port, 322);
    assert_null(why);
}

/* Another server's stream: whep:// is watched at http://, wheps:// at https://, the password of
 * the user information being the bearer token and never part of the endpoint. */
static void test_whep_urls(void **state)
{
    struct media_url url;
    const char *why = NULL;
    char endpoint[256], token[64];
    assert_int_equal(media_url_parse(&url, "whep://origin.example:8080/whep/main", &why), 0);
    assert_int_equal(url.kind, MEDIA_URL_WHEP);
    assert_string_equal(url.host, "origin.example");
    assert_int_equal(url.port, 8080);
    assert_int_equal(media_url_whep_endpoint("whep://origin.example:8080/whep/main", endpoint,
                                             sizeof endpoint, token, sizeof token),
                     0);
    assert_string_equal(endpoint, "http://origin.example:8080/whep/main");
    assert_string_equal(token, "");

    const char *secret = "wheps://:watch-secret@[fd00::1]/whep/private";
    assert_int_equal(media_url_parse(&url, secret, &why), 0);
    assert_int_equal(url.kind, MEDIA_URL_WHEP);
    assert_int_equal(url.port, 443);
    assert_true(url.has_password);
    assert_int_equal(
        media_url_whep_endpoint(secret, endpoint, sizeof endpoint, token, sizeof token), 0);
    assert_string_equal(endpoint, "https://[fd00::1]/whep/private");
    assert_string_equal(token, "watch-secret");
    char shown[128];
    media_url_redact(shown, sizeof shown, secret);
    assert_string_equal(shown, "wheps://:***@[fd00::1]/whep/private");
    assert_int_equal(media_url_whep_endpoint(secret, endpoint, 20, token, sizeof token), -1);
    assert_int_equal(media_url_whep_endpoint(secret, endpoint, sizeof endpoint, token, 12), -1);

    assert_int_equal(media_url_parse(&url, "whep:///whep/main", &why), -1);
    assert_string_equal(why, "the URL names no host (SCHEME://HOST[:PORT]/PATH)");
}

static void test_bad_rtsp_urls(void **state)
{
    static const struct {
        const char *url, *reason;
    } bad[] = {
        {"rtsp://", "no host"},
        {"rtsp:///stream", "no host"},
        {"rtsp://user:pw@/stream", "no host"},
        {"rtsp://cam:/x", "port"},
        {"rtsp://cam:0/x", "port"},
        {"rtsp://cam:65536/x", "port"},
        {"rtsp://cam:123456/x", "port"},
        {"rtsp://cam:8a/x", "port"},
        {"rtsp://[fd00::1/x", "']'"},
        {"rtsp://[fd00::1]x/", "IPv6"},
        {"rtsp://cam/front door", "space"},
        {"rtsp://cam/\x01", "control"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct media_url url;
        const char *why = NULL;
        assert_int_equal(media_url_parse(&url, bad[i].url, &why), -1);
        assert_non_null(why);
        if (!strstr(why, bad[i].reason))
            fail_msg("%s: \"%s\" does not say %s", bad[i].url, why, bad[i].reason);
    }
}

static void test_redact(void **state)
{
    char out[128];
    assert_int_equal(media_url_redact(out, sizeof out, "rtsp://admin:s3cret@cam:554/live"),
                     strlen("rtsp://admin:***@cam:554/live"));
    assert_string_equal(out, "rtsp://admin:***@cam:554/live");
    media_url_redact(out, sizeof out, "rtsp://u:p@ss@cam/x");
    assert_string_equal(out, "rtsp://u:***@cam/x");
    /* No password, or not a URL: as it is. */
    media_url_redact(out, sizeof out, "rtsp://admin@cam/live");
    assert_string_equal(out, "rtsp://admin@cam/live");
    media_url_redact(out, sizeof out, "rtsp://cam/a:b@c");
    assert_string_equal(out, "rtsp://cam/a:b@c");
    media_url_redact(out, sizeof out, "/srv/a:b@c.mp4");
    assert_string_equal(out, "/srv/a:b@c.mp4");
    /* Cut to fit, still terminated. */
    assert_int_equal(media_url_redact(out, 8, "rtsp://admin:s3cret@cam/"), 7);
    assert_string_equal(out, "rtsp://");
    assert_int_equal(media_url_redact(out, 0, "x"), 0);
}

static void test_transport(void **state)
{
    assert_string_equal(media_url_transport("udp"), "udp");
    assert_string_equal(media_url_transport("tcp"), "tcp");
    assert_null(media_url_transport("UDP"));
    assert_null(media_url_transport("http"));
    assert_null(media_url_transport(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_and_stdin), cmocka_unit_test(test_rtsp_urls),
        cmocka_unit_test(test_bad_rtsp_urls),   cmocka_unit_test(test_redact),
        cmocka_unit_test(test_transport),       cmocka_unit_test(test_whep_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
