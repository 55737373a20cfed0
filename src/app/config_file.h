/* config_file: `onair serve --config FILE`. One setting a line, named as the long option
 * without its dashes and followed by its value ("source cam=/srv/cam.mp4"); blank lines and
 * lines starting with # are skipped; repeatable options repeat. The settings become
 * command-line arguments placed before the real ones, so the command line wins. Pure: the
 * caller reads the file. */
#ifndef ONAIR_APP_CONFIG_FILE_H
#define ONAIR_APP_CONFIG_FILE_H
#include <stddef.h>

struct config_args {
    char **argv; /* "--key", "value", ...: owned */
    int *lines;  /* the file line each argument came from */
    int argc;
};

/* Turns TEXT[0..LEN) into arguments in *OUT. Returns 0, or -1 with a sentence naming the line
 * in WHY[0..CAP) (and *OUT empty). */
int config_file_parse(const char *text, size_t len, struct config_args *out, char *why,
                      size_t cap);
void config_args_free(struct config_args *args);

#endif
