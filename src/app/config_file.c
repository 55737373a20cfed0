/* config_file: settings as "key value" lines, turned into "--key value" arguments. */
#include "app/config_file.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static void push(struct config_args *a, char *arg, int line)
{
    a->argv = xrealloc(a->argv, (size_t)(a->argc + 1) * sizeof *a->argv);
    a->lines = xrealloc(a->lines, (size_t)(a->argc + 1) * sizeof *a->lines);
    a->argv[a->argc] = arg;
    a->lines[a->argc] = line;
    a->argc++;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Parses one line P[0..N) (no newline); returns 0 or -1 with WHY. */
static int parse_line(struct config_args *out, const char *p, size_t n, int line, char *why,
                      size_t cap)
{
    while (n && is_space(*p))
        p++, n--;
    while (n && is_space(p[n - 1]))
        n--;
    if (n == 0 || p[0] == '#')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)p[i] < 0x20 && p[i] != '\t') {
            snprintf(why, cap, "line %d: a control character", line);
            return -1;
        }
    }
    size_t k = 0;
    while (k < n && !is_space(p[k]))
        k++;
    if (p[0] == '-') {
        snprintf(why, cap, "line %d: write the setting's name without dashes (\"%.*s\")", line,
                 (int)(k < 40 ? k : 40), p);
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        if (!(islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || p[i] == '-')) {
            snprintf(why, cap, "line %d: \"%.*s\" is not a setting name (lower-case letters, "
                               "digits and '-')", line, (int)(k < 40 ? k : 40), p);
            return -1;
        }
    }
    if (k == 6 && memcmp(p, "config", 6) == 0) {
        snprintf(why, cap, "line %d: a config file cannot name another", line);
        return -1;
    }
    char *key = xmalloc(k + 3);
    key[0] = key[1] = '-';
    memcpy(key + 2, p, k);
    key[k + 2] = '\0';
    push(out, key, line);
    size_t v = k;
    while (v < n && is_space(p[v]))
        v++;
    if (v < n)
        push(out, xstrndup(p + v, n - v), line);
    return 0;
}

int config_file_parse(const char *text, size_t len, struct config_args *out, char *why,
                      size_t cap)
{
    memset(out, 0, sizeof *out);
    int line = 1;
    for (size_t at = 0; at < len; line++) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (memchr(text + at, '\0', end - at)) {
            snprintf(why, cap, "line %d: a NUL byte", line);
            config_args_free(out);
            return -1;
        }
        if (parse_line(out, text + at, end - at, line, why, cap) < 0) {
            config_args_free(out);
            return -1;
        }
        at = nl ? end + 1 : len;
    }
    return 0;
}

void config_args_free(struct config_args *args)
{
    for (int i = 0; i < args->argc; i++)
        free(args->argv[i]);
    free(args->argv);
    free(args->lines);
    memset(args, 0, sizeof *args);
}
