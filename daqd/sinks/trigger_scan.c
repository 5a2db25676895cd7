// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The trigger condition engine. Each state of a condition waits for one
 * predicate; the search for it runs over whole blocks of DAQD_TRIG_BLOCK
 * interleaved samples with per-lane thresholds (the other channels' lanes
 * hold values no sample can pass), so that the inner loop is straight
 * vector compares over contiguous memory, and only a block with a hit is
 * looked at sample by sample.
 */
#include "trigger_scan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the trigger scan reads the little-endian ring payload in host order"
#endif

static const char *const cond_names[] = {
	[DAQD_TRIG_RISING] = "rising",
	[DAQD_TRIG_FALLING] = "falling",
	[DAQD_TRIG_EITHER] = "either",
	[DAQD_TRIG_ABOVE] = "above",
	[DAQD_TRIG_BELOW] = "below",
	[DAQD_TRIG_WIN_IN] = "window-in",
	[DAQD_TRIG_WIN_OUT] = "window-out",
};

#define NCONDS	(sizeof(cond_names) / sizeof(cond_names[0]))

const char *daqd_trig_cond_name(enum daqd_trig_cond c)
{
	return (unsigned int)c < NCONDS ? cond_names[c] : NULL;
}

int daqd_trig_cond_parse(const char *s, enum daqd_trig_cond *c)
{
	for (size_t i = 0; i < NCONDS; i++) {
		if (!strcmp(s, cond_names[i])) {
			*c = (enum daqd_trig_cond)i;
			return 0;
		}
	}
	return -EINVAL;
}

void daqd_trig_pred_init(struct daqd_trig_pred *p, bool inside, int16_t b, int16_t a,
			 unsigned int nchan, unsigned int chan)
{
	/* Lanes of other channels: "x < INT16_MIN || x > INT16_MAX" and
	 * "INT16_MAX < x < ..." are never true. */
	int16_t nb = inside ? INT16_MAX : INT16_MIN, na = INT16_MAX;

	p->inside = inside;
	p->b = b;
	p->a = a;
	p->nchan = nchan;
	p->chan = chan;
	for (unsigned int i = 0; i < DAQD_TRIG_BLOCK * nchan; i++) {
		bool mine = i % nchan == chan;

		p->lane_b[i] = mine ? b : nb;
		p->lane_a[i] = mine ? a : na;
	}
}

static inline bool pred_true(const struct daqd_trig_pred *p, int16_t x)
{
	return p->inside ? (x > p->b && x < p->a) : (x < p->b || x > p->a);
}

/* Does block @blk (DAQD_TRIG_BLOCK samples) hold a hit? */
static inline bool block_hit(const struct daqd_trig_pred *p, const int16_t *blk)
{
	const unsigned int lanes = DAQD_TRIG_BLOCK * p->nchan;
#ifdef __SSE2__
	__m128i hit = _mm_setzero_si128();

	for (unsigned int v = 0; v < lanes; v += 8) {
		__m128i x = _mm_loadu_si128((const __m128i *)(blk + v));
		__m128i b = _mm_loadu_si128((const __m128i *)(p->lane_b + v));
		__m128i a = _mm_loadu_si128((const __m128i *)(p->lane_a + v));

		if (p->inside)
			hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpgt_epi16(x, b),
							      _mm_cmplt_epi16(x, a)));
		else
			hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmplt_epi16(x, b),
							     _mm_cmpgt_epi16(x, a)));
	}
	return _mm_movemask_epi8(hit) != 0;
#else
	/* Branch-free over contiguous lanes: auto-vectorisable. */
	int hit = 0;

	if (p->inside) {
		for (unsigned int i = 0; i < lanes; i++)
			hit |= (blk[i] > p->lane_b[i]) & (blk[i] < p->lane_a[i]);
	} else {
		for (unsigned int i = 0; i < lanes; i++)
			hit |= (blk[i] < p->lane_b[i]) | (blk[i] > p->lane_a[i]);
	}
	return hit != 0;
#endif
}

size_t daqd_trig_find(const struct daqd_trig_pred *p, const int16_t *x, size_t n)
{
	const size_t nchan = p->nchan;
	size_t i = 0;

	for (; i + DAQD_TRIG_BLOCK <= n; i += DAQD_TRIG_BLOCK)
		if (block_hit(p, x + i * nchan))
			break;
	for (; i < n; i++)
		if (pred_true(p, x[i * nchan + p->chan]))
			return i;
	return n;
}

uint16_t daqd_trig_read_all(const int16_t *x, size_t n)
{
	size_t i = 0;
	uint16_t r;
#ifdef __SSE2__
	__m128i acc = _mm_setzero_si128();

	for (; i + 8 <= n; i += 8)
		acc = _mm_or_si128(acc, _mm_loadu_si128((const __m128i *)(x + i)));
	acc = _mm_or_si128(acc, _mm_srli_si128(acc, 8));
	acc = _mm_or_si128(acc, _mm_srli_si128(acc, 4));
	acc = _mm_or_si128(acc, _mm_srli_si128(acc, 2));
	r = (uint16_t)_mm_extract_epi16(acc, 0);
#else
	r = 0;
#endif
	for (; i < n; i++)
		r |= (uint16_t)x[i];
	return r;
}

int daqd_trig_check(enum daqd_trig_cond cond, int32_t level, int32_t level2,
		    int32_t hyst, char *err, size_t errlen)
{
	int32_t lo = level < level2 ? level : level2, hi = level < level2 ? level2 : level;
	bool window = cond == DAQD_TRIG_WIN_IN || cond == DAQD_TRIG_WIN_OUT;

	if (!daqd_trig_cond_name(cond)) {
		snprintf(err, errlen, "unknown condition %d", (int)cond);
		return -EINVAL;
	}
	if (level < -32767 || level > 32766 || (window && (level2 < -32767 || level2 > 32766))) {
		snprintf(err, errlen, "level %d%s: must be within -32767..32766 (raw int16 units)",
			 (int)(level < -32767 || level > 32766 ? level : level2),
			 level < -32767 || level > 32766 ? "" : " (level2)");
		return -EINVAL;
	}
	if (hyst < 0 || hyst > 32767) {
		snprintf(err, errlen, "hysteresis %d: must be within 0..32767", (int)hyst);
		return -EINVAL;
	}
	switch (cond) {
	case DAQD_TRIG_RISING:
	case DAQD_TRIG_ABOVE:
		if (level - hyst <= -32768)
			goto never_below;
		break;
	case DAQD_TRIG_FALLING:
	case DAQD_TRIG_BELOW:
		if (level + hyst >= 32767)
			goto never_above;
		break;
	case DAQD_TRIG_EITHER:
		if (level - hyst <= -32768)
			goto never_below;
		if (level + hyst >= 32767)
			goto never_above;
		break;
	case DAQD_TRIG_WIN_IN:
		if (lo - hyst <= -32768 && hi + hyst >= 32767) {
			snprintf(err, errlen, "window %d..%d with hysteresis %d: no int16 sample lies outside it by the hysteresis, so the trigger could never re-arm",
				 (int)lo, (int)hi, (int)hyst);
			return -EINVAL;
		}
		break;
	case DAQD_TRIG_WIN_OUT:
		if (lo + hyst > hi - hyst) {
			snprintf(err, errlen, "window %d..%d is narrower than twice the hysteresis %d: no sample lies inside it by the hysteresis, so the trigger could never re-arm",
				 (int)lo, (int)hi, (int)hyst);
			return -EINVAL;
		}
		break;
	}
	return 0;
never_below:
	snprintf(err, errlen, "level %d - hysteresis %d = %d: no int16 sample is below it, so the trigger could never arm",
		 (int)level, (int)hyst, (int)(level - hyst));
	return -EINVAL;
never_above:
	snprintf(err, errlen, "level %d + hysteresis %d = %d: no int16 sample is above it, so the trigger could never arm",
		 (int)level, (int)hyst, (int)(level + hyst));
	return -EINVAL;
}

void daqd_trig_engine_init(struct daqd_trig_engine *e, enum daqd_trig_cond cond,
			   int32_t level, int32_t level2, int32_t hyst,
			   unsigned int nchan, unsigned int chan)
{
	int32_t lo = level < level2 ? level : level2, hi = level < level2 ? level2 : level;
	struct daqd_trig_pred *p = e->pred;

	memset(e, 0, sizeof(*e));
	e->cond = cond;
	e->level = level;
	e->lo = lo;
	e->hi = hi;
	e->hyst = hyst;
	/*
	 * State 0 waits to arm, every other state waits to fire (and then
	 * goes back to 0). Thresholds were range-checked by daqd_trig_check().
	 */
	switch (cond) {
	case DAQD_TRIG_RISING:
	case DAQD_TRIG_ABOVE:
		daqd_trig_pred_init(&p[0], false, (int16_t)(level - hyst), INT16_MAX, nchan, chan);
		daqd_trig_pred_init(&p[1], false, INT16_MIN, (int16_t)(level - 1), nchan, chan);
		e->initial = cond == DAQD_TRIG_ABOVE;
		break;
	case DAQD_TRIG_FALLING:
	case DAQD_TRIG_BELOW:
		daqd_trig_pred_init(&p[0], false, INT16_MIN, (int16_t)(level + hyst), nchan, chan);
		daqd_trig_pred_init(&p[1], false, (int16_t)(level + 1), INT16_MAX, nchan, chan);
		e->initial = cond == DAQD_TRIG_BELOW;
		break;
	case DAQD_TRIG_EITHER:
		daqd_trig_pred_init(&p[0], false, (int16_t)(level - hyst), (int16_t)(level + hyst),
				    nchan, chan);
		daqd_trig_pred_init(&p[1], false, INT16_MIN, (int16_t)(level - 1), nchan, chan);
		daqd_trig_pred_init(&p[2], false, (int16_t)(level + 1), INT16_MAX, nchan, chan);
		e->initial = 0;
		break;
	case DAQD_TRIG_WIN_IN:
		daqd_trig_pred_init(&p[0], false, (int16_t)(lo - hyst > INT16_MIN ? lo - hyst : INT16_MIN),
				    (int16_t)(hi + hyst < INT16_MAX ? hi + hyst : INT16_MAX), nchan, chan);
		daqd_trig_pred_init(&p[1], true, (int16_t)(lo - 1), (int16_t)(hi + 1), nchan, chan);
		e->initial = 1;
		break;
	case DAQD_TRIG_WIN_OUT:
		daqd_trig_pred_init(&p[0], true, (int16_t)(lo + hyst - 1), (int16_t)(hi - hyst + 1),
				    nchan, chan);
		daqd_trig_pred_init(&p[1], false, (int16_t)lo, (int16_t)hi, nchan, chan);
		e->initial = 1;
		break;
	}
	e->state = e->initial;
}

void daqd_trig_engine_reset(struct daqd_trig_engine *e)
{
	e->state = e->initial;
}

size_t daqd_trig_engine_scan(struct daqd_trig_engine *e, const int16_t *x, size_t n,
			     uint64_t first, bool (*fire)(void *arg, uint64_t index),
			     void *arg)
{
	const size_t nchan = e->pred[0].nchan, chan = e->pred[0].chan;
	size_t i = 0;

	while (i < n) {
		size_t k = daqd_trig_find(&e->pred[e->state], x + i * nchan, n - i);
		int16_t v;

		if (k == n - i)
			break;
		i += k;
		v = x[i * nchan + chan];
		if (e->state) {
			/* Fired: disarm, and let the same sample arm again. */
			e->state = 0;
			if (!fire(arg, first + i))
				return i + 1;
			continue;
		}
		/* Armed: "either" by the side the sample is on. */
		e->state = e->cond == DAQD_TRIG_EITHER && v > e->level ? 2 : 1;
		i++;
	}
	return n;
}
