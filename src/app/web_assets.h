/* web_assets: the pages and scripts of web/, embedded at build time by tools/embed. */
#ifndef ONAIR_APP_WEB_ASSETS_H
#define ONAIR_APP_WEB_ASSETS_H
#include <stddef.h>

struct web_asset {
    const char *name;
    const unsigned char *data;
    size_t len;
};

/* Ends with an entry whose name is NULL. */
extern const struct web_asset web_assets[];

#endif
