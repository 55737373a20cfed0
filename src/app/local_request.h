/* local_request: whether a request that reached the server over loopback was made on this
 * machine on purpose, not by a page of another site in a browser here. An open stream is managed
 * only from the server's machine (api_access.c); a browser there connects from loopback too, on
 * behalf of whatever page it shows: a page of any site could end a broadcast or start a
 * recording (a form's POST needs no CORS preflight), and one whose name resolves to 127.0.0.1
 * (DNS rebinding) sends its own name as Host. Pure: no I/O. */
#ifndef ONAIR_APP_LOCAL_REQUEST_H
#define ONAIR_APP_LOCAL_REQUEST_H
#include <stdbool.h>

/* HOST and ORIGIN are the request's headers (NULL when absent). Trusted: Host names this machine
 * (localhost, 127.0.0.0/8 or ::1, with or without a port) or is absent, and Origin, which
 * browsers send with every request that changes something, is absent or this very server
 * (http:// or https:// and the Host). */
bool local_request_trusted(const char *host, const char *origin);

#endif
