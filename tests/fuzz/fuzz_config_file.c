/* fuzz_config_file: config_file_parse on any bytes: refused with a reason naming a line, or
 * turned into "--key [value]" arguments whose lines never go back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/config_file.h"

/* The fuzzer aborts on any broken promise, not only on memory errors. */
static void require(int condition)
{
    if (!condition)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_args a;
    char why[200] = "";
    if (config_file_parse((const char *)data, size, &a, why, sizeof why) < 0) {
        require(strncmp(why, "line ", 5) == 0);
        require(a.argc == 0 && a.argv == NULL);
        return 0;
    }
    for (int i = 0; i < a.argc; i++) {
        require(a.argv[i][0] != '\0' && !strchr(a.argv[i], '\n'));
        require(a.lines[i] >= 1 && (i == 0 || a.lines[i] >= a.lines[i - 1]));
        /* A value follows its key on the key's line. */
        if (strncmp(a.argv[i], "--", 2) != 0)
            require(i > 0 && a.lines[i] == a.lines[i - 1]);
    }
    config_args_free(&a);
    return 0;
}
