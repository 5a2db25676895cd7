/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side against a scripted server on a Unix socket: DATA is held
 * until COMMIT and dropped on ABORT, and every protocol violation a broken
 * or hostile server can commit ends in a clear error, never a crash or a
 * hang.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "stream_addr.h"
#include "stream_client.h"

struct script {
	char dir[64];
	char addr[128];
	int lfd;
	int sfd;		/* the server's end */
	struct dqs_client *c;
};

static int setup(void **state)
{
	struct script *s = calloc(1, sizeof(*s));
	struct dqs_request rq = { .decimation = 1 };
	struct dqs_addr a;
	uint8_t req[DQS_REQUEST_BYTES];
	char err[200];

	snprintf(s->dir, sizeof(s->dir), "/tmp/stream-client-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->addr, sizeof(s->addr), "unix:%s/s", s->dir);
	assert_int_equal(dqs_addr_parse(s->addr, &a, err, sizeof(err)), 0);
	s->lfd = dqs_addr_listen(&a, 4, err, sizeof(err));
	assert_true(s->lfd >= 0);
	assert_int_equal(dqs_client_connect(s->addr, &rq, 1000, &s->c, err, sizeof(err)), 0);
	s->sfd = accept(s->lfd, NULL, NULL);
	assert_true(s->sfd >= 0);
	/* The request arrives, versioned. */
	assert_int_equal(recv(s->sfd, req, sizeof(req), MSG_WAITALL), (ssize_t)sizeof(req));
	assert_int_equal(req[DQS_HDR_LEN], DQS_VERSION_MAJOR);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct script *s = *state;
	char path[128];

	dqs_client_close(s->c);
	close(s->sfd);
	close(s->lfd);
	snprintf(path, sizeof(path), "%s/s", s->dir);
	unlink(path);
	rmdir(s->dir);
	free(s);
	return 0;
}

static void put(struct script *s, const void *b, size_t n)
{
	assert_int_equal(send(s->sfd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void put_hello(struct script *s, uint32_t max_pending)
{
	struct dqs_hello h = { .version = 1, .sample_rate = 1000, .decimation = 1,
			       .dev_chan_mask = 1, .chan_mask = 1, .nchan = 1,
			       .sample_bits = 16, .max_pending = max_pending, .acq_id = 1 };
	uint8_t b[DQS_HDR_LEN + DQS_HELLO_MAX_LEN];
	int n = dqs_encode_hello(b, sizeof(b), &h);

	assert_true(n > 0);
	put(s, b, (size_t)n);
}

static void put_data(struct script *s, uint64_t first, uint32_t n, uint16_t nchan)
{
	struct dqs_data d = { .first_sample = first, .nsamples = n, .nchan = nchan };
	uint8_t b[DQS_DATA_HDR_BYTES + 64] = { 0 };

	dqs_encode_data_hdr(b, &d);
	put(s, b, DQS_DATA_HDR_BYTES + (size_t)n * nchan * 2);
}

static void put_commit(struct script *s, uint64_t msgs, bool abort_it)
{
	uint8_t b[DQS_COMMIT_BYTES];

	if (abort_it)
		dqs_encode_abort(b, msgs);
	else
		dqs_encode_commit(b, msgs);
	put(s, b, sizeof(b));
}

static void expect_error(struct script *s, int ret, const char *needle)
{
	struct dqs_event ev;
	char err[256] = "";
	int r;

	/* Events before the error are fine; the error must come. */
	do
		r = dqs_client_next(s->c, &ev, err, sizeof(err));
	while (r == 0 && ev.type != DQS_EV_EOF);
	assert_int_equal(r, ret);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_commit_and_abort(void **state)
{
	struct script *s = *state;
	struct dqs_gap g = { .first_sample = 4, .nsamples = 8, .reason = 1 };
	uint8_t gb[DQS_GAP_BYTES];
	struct dqs_event ev;
	char err[256];

	put_hello(s, 4096);
	put_data(s, 0, 2, 1);
	put_data(s, 2, 2, 1);
	put_commit(s, 2, false);
	put_data(s, 4, 2, 1);		/* voided */
	put_commit(s, 3, true);
	dqs_encode_gap(gb, &g);
	put(s, gb, sizeof(gb));
	put_data(s, 12, 3, 1);
	put_commit(s, 4, false);
	shutdown(s->sfd, SHUT_WR);

	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, DQS_EV_HELLO);
	assert_int_equal(ev.hello->sample_rate, 1000);
	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, DQS_EV_DATA);
	assert_int_equal(ev.data.first_sample, 0);
	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.data.first_sample, 2);
	/* The ABORTed message never shows; the GAP does. */
	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, DQS_EV_GAP);
	assert_int_equal(ev.gap.nsamples, 8);
	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, DQS_EV_DATA);
	assert_int_equal(ev.data.first_sample, 12);
	assert_int_equal(ev.data.nsamples, 3);
	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, DQS_EV_EOF);
	assert_int_equal(dqs_client_aborted(s->c), 1);
}

static void test_data_before_hello(void **state)
{
	struct script *s = *state;

	put_data(s, 0, 1, 1);
	expect_error(s, -EPROTO, "DATA before HELLO");
}

static void test_commit_count(void **state)
{
	struct script *s = *state;

	put_hello(s, 4096);
	put_data(s, 0, 1, 1);
	put_commit(s, 5, false);
	expect_error(s, -EPROTO, "COMMIT counts 5 DATA messages, received 1");
}

static void test_gap_with_pending(void **state)
{
	struct script *s = *state;
	struct dqs_gap g = { .first_sample = 4, .nsamples = 8, .reason = 2 };
	uint8_t gb[DQS_GAP_BYTES];

	put_hello(s, 4096);
	put_data(s, 0, 1, 1);
	dqs_encode_gap(gb, &g);
	put(s, gb, sizeof(gb));
	expect_error(s, -EPROTO, "GAP with uncommitted DATA");
}

static void test_pending_limit(void **state)
{
	struct script *s = *state;

	put_hello(s, DQS_DATA_HDR_BYTES + 2 * 8);
	put_data(s, 0, 8, 1);
	put_data(s, 8, 8, 1);
	expect_error(s, -EPROTO, "exceeds max_pending");
}

static void test_wrong_nchan(void **state)
{
	struct script *s = *state;

	put_hello(s, 4096);
	put_data(s, 0, 2, 2);
	expect_error(s, -EPROTO, "nchan differs");
}

static void test_garbage_and_truncation(void **state)
{
	struct script *s = *state;

	put(s, "HTTP/1.1 200 OK\r\n\r\n", 19);
	expect_error(s, -EPROTO, "bad magic");
}

static void test_closed_mid_message(void **state)
{
	struct script *s = *state;
	uint8_t b[DQS_HDR_LEN];

	put_hello(s, 4096);
	dqs_encode_hdr(b, DQS_GAP, DQS_GAP_LEN);
	put(s, b, sizeof(b));
	shutdown(s->sfd, SHUT_WR);
	expect_error(s, -EPROTO, "closed inside a message");
}

static void test_uncommitted_at_close(void **state)
{
	struct script *s = *state;

	put_hello(s, 4096);
	put_data(s, 0, 1, 1);
	shutdown(s->sfd, SHUT_WR);
	expect_error(s, -EPROTO, "uncommitted DATA");
}

static void test_server_error(void **state)
{
	struct script *s = *state;
	uint8_t b[DQS_ERROR_MAX_BYTES];
	int n = dqs_encode_error(b, sizeof(b), EINVAL, "channels 0x80 requested");

	put(s, b, (size_t)n);
	expect_error(s, -ECONNREFUSED, "server refused: channels 0x80 requested");
}

static void test_silent_server(void **state)
{
	struct script *s = *state;

	/* The connect timeout (1 s) also bounds the wait for a message. */
	expect_error(s, -ETIMEDOUT, "no message from the server for 1000 ms");
}

struct late_hello {
	struct script *s;
	unsigned int after_ms;
};

static void *send_late_hello(void *arg)
{
	struct late_hello *lh = arg;

	usleep(lh->after_ms * 1000);
	put_hello(lh->s, 1024);
	return NULL;
}

/* Without a silence limit a quiet server is waited for, not given up on. */
static void test_quiet_server_no_limit(void **state)
{
	struct script *s = *state;
	struct late_hello lh = { s, 1500 };
	struct dqs_event ev;
	char err[256] = "";
	pthread_t th;

	dqs_client_set_timeout(s->c, 0);
	assert_int_equal(pthread_create(&th, NULL, send_late_hello, &lh), 0);
	assert_int_equal(dqs_client_next(s->c, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, DQS_EV_HELLO);
	pthread_join(th, NULL);
	/* And a limit set later applies again. */
	dqs_client_set_timeout(s->c, 200);
	expect_error(s, -ETIMEDOUT, "no message from the server for 200 ms");
}

static void test_request_type_from_server(void **state)
{
	struct script *s = *state;
	uint8_t b[DQS_REQUEST_BYTES];
	struct dqs_request rq = { .version = 1, .decimation = 1 };

	dqs_encode_request(b, sizeof(b), &rq);
	put(s, b, sizeof(b));
	expect_error(s, -EPROTO, "REQUEST sent by the server");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_before_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_with_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_nchan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_mid_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_server_no_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_type_from_server, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
