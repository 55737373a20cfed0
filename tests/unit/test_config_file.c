/* test_config_file: settings lines become "--key value" arguments, with their line numbers;
 * what is not a setting is refused with the line that says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "app/config_file.h"

static void test_settings_become_arguments(void **state)
{
    static const char text[] = "# onair on the venue's VM\n"
                               "\n"
                               "listen [::]:8080\r\n"
                               "  public-ip   203.0.113.7  \n"
                               "source cam=/srv/media/front door.mp4\n"
                               "source deck=rtsp://10.0.0.9/stream1\n"
                               "\t# indented comment\n"
                               "no-chat\n"
                               "ice-server turn:turn.example.net:3478?transport=udp";
    struct config_args a;
    char why[200] = "";
    assert_int_equal(config_file_parse(text, strlen(text), &a, why, sizeof why), 0);
    static const char *want[] = {"--listen", "[::]:8080", "--public-ip", "203.0.113.7",
                                 "--source", "cam=/srv/media/front door.mp4", "--source",
                                 "deck=rtsp://10.0.0.9/stream1", "--no-chat", "--ice-server",
                                 "turn:turn.example.net:3478?transport=udp"};
    static const int lines[] = {3, 3, 4, 4, 5, 5, 6, 6, 8, 9, 9};
    assert_int_equal(a.argc, 11);
    for (int i = 0; i < a.argc; i++) {
        assert_string_equal(a.argv[i], want[i]);
        assert_int_equal(a.lines[i], lines[i]);
    }
    config_args_free(&a);
    assert_int_equal(a.argc, 0);
}

static void test_empty_file(void **state)
{
    struct config_args a;
    char why[200];
    assert_int_equal(config_file_parse("", 0, &a, why, sizeof why), 0);
    assert_int_equal(a.argc, 0);
    assert_int_equal(config_file_parse("# nothing\n\n", 11, &a, why, sizeof why), 0);
    assert_int_equal(a.argc, 0);
    config_args_free(&a);
}

static void refused(const char *text, size_t len, const char *reason)
{
    struct config_args a;
    char why[200] = "";
    assert_int_equal(config_file_parse(text, len, &a, why, sizeof why), -1);
    assert_non_null(strstr(why, reason));
    assert_int_equal(a.argc, 0);
    assert_null(a.argv);
}

static void test_refusals(void **state)
{
    refused("listen 1\n--media-port 9\n", 23, "line 2: write the setting's name without dashes");
    refused("Listen 1\n", 9, "line 1: \"Listen\" is not a setting name");
    refused("a\nb\nconfig other.conf\n", 21, "line 3: a config file cannot name another");
    refused("listen 1\x01\n", 10, "line 1: a control character");
    refused("listen 1\n\0x\n", 12, "line 2: a NUL byte");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_become_arguments),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
