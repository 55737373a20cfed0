/* metrics: the server's counters in the Prometheus text format, for GET /metrics. */
#ifndef ONAIR_APP_METRICS_H
#define ONAIR_APP_METRICS_H
#include "app/http.h"

struct server;

void metrics_render(const struct server *srv, struct http_response *res);

#endif
