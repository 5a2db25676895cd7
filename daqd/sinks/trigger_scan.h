/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trigger condition engine (docs/triggers.md): pure code, no I/O. A
 * condition is a small state machine over one channel's int16 samples;
 * each state waits for one predicate ("x < B or x > A", or "B < x < A"),
 * which is searched for with a vectorised scan over the interleaved frame
 * payload (SSE2 where the compiler targets it, a portable loop otherwise).
 */
#ifndef DAQD_TRIGGER_SCAN_H
#define DAQD_TRIGGER_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAQD_TRIG_MAX_CHANNELS	32
#define DAQD_TRIG_BLOCK		8	/* samples per vector block */

enum daqd_trig_cond {
	DAQD_TRIG_RISING = 0,	/* from below level - hysteresis to >= level */
	DAQD_TRIG_FALLING,	/* from above level + hysteresis to <= level */
	DAQD_TRIG_EITHER,	/* rising or falling */
	DAQD_TRIG_ABOVE,	/* >= level; again after dropping below level - hysteresis */
	DAQD_TRIG_BELOW,	/* <= level; again after rising above level + hysteresis */
	DAQD_TRIG_WIN_IN,	/* enters [lo, hi]; again after leaving it by hysteresis */
	DAQD_TRIG_WIN_OUT,	/* leaves [lo, hi]; again after returning inside by hysteresis */
};

/* "rising", ... "window-out"; NULL for a bad value. */
const char *daqd_trig_cond_name(enum daqd_trig_cond c);
/* Parse a condition name. Return: 0 or -EINVAL. */
int daqd_trig_cond_parse(const char *s, enum daqd_trig_cond *c);

/*
 * struct daqd_trig_pred - one predicate over channel @chan of @nchan
 * interleaved channels: "x < b || x > a" (@inside false) or "b < x < a"
 * (@inside true), with per-lane thresholds for one block of
 * DAQD_TRIG_BLOCK samples (other channels' lanes never match).
 */
struct daqd_trig_pred {
	bool inside;
	int16_t b, a;
	unsigned int nchan, chan;
	int16_t lane_b[DAQD_TRIG_BLOCK * DAQD_TRIG_MAX_CHANNELS];
	int16_t lane_a[DAQD_TRIG_BLOCK * DAQD_TRIG_MAX_CHANNELS];
};

void daqd_trig_pred_init(struct daqd_trig_pred *p, bool inside, int16_t b, int16_t a,
			 unsigned int nchan, unsigned int chan);

/*
 * daqd_trig_find() - The first of @n interleaved samples at @x (host-order
 * int16, @p->nchan per sample) whose channel @p->chan meets @p; @n if none.
 */
size_t daqd_trig_find(const struct daqd_trig_pred *p, const int16_t *x, size_t n);

/*
 * daqd_trig_read_all() - The read-only bound of the benchmark: OR of all
 * @n int16 at @x, read the way daqd_trig_find() reads them.
 */
uint16_t daqd_trig_read_all(const int16_t *x, size_t n);

/*
 * struct daqd_trig_engine - a condition's state machine on one channel.
 * Set up with daqd_trig_engine_init(); then feed it contiguous samples
 * with daqd_trig_engine_scan(), and daqd_trig_engine_reset() at every
 * discontinuity (the samples between are unknown).
 */
struct daqd_trig_engine {
	enum daqd_trig_cond cond;
	int32_t level, lo, hi, hyst;
	int state, initial;
	struct daqd_trig_pred pred[3];	/* one per state */
};

/*
 * daqd_trig_check() - Can the thresholds of @cond with @level, @level2
 * (window conditions) and @hyst be represented? Return 0, or -EINVAL with
 * @err saying which bound is out of range.
 */
int daqd_trig_check(enum daqd_trig_cond cond, int32_t level, int32_t level2,
		    int32_t hyst, char *err, size_t errlen);

/* daqd_trig_engine_init() - Settings already passed daqd_trig_check(). */
void daqd_trig_engine_init(struct daqd_trig_engine *e, enum daqd_trig_cond cond,
			   int32_t level, int32_t level2, int32_t hyst,
			   unsigned int nchan, unsigned int chan);
void daqd_trig_engine_reset(struct daqd_trig_engine *e);

/*
 * daqd_trig_engine_scan() - Run @e over @n samples at @x (interleaved, as
 * in a frame) whose first has device index @first; for every sample where
 * the condition fires, call @fire(@arg, index). Stops early (returning the
 * number of samples consumed) when @fire returns false.
 */
size_t daqd_trig_engine_scan(struct daqd_trig_engine *e, const int16_t *x, size_t n,
			     uint64_t first, bool (*fire)(void *arg, uint64_t index),
			     void *arg);

#endif /* DAQD_TRIGGER_SCAN_H */
