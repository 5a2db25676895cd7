/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interrupt waits: through the UIO transport with a FIFO (and a regular
 * file) as the node, and through a minimal transport on a pipe for the
 * hang-up and event-count wrap cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <uio_daq/uio_daq.h>

#include "internal.h"
#include "fake_tree.h"

struct fixture {
	struct fake_tree tree;
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	char node[PATH_MAX];
	int wfd;		/* the "kernel" end of the FIFO */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_tree_init(&f->tree);
	fake_uio(&f->tree, 0, "refdaq", "0.1");
	fake_node_fifo(&f->tree, 0, f->node, sizeof(f->node));
	assert_int_equal(udaq_ctx_new(&f->ctx), 0);
	assert_int_equal(udaq_ctx_set_sysfs_root(f->ctx, f->tree.sysfs), 0);
	assert_int_equal(udaq_ctx_set_dev_root(f->ctx, f->tree.dev), 0);
	assert_int_equal(udaq_dev_open(f->ctx, "uio0", &f->dev), 0);
	/* The device holds the FIFO open read-write, so this cannot block. */
	f->wfd = open(f->node, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(f->wfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->wfd);
	udaq_dev_close(f->dev);
	udaq_ctx_free(f->ctx);
	fake_tree_cleanup(&f->tree);
	free(f);
	return 0;
}

static void raise_count(int fd, uint32_t count)
{
	assert_int_equal(write(fd, &count, sizeof(count)), sizeof(count));
}

static void test_fifo_wait_and_timeout(void **state)
{
	struct fixture *f = *state;
	uint32_t missed = 99;

	assert_int_equal(udaq_dev_irq_wait(f->dev, 0, &missed), 0);
	assert_int_equal(missed, 0);
	assert_int_equal(udaq_dev_irq_wait(f->dev, 30, NULL), 0);
	assert_int_equal(udaq_dev_irq_count(f->dev), 0);

	raise_count(f->wfd, 41);
	assert_int_equal(udaq_dev_irq_wait(f->dev, 1000, &missed), 1);
	/* The first count read is the baseline: nothing missed yet. */
	assert_int_equal(missed, 0);
	assert_int_equal(udaq_dev_irq_count(f->dev), 1);
	/* Consumed: the next wait times out. */
	assert_int_equal(udaq_dev_irq_wait(f->dev, 0, &missed), 0);

	raise_count(f->wfd, 42);
	assert_int_equal(udaq_dev_irq_wait(f->dev, -1, &missed), 1);
	assert_int_equal(missed, 0);
	raise_count(f->wfd, 47);
	assert_int_equal(udaq_dev_irq_wait(f->dev, 1000, &missed), 1);
	assert_int_equal(missed, 4);
	assert_int_equal(udaq_dev_irq_count(f->dev), 7);
}

static void test_fifo_short_read_is_eio(void **state)
{
	struct fixture *f = *state;
	uint16_t half = 1;

	assert_int_equal(write(f->wfd, &half, sizeof(half)), sizeof(half));
	assert_int_equal(udaq_dev_irq_wait(f->dev, 1000, NULL), -EIO);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_signal_interrupts_wait(void **state)
{
	struct fixture *f = *state;
	struct sigaction sa, old;
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };

	/* Without SA_RESTART, so that a handler can stop a wait for good. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(udaq_dev_irq_wait(f->dev, 5000, NULL), -EINTR);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	/* Nothing was consumed or counted. */
	assert_int_equal(udaq_dev_irq_count(f->dev), 0);
	raise_count(f->wfd, 1);
	assert_int_equal(udaq_dev_irq_wait(f->dev, 1000, NULL), 1);
}

static void test_file_eof_is_enodev(void **state)
{
	struct fake_tree tree;
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	char node[PATH_MAX];
	uint32_t count = 5, missed;
	int fd;

	(void)state;
	fake_tree_init(&tree);
	fake_uio(&tree, 0, "refdaq", "0.1");
	fake_node_file(&tree, 0, 0, node, sizeof(node));
	fd = open(node, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &count, 4), 4);
	close(fd);
	assert_int_equal(udaq_ctx_new(&ctx), 0);
	assert_int_equal(udaq_ctx_set_sysfs_root(ctx, tree.sysfs), 0);
	assert_int_equal(udaq_ctx_set_dev_root(ctx, tree.dev), 0);
	assert_int_equal(udaq_dev_open(ctx, "/dev/uio0", &dev), 0);
	assert_int_equal(udaq_dev_irq_wait(dev, 100, &missed), 1);
	/* A read that returns nothing means the device is gone. */
	assert_int_equal(udaq_dev_irq_wait(dev, 100, &missed), -ENODEV);
	udaq_dev_close(dev);
	udaq_ctx_free(ctx);
	fake_tree_cleanup(&tree);
}

/* ---- A pipe transport, to control hang-up exactly -------------------- */

static int pipe_irq_read(struct udaq_dev *dev, uint32_t *count)
{
	ssize_t n = read(dev->irq_fd, count, sizeof(*count));

	if (n < 0)
		return -errno;
	return n == sizeof(*count) ? 0 : -ENODEV;
}

static const struct udaq_transport_ops pipe_ops = {
	.irq_read = pipe_irq_read,
};

struct pipe_dev {
	struct udaq_dev dev;
	int wfd;
};

static void pipe_dev_init(struct pipe_dev *p)
{
	int fds[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	p->dev.irq_fd = fds[0];
	p->wfd = fds[1];
	p->dev.ops = &pipe_ops;
}

static void test_hangup_is_enodev(void **state)
{
	struct pipe_dev p;

	(void)state;
	pipe_dev_init(&p);
	raise_count(p.wfd, 3);
	close(p.wfd);
	/* The pending count is still delivered, then the hang-up reported. */
	assert_int_equal(udaq_dev_irq_wait(&p.dev, 100, NULL), 1);
	assert_int_equal(udaq_dev_irq_wait(&p.dev, 100, NULL), -ENODEV);
	assert_int_equal(udaq_dev_irq_wait(&p.dev, -1, NULL), -ENODEV);
	close(p.dev.irq_fd);
}

static void test_count_wraps(void **state)
{
	struct pipe_dev p;
	uint32_t missed;

	(void)state;
	pipe_dev_init(&p);
	raise_count(p.wfd, 0xfffffffeu);
	assert_int_equal(udaq_dev_irq_wait(&p.dev, 100, &missed), 1);
	raise_count(p.wfd, 1);
	assert_int_equal(udaq_dev_irq_wait(&p.dev, 100, &missed), 1);
	/* fffffffe -> ffffffff, 0 (missed), 1 (seen). */
	assert_int_equal(missed, 2);
	assert_int_equal(udaq_dev_irq_count(&p.dev), 4);
	close(p.wfd);
	close(p.dev.irq_fd);
}

static void test_no_irqcontrol_is_enotsup(void **state)
{
	struct pipe_dev p;

	(void)state;
	pipe_dev_init(&p);
	assert_int_equal(udaq_dev_irq_enable(&p.dev, true), -ENOTSUP);
	assert_int_equal(udaq_dev_irq_wait(&p.dev, -2, NULL), -EINVAL);
	close(p.wfd);
	close(p.dev.irq_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifo_wait_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_short_read_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_interrupts_wait, setup, teardown),
		cmocka_unit_test(test_file_eof_is_enodev),
		cmocka_unit_test(test_hangup_is_enodev),
		cmocka_unit_test(test_count_wraps),
		cmocka_unit_test(test_no_irqcontrol_is_enotsup),
	};

	return cmocka_run_group_tests_name("core/irq", tests, NULL, NULL);
}
