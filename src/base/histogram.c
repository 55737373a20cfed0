/* histogram: a linear scan over at most 16 bounds beats a search at this size. */
#include "base/histogram.h"

#include <string.h>

void histogram_init(struct histogram *h, const double *bounds, size_t n_bounds)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n_bounds < HISTOGRAM_MAX_BUCKETS ? n_bounds : HISTOGRAM_MAX_BUCKETS;
}

void histogram_add(struct histogram *h, double value)
{
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

uint64_t histogram_cumulative(const struct histogram *h, size_t i)
{
    uint64_t n = 0;
    for (size_t k = 0; k <= i && k <= h->n_bounds; k++)
        n += h->counts[k];
    return n;
}
