/* cli_options: shared option handling of onair's commands. */
#include "cli/cli_options.h"

#include <stdio.h>

#include "base/log.h"

int cli_log_level(const char *command, const char *arg)
{
    int level = log_level_parse(arg);
    if (level < 0) {
        fprintf(stderr, "onair %s: --log-level wants debug, info, warn or error, not '%s'\n",
                command, arg);
        return 2;
    }
    log_set_level((enum log_level)level);
    return 0;
}
