/* http_client: curl_easy_perform with our defaults and its outcome as one number. */
#include "app/http_client.h"

#include <stdio.h>

long http_client_perform(CURL *curl, long timeout_ms, char *error)
{
    error[0] = 0;
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    /* Name resolution would otherwise time out with SIGALRM, which a thread must not take. */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else if (!error[0])
        snprintf(error, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(curl);
    return status;
}
