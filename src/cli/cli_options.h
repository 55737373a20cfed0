/* cli_options: what the commands' option parsers share. */
#ifndef ONAIR_CLI_CLI_OPTIONS_H
#define ONAIR_CLI_CLI_OPTIONS_H

/* --log-level ARG for COMMAND ("publish", ...): sets the level and returns 0, or says what it
 * wants on stderr and returns 2 (the usage exit code). */
int cli_log_level(const char *command, const char *arg);

#endif
