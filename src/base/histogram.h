/* histogram: counts of values by upper bound, as Prometheus histograms expose them. Fixed
 * buckets, no allocation: cheap enough for the forwarding path. */
#ifndef ONAIR_BASE_HISTOGRAM_H
#define ONAIR_BASE_HISTOGRAM_H
#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BUCKETS 16

struct histogram {
    const double *bounds; /* ascending upper bounds; a last bucket (+Inf) follows them */
    size_t n_bounds;
    uint64_t counts[HISTOGRAM_MAX_BUCKETS + 1]; /* per bucket, not cumulative */
    uint64_t count;
    double sum;
};

/* BOUNDS (at most HISTOGRAM_MAX_BUCKETS, ascending) must outlive H. */
void histogram_init(struct histogram *h, const double *bounds, size_t n_bounds);
void histogram_add(struct histogram *h, double value);
/* How many values were at most bounds[i] (i == n_bounds: all of them). */
uint64_t histogram_cumulative(const struct histogram *h, size_t i);

#endif
