/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * (c) Interrupt-to-wakeup latency. One thread raises an interrupt and
 * stamps the time; another, blocked waiting, stamps the time it wakes.
 *  - bare: eventfd write -> poll + read on an eventfd (the floor);
 *  - sim:  a SIM_FAULT SWIRQ register write -> udaq_dev_irq_wait() on the
 *          simulated refdaq (register model, INTx emulation, eventfd,
 *          transport), then acknowledge and re-enable as a driver does.
 * Same run, same threads. Target: sim p50 <= 1.2 x bare p50.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <uio_daq/refdaq.h>
#include <uio_daq/sim.h>
#include <uio_daq/uio_daq.h>

#define ITERS		4000
#define ROUNDS		5
#define TARGET		1.2

struct pingpong {
	int go_fd;		/* bare: the "interrupt" */
	int ack_fd;		/* the waiter says it is ready for the next one */
	struct udaq_dev *dev;	/* sim: NULL for bare */
	struct udaq_map *regs;
	uint64_t t_raise;	/* atomic */
	uint64_t *lat;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void efd_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	while (poll(&p, 1, -1) != 1)
		;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		abort();
}

static void *waiter(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t t;
	int i;

	for (i = 0; i < ITERS; i++) {
		if (pp->dev) {
			uint32_t st;

			if (udaq_dev_irq_wait(pp->dev, -1, NULL) != 1)
				abort();
			t = now_ns();
			st = udaq_map_read32(pp->regs, REFDAQ_REG_IRQ_STATUS);
			udaq_map_write32(pp->regs, REFDAQ_REG_IRQ_STATUS, st);
			udaq_dev_irq_enable(pp->dev, true);
		} else {
			efd_wait(pp->go_fd);
			t = now_ns();
		}
		pp->lat[i] = t - __atomic_load_n(&pp->t_raise, __ATOMIC_ACQUIRE);
		efd_signal(pp->ack_fd);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void run(struct pingpong *pp, double *p50, double *p99)
{
	pthread_t th;
	int i;

	if (pthread_create(&th, NULL, waiter, pp))
		abort();
	for (i = 0; i < ITERS; i++) {
		__atomic_store_n(&pp->t_raise, now_ns(), __ATOMIC_RELEASE);
		if (pp->dev)
			udaq_map_write32(pp->regs, REFDAQ_REG_SIM_FAULT,
					 REFDAQ_SIM_FAULT_SWIRQ);
		else
			efd_signal(pp->go_fd);
		efd_wait(pp->ack_fd);
	}
	pthread_join(th, NULL);
	qsort(pp->lat, ITERS, sizeof(pp->lat[0]), cmp);
	*p50 = (double)pp->lat[ITERS / 2] / 1000.0;
	*p99 = (double)pp->lat[ITERS * 99 / 100] / 1000.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	struct pingpong bare = { 0 }, sim = { 0 };
	double b50[ROUNDS], b99[ROUNDS], s50[ROUNDS], s99[ROUNDS];
	struct udaq_ctx *ctx;
	int ret, i, m = ROUNDS / 2;

	bare.go_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bare.ack_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sim.ack_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bare.lat = calloc(ITERS, sizeof(uint64_t));
	sim.lat = calloc(ITERS, sizeof(uint64_t));
	if (bare.go_fd < 0 || bare.ack_fd < 0 || sim.ack_fd < 0 || !bare.lat || !sim.lat)
		return 1;
	if ((ret = udaq_ctx_new(&ctx)) || (ret = udaq_dev_open(ctx, "sim:ring=64K", &sim.dev)) ||
	    (ret = udaq_dev_map_by_name(sim.dev, "regs", 0, &sim.regs))) {
		fprintf(stderr, "bench_irq_latency: cannot open the simulator: %d\n", ret);
		return 1;
	}
	udaq_map_write32(sim.regs, REFDAQ_REG_IRQ_MASK, REFDAQ_IRQ_DATA);

	/* Alternate the two, so that load from elsewhere hits both alike. */
	for (i = 0; i < ROUNDS; i++) {
		run(&bare, &b50[i], &b99[i]);
		run(&sim, &s50[i], &s99[i]);
	}
	qsort(b50, ROUNDS, sizeof(double), cmp_double);
	qsort(b99, ROUNDS, sizeof(double), cmp_double);
	qsort(s50, ROUNDS, sizeof(double), cmp_double);
	qsort(s99, ROUNDS, sizeof(double), cmp_double);
	printf("interrupt-to-wakeup latency (median of %d alternating rounds of %d interrupts)\n",
	       ROUNDS, ITERS);
	printf("  bare eventfd ping-pong:          p50 %7.2f us   p99 %7.2f us\n", b50[m], b99[m]);
	printf("  sim + udaq_dev_irq_wait:         p50 %7.2f us   p99 %7.2f us\n", s50[m], s99[m]);
	printf("  p50 ratio %.2f (target <= %.1f): %s   p99 ratio %.2f\n", s50[m] / b50[m], TARGET,
	       s50[m] / b50[m] <= TARGET ? "PASS" : "MISS", s99[m] / b99[m]);
	udaq_dev_close(sim.dev);
	udaq_ctx_free(ctx);
	free(bare.lat);
	free(sim.lat);
	close(bare.go_fd);
	close(bare.ack_fd);
	close(sim.ack_fd);
	return 0;
}
