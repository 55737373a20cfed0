/* hmap: a small open-addressing hash map from short byte keys to pointers, for the lookups the
 * server does per datagram (remote address -> session) and per STUN check (ufrag -> session). */
#ifndef ONAIR_BASE_HMAP_H
#define ONAIR_BASE_HMAP_H
#include <stddef.h>
#include <stdint.h>

#define HMAP_KEY_MAX 64 /* stream names are up to 63 bytes */

struct hmap_slot {
    uint32_t hash;
    uint8_t state; /* 0 empty, 1 used, 2 deleted */
    uint8_t key_len;
    uint8_t key[HMAP_KEY_MAX];
    void *value;
};

struct hmap {
    struct hmap_slot *slots;
    size_t cap, used, tombstones;
};

void hmap_init(struct hmap *m);
void hmap_free(struct hmap *m);
/* Stores value under key (replacing any). Keys longer than HMAP_KEY_MAX are refused with -1. */
int hmap_put(struct hmap *m, const void *key, size_t key_len, void *value);
void *hmap_get(const struct hmap *m, const void *key, size_t key_len);
/* Removes key; returns the value it held, or NULL. */
void *hmap_del(struct hmap *m, const void *key, size_t key_len);
static inline size_t hmap_count(const struct hmap *m) { return m->used; }

#endif
