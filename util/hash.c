#include "util/util.h"

#include <string.h>

/* A multiply-rotate hash over 8-byte words with a final avalanche (in the spirit of
 * MurmurHash/xxHash). Fast on short IRIs and on hundreds of megabytes of snapshot alike;
 * not cryptographic: it detects damage, not tampering. */
static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	w *= 0x87c37b91114253d5ULL;
	w = rotl64(w, 31);
	w *= 0x4cf5ad432745937fULL;
	h ^= w;
	return rotl64(h, 27) * 5 + 0x52dce729;
}

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

uint64_t kgr__hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h1 = seed ^ (len * 0x9e3779b97f4a7c15ULL), h2 = ~seed, h3 = seed + 1, h4 = seed - 1;
	uint64_t w, tail = 0;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t a, b, c, d;
		memcpy(&a, p + i, 8);
		memcpy(&b, p + i + 8, 8);
		memcpy(&c, p + i + 16, 8);
		memcpy(&d, p + i + 24, 8);
		h1 = mix(h1, a);
		h2 = mix(h2, b);
		h3 = mix(h3, c);
		h4 = mix(h4, d);
	}
	h1 ^= rotl64(h2, 7) ^ rotl64(h3, 13) ^ rotl64(h4, 19);
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h1 = mix(h1, w);
	}
	if (i < len) {
		memcpy(&tail, p + i, len - i);
		h1 = mix(h1, tail);
	}
	return fmix64(h1 ^ len);
}

uint64_t kgr__rng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}
