/* hmap: linear probing with tombstones; the table doubles when three quarters full. */
#include "base/hmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

/* FNV-1a: short keys, no adversarial pressure worth a keyed hash (keys are addresses and
 * server-chosen ufrags). */
static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

void hmap_init(struct hmap *m) { memset(m, 0, sizeof *m); }

void hmap_free(struct hmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static struct hmap_slot *find(const struct hmap *m, const void *key, size_t key_len, uint32_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
        struct hmap_slot *s = &m->slots[i];
        if (s->state == 0)
            return NULL;
        if (s->state == 1 && s->hash == h && s->key_len == key_len &&
            memcmp(s->key, key, key_len) == 0)
            return s;
    }
    return NULL;
}

static void insert_fresh(struct hmap *m, uint32_t h, const void *key, size_t key_len, void *v)
{
    size_t i = h & (m->cap - 1);
    while (m->slots[i].state == 1)
        i = (i + 1) & (m->cap - 1);
    struct hmap_slot *s = &m->slots[i];
    if (s->state == 2)
        m->tombstones--;
    s->state = 1;
    s->hash = h;
    s->key_len = (uint8_t)key_len;
    memcpy(s->key, key, key_len);
    s->value = v;
    m->used++;
}

static void grow(struct hmap *m)
{
    struct hmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    if (old.used * 2 < old.cap)
        m->cap = old.cap; /* mostly tombstones: rehash at the same size */
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    m->used = m->tombstones = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].state == 1)
            insert_fresh(m, old.slots[i].hash, old.slots[i].key, old.slots[i].key_len,
                         old.slots[i].value);
    free(old.slots);
}

int hmap_put(struct hmap *m, const void *key, size_t key_len, void *value)
{
    if (key_len > HMAP_KEY_MAX)
        return -1;
    uint32_t h = hash_bytes(key, key_len);
    struct hmap_slot *s = find(m, key, key_len, h);
    if (s) {
        s->value = value;
        return 0;
    }
    if ((m->used + m->tombstones + 1) * 4 > m->cap * 3)
        grow(m);
    insert_fresh(m, h, key, key_len, value);
    return 0;
}

void *hmap_get(const struct hmap *m, const void *key, size_t key_len)
{
    if (key_len > HMAP_KEY_MAX)
        return NULL;
    struct hmap_slot *s = find(m, key, key_len, hash_bytes(key, key_len));
    return s ? s->value : NULL;
}

void *hmap_del(struct hmap *m, const void *key, size_t key_len)
{
    if (key_len > HMAP_KEY_MAX)
        return NULL;
    struct hmap_slot *s = find(m, key, key_len, hash_bytes(key, key_len));
    if (!s)
        return NULL;
    s->state = 2;
    m->used--;
    m->tombstones++;
    return s->value;
}
