/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small deterministic mutation driver for the robustness ("fuzz") suite:
 * a seeded PRNG, byte-level mutations of valid inputs, and a loop bounded
 * both by an iteration count and by wall time, so that the suite stays a
 * few seconds long under ASan on a busy machine. Everything is derived from
 * one seed (FUZZ_SEED overrides it, FUZZ_SECONDS / FUZZ_ITERS the bounds),
 * and a failing invariant prints the seed, the iteration and the input.
 */
#ifndef UDAQ_FUZZ_H
#define UDAQ_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fuzz {
	uint64_t state;
	uint64_t seed;
	uint64_t iter;
	uint64_t max_iters;
	double seconds;
	struct timespec start;
	const char *name;
	/* The input being tried, for the failure report. */
	const uint8_t *cur;
	size_t cur_len;
};

static inline uint64_t fuzz_rand(struct fuzz *f)
{
	/* splitmix64: good enough spread, one word of state. */
	uint64_t z = (f->state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform-ish in [0, n); n > 0. */
static inline uint64_t fuzz_below(struct fuzz *f, uint64_t n)
{
	return fuzz_rand(f) % n;
}

static inline void fuzz_init(struct fuzz *f, const char *name, uint64_t seed,
			     uint64_t max_iters, double seconds)
{
	const char *s;

	memset(f, 0, sizeof(*f));
	f->name = name;
	s = getenv("FUZZ_SEED");
	f->seed = s ? strtoull(s, NULL, 0) : seed;
	s = getenv("FUZZ_ITERS");
	f->max_iters = s ? strtoull(s, NULL, 0) : max_iters;
	s = getenv("FUZZ_SECONDS");
	f->seconds = s ? strtod(s, NULL) : seconds;
	f->state = f->seed;
	clock_gettime(CLOCK_MONOTONIC, &f->start);
	printf("%s: seed 0x%llx, at most %llu iterations or %.1f s\n", name,
	       (unsigned long long)f->seed, (unsigned long long)f->max_iters, f->seconds);
}

static inline double fuzz_elapsed(const struct fuzz *f)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - f->start.tv_sec) +
	       (double)(now.tv_nsec - f->start.tv_nsec) / 1e9;
}

/* True while there is budget left; counts iterations. */
static inline int fuzz_more(struct fuzz *f)
{
	if (f->iter >= f->max_iters)
		return 0;
	/* The clock is cheap, but not free: look every 64 iterations. */
	if ((f->iter & 63) == 0 && f->iter && fuzz_elapsed(f) > f->seconds)
		return 0;
	f->iter++;
	return 1;
}

static inline void fuzz_done(const struct fuzz *f, const char *what)
{
	printf("%s: %llu iterations in %.2f s%s%s\n", f->name,
	       (unsigned long long)f->iter, fuzz_elapsed(f), what ? ", " : "",
	       what ? what : "");
}

static inline void fuzz_set_input(struct fuzz *f, const void *p, size_t len)
{
	f->cur = p;
	f->cur_len = len;
}

static inline void fuzz_report(const struct fuzz *f, const char *file, int line,
			       const char *cond)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, cond);
	fprintf(stderr, "%s: seed 0x%llx, iteration %llu (rerun with FUZZ_SEED=0x%llx)\n",
		f->name, (unsigned long long)f->seed, (unsigned long long)f->iter,
		(unsigned long long)f->seed);
	if (f->cur) {
		fprintf(stderr, "input (%zu bytes):", f->cur_len);
		for (size_t i = 0; i < f->cur_len && i < 512; i++)
			fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", f->cur[i]);
		fprintf(stderr, "%s\n", f->cur_len > 512 ? "\n  ..." : "");
	}
	fflush(stderr);
	abort();
}

#define FUZZ_ASSERT(f, cond) \
	do { \
		if (!(cond)) \
			fuzz_report((f), __FILE__, __LINE__, #cond); \
	} while (0)

/* Values that tend to sit on boundaries of length and count checks. */
static const uint64_t fuzz_interesting[] = {
	0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 47, 48, 63, 64, 127, 128, 255, 256,
	1023, 1024, 4095, 4096, 65535, 65536, 0x7fffffff, 0x80000000u, 0xffffffffu,
	UINT64_C(0x100000000), UINT64_C(0x7fffffffffffffff), UINT64_C(0x8000000000000000),
	UINT64_MAX, 1u << 24, (1u << 24) + 1, 64u << 20, (64u << 20) + 1,
};
#define FUZZ_NINTERESTING (sizeof(fuzz_interesting) / sizeof(fuzz_interesting[0]))

/*
 * Mutate @buf (@*len bytes used, @cap available) in place: 1 to 8 rounds of
 * bit flips, random bytes, interesting little-endian words, truncation,
 * growth with random bytes, byte deletion and duplication of a slice.
 */
static inline void fuzz_mutate(struct fuzz *f, uint8_t *buf, size_t *len, size_t cap)
{
	int rounds = 1 + (int)fuzz_below(f, 8);

	for (int r = 0; r < rounds; r++) {
		size_t n = *len;

		switch (fuzz_below(f, 8)) {
		case 0:	/* flip a bit */
			if (n)
				buf[fuzz_below(f, n)] ^= (uint8_t)(1u << fuzz_below(f, 8));
			break;
		case 1:	/* random byte */
			if (n)
				buf[fuzz_below(f, n)] = (uint8_t)fuzz_rand(f);
			break;
		case 2: {	/* interesting value, 1/2/4/8 bytes LE */
			size_t w = (size_t)1 << fuzz_below(f, 4);
			uint64_t v = fuzz_interesting[fuzz_below(f, FUZZ_NINTERESTING)];

			if (fuzz_below(f, 4) == 0)
				v = 0 - v;	/* two's complement, in unsigned arithmetic */
			if (n >= w) {
				size_t at = fuzz_below(f, n - w + 1);

				for (size_t i = 0; i < w; i++)
					buf[at + i] = (uint8_t)(v >> (8 * i));
			}
			break;
		}
		case 3:	/* truncate */
			if (n)
				*len = fuzz_below(f, n + 1);
			break;
		case 4: {	/* grow with random bytes */
			size_t add = fuzz_below(f, 64) + 1;

			if (add > cap - n)
				add = cap - n;
			for (size_t i = 0; i < add; i++)
				buf[n + i] = (uint8_t)fuzz_rand(f);
			*len = n + add;
			break;
		}
		case 5: {	/* delete a slice */
			if (n) {
				size_t at = fuzz_below(f, n);
				size_t k = fuzz_below(f, n - at) + 1;

				memmove(buf + at, buf + at + k, n - at - k);
				*len = n - k;
			}
			break;
		}
		case 6: {	/* duplicate a slice somewhere else */
			if (n) {
				size_t at = fuzz_below(f, n);
				size_t k = fuzz_below(f, n - at) + 1;
				size_t to = fuzz_below(f, n + 1);

				if (k > cap - n)
					k = cap - n;
				memmove(buf + to + k, buf + to, n - to);
				/* The source may have moved if it lay after @to. */
				memmove(buf + to, buf + (at >= to ? at + k : at), k);
				*len = n + k;
			}
			break;
		}
		default:	/* set a run of bytes to one value */
			if (n) {
				size_t at = fuzz_below(f, n);
				size_t k = fuzz_below(f, n - at) + 1;

				memset(buf + at, (int)(fuzz_below(f, 3) == 0 ? 0 :
						      fuzz_below(f, 2) ? 0xff : fuzz_rand(f)), k);
			}
			break;
		}
	}
}

/* Fill with random bytes. */
static inline void fuzz_fill(struct fuzz *f, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)fuzz_rand(f);
}

/* A private heap copy of exactly @len bytes, so ASan sees any overread. */
static inline uint8_t *fuzz_exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = calloc(1, len ? len : 1);

	if (!p)
		abort();
	if (len)
		memcpy(p, src, len);
	return p;
}

#endif /* UDAQ_FUZZ_H */
