// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Robustness of the stream client's reassembly (libdaqstream/
 * stream_client.c): the receive buffer that cuts a byte stream from a
 * server into messages, and the pending store that holds DATA until COMMIT
 * and drops it on ABORT.
 *
 * A server thread sends a byte stream over a real Unix socket in chunks of
 * random sizes (so messages arrive cut anywhere); the client turns it into
 * events. Streams are valid ones (HELLO, runs of DATA each ended by COMMIT
 * or ABORT, GAP, END, sometimes ERROR), valid ones cut short, and mutated
 * ones. Invariants:
 *  - a valid stream yields exactly the committed DATA, in order and byte
 *    for byte, the GAPs and the END, then EOF (or the server's refusal for
 *    ERROR); the aborted messages are counted;
 *  - every stream ends in EOF, -EPROTO (with a "protocol error" reason) or
 *    -ECONNREFUSED, never a crash, a hang (-ETIMEDOUT) or another error;
 *  - every DATA event has HELLO's channel count, and its samples can be
 *    read whole (ASan checks the bytes);
 *  - the chunking does not matter: the same bytes cut differently give the
 *    same events and the same end.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "stream_addr.h"
#include "stream_client.h"
#include "stream_proto.h"

/* More than the client's 256 KiB receive buffer: it must compact and grow. */
#define CAP		(1024 * 1024)
#define TIMEOUT_MS	5000

static struct fuzz F;
static char addr[160], sock_path[128], dir[64];
static int lfd = -1;

/* ---- one connection ------------------------------------------------- */

struct writer {
	int fd;
	const uint8_t *buf;
	size_t len;
	uint64_t chunk_seed;	/* its own PRNG: F belongs to the main thread */
};

static void *write_stream(void *arg)
{
	struct writer *w = arg;
	struct fuzz rng = { .state = w->chunk_seed };
	size_t off = 0;

	while (off < w->len) {
		size_t max = fuzz_below(&rng, 4) ? 1 + fuzz_below(&rng, 64) :
			     1 + fuzz_below(&rng, 8192);
		size_t n = w->len - off < max ? w->len - off : max;
		ssize_t r = send(w->fd, w->buf + off, n, MSG_NOSIGNAL);

		if (r <= 0)
			break;	/* the client gave up and closed: fine */
		off += (size_t)r;
		if (fuzz_below(&rng, 2))
			sched_yield();	/* let the client take a part */
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

struct result {
	int ret;		/* 0: ended with EOF */
	char err[256];
	uint64_t digest;	/* of every event, in order */
	size_t events;
	uint64_t aborted;
};

static void mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * UINT64_C(0x100000001b3);
}

static void mix64(uint64_t *h, uint64_t v)
{
	mix(h, &v, sizeof(v));
}

/*
 * Fold an event into @h: what run() received and what gen_valid() expects
 * go through this one function. Every DATA byte is read (ASan complains if
 * the samples are not all there).
 */
static void mix_event(uint64_t *h, const struct dqs_event *ev)
{
	mix64(h, ev->type);
	switch (ev->type) {
	case DQS_EV_HELLO:
		mix64(h, ev->hello->nchan);
		mix64(h, ev->hello->acq_id);
		break;
	case DQS_EV_DATA:
		mix64(h, ev->data.seq);
		mix64(h, ev->data.first_sample);
		mix64(h, ev->data.nsamples);
		mix64(h, ev->data.flags);
		mix(h, ev->data.samples, (size_t)ev->data.nsamples * ev->data.nchan * 2);
		break;
	case DQS_EV_GAP:
		mix64(h, ev->gap.first_sample);
		mix64(h, ev->gap.nsamples);
		mix64(h, ev->gap.reason);
		break;
	case DQS_EV_END:
		mix64(h, ev->end.end_sample);
		mix64(h, ev->end.reason);
		break;
	case DQS_EV_EOF:
		break;
	default:
		FUZZ_ASSERT(&F, !"unknown event type");
	}
}

/* Feed @buf to a new client in chunks drawn from @chunk_seed. */
static void run(const uint8_t *buf, size_t len, uint64_t chunk_seed, struct result *r)
{
	struct dqs_request rq = { .decimation = 1 };
	struct writer w = { .buf = buf, .len = len, .chunk_seed = chunk_seed };
	uint8_t req[DQS_REQUEST_BYTES];
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	struct dqs_client *c;
	pthread_t t;
	const struct dqs_hello *hello = NULL;

	memset(r, 0, sizeof(*r));
	r->digest = UINT64_C(0xcbf29ce484222325);
	FUZZ_ASSERT(&F, dqs_client_connect(addr, &rq, TIMEOUT_MS, &c, r->err,
					   sizeof(r->err)) == 0);
	FUZZ_ASSERT(&F, poll(&pfd, 1, TIMEOUT_MS) == 1);
	w.fd = accept(lfd, NULL, NULL);
	FUZZ_ASSERT(&F, w.fd >= 0);
	FUZZ_ASSERT(&F, recv(w.fd, req, sizeof(req), MSG_WAITALL) == (ssize_t)sizeof(req));
	FUZZ_ASSERT(&F, pthread_create(&t, NULL, write_stream, &w) == 0);
	for (;;) {
		struct dqs_event ev;
		int ret = dqs_client_next(c, &ev, r->err, sizeof(r->err));

		if (ret) {
			r->ret = ret;
			break;
		}
		r->events++;
		if (ev.type == DQS_EV_HELLO) {
			FUZZ_ASSERT(&F, ev.hello);
			hello = ev.hello;
		}
		if (ev.type == DQS_EV_DATA)
			FUZZ_ASSERT(&F, hello && ev.data.nchan == hello->nchan);
		mix_event(&r->digest, &ev);
		if (ev.type == DQS_EV_EOF)
			break;
	}
	r->aborted = dqs_client_aborted(c);
	/* Closing unblocks a writer the client stopped reading from. */
	dqs_client_close(c);
	pthread_join(t, NULL);
	close(w.fd);
	FUZZ_ASSERT(&F, r->ret == 0 || r->ret == -EPROTO || r->ret == -ECONNREFUSED);
	FUZZ_ASSERT(&F, memchr(r->err, '\0', sizeof(r->err)) != NULL);
	FUZZ_ASSERT(&F, r->ret != -EPROTO || strstr(r->err, "protocol error"));
	FUZZ_ASSERT(&F, r->ret != -ECONNREFUSED || strstr(r->err, "server refused"));
}

/* ---- valid streams, with the events they must give ------------------- */

struct gen {
	uint8_t buf[CAP];
	size_t len;
	uint64_t digest;	/* as run() computes it for the expected events */
	size_t events;
	uint64_t aborted;
	bool refused;		/* ends with ERROR */
};

static void put(struct gen *g, const void *p, size_t n)
{
	FUZZ_ASSERT(&F, g->len + n <= sizeof(g->buf));
	memcpy(g->buf + g->len, p, n);
	g->len += n;
}

static void gen_valid(struct gen *g)
{
	struct dqs_hello h = { .version = DQS_VERSION_MAJOR, .sample_rate = 1000,
			       .decimation = 1, .sample_bits = 16, .acq_id = 7 };
	uint8_t b[DQS_HDR_LEN + DQS_HELLO_MAX_LEN];
	uint64_t data_msgs = 0, seq = 0, next = fuzz_below(&F, 1000);
	/* Mostly small streams; one in eight long, with large messages. */
	bool big = fuzz_below(&F, 8) == 0;
	size_t runs = fuzz_below(&F, big ? 64 : 8);
	uint32_t max_samples = big ? 16384 : 64;
	int n;

	memset(g, 0, sizeof(*g));
	g->digest = UINT64_C(0xcbf29ce484222325);
	h.chan_mask = 1 + (uint32_t)fuzz_below(&F, 15);
	h.dev_chan_mask = h.chan_mask | 0xf0;
	h.nchan = (uint16_t)__builtin_popcount(h.chan_mask);
	h.max_pending = 8u << 20;
	strcpy(h.device, "fuzz");
	strcpy(h.datatype, "ri16_le");
	strcpy(h.server, "fuzz_stream_client");
	n = dqs_encode_hello(b, sizeof(b), &h);
	FUZZ_ASSERT(&F, n > 0);
	put(g, b, (size_t)n);
	g->events++;
	mix_event(&g->digest, &(struct dqs_event){ .type = DQS_EV_HELLO, .hello = &h });

	for (size_t r = 0; r < runs; r++) {
		size_t k = fuzz_below(&F, 5), start = g->len;
		bool abort_it = fuzz_below(&F, 4) == 0;
		uint64_t digest = g->digest;

		/* Room for the run's COMMIT and GAP, and the stream's END or ERROR. */
		if (g->len + 1024 > sizeof(g->buf))
			break;
		/* The expected events of this run, if it is committed. */
		for (size_t i = 0; i < k; i++) {
			struct dqs_data d = { .seq = seq++, .first_sample = next,
					      .nsamples = 1 + (uint32_t)fuzz_below(&F, max_samples),
					      .nchan = h.nchan };
			size_t bytes = (size_t)d.nsamples * d.nchan * 2;
			uint8_t hdr[DQS_DATA_HDR_BYTES];

			if (g->len + sizeof(hdr) + bytes + 1024 > sizeof(g->buf))
				break;
			dqs_encode_data_hdr(hdr, &d);
			put(g, hdr, sizeof(hdr));
			fuzz_fill(&F, g->buf + g->len, bytes);
			d.samples = g->buf + g->len;
			mix_event(&digest, &(struct dqs_event){ .type = DQS_EV_DATA, .data = d });
			g->len += bytes;
			next += d.nsamples;
			data_msgs++;
			if (!abort_it)
				g->events++;
		}
		if (k) {
			uint8_t cm[DQS_COMMIT_BYTES];
			size_t sent = 0;

			for (size_t off = start; off < g->len; sent++) {
				struct dqs_hdr ph;

				dqs_decode_hdr(g->buf + off, &ph, NULL, 0);
				off += DQS_HDR_LEN + ph.body_len;
			}
			if (abort_it) {
				dqs_encode_abort(cm, data_msgs);
				g->aborted += sent;
			} else {
				dqs_encode_commit(cm, data_msgs);
				g->digest = digest;
			}
			put(g, cm, sizeof(cm));
		}
		if (fuzz_below(&F, 3) == 0) {
			struct dqs_gap gp = { .first_sample = next,
					      .nsamples = 1 + fuzz_below(&F, 100),
					      .reason = 1 + (uint32_t)fuzz_below(&F, 2) };
			uint8_t gb[DQS_GAP_BYTES];

			dqs_encode_gap(gb, &gp);
			put(g, gb, sizeof(gb));
			g->events++;
			mix_event(&g->digest, &(struct dqs_event){ .type = DQS_EV_GAP, .gap = gp });
			next += gp.nsamples;
		}
	}
	if (fuzz_below(&F, 8) == 0) {
		uint8_t eb[DQS_ERROR_MAX_BYTES];

		n = dqs_encode_error(eb, sizeof(eb), EBUSY, "fuzz: go away");
		FUZZ_ASSERT(&F, n > 0);
		put(g, eb, (size_t)n);
		g->refused = true;
		return;
	}
	if (fuzz_below(&F, 4)) {
		struct dqs_end e = { .end_sample = next, .reason = DQS_END_STOPPED };
		uint8_t eb[DQS_END_BYTES];

		dqs_encode_end(eb, &e);
		put(g, eb, sizeof(eb));
		g->events++;
		mix_event(&g->digest, &(struct dqs_event){ .type = DQS_EV_END, .end = e });
	}
	/* The EOF event. */
	g->events++;
	mix_event(&g->digest, &(struct dqs_event){ .type = DQS_EV_EOF });
}

static struct gen G;

static void fuzz_valid(void)
{
	struct result r;

	gen_valid(&G);
	fuzz_set_input(&F, G.buf, G.len);
	run(G.buf, G.len, fuzz_rand(&F), &r);
	if (r.ret && !G.refused)
		fprintf(stderr, "client: %s\n", r.err);
	FUZZ_ASSERT(&F, r.ret == (G.refused ? -ECONNREFUSED : 0));
	if (!G.refused)
		FUZZ_ASSERT(&F, r.events == G.events && r.digest == G.digest);
	FUZZ_ASSERT(&F, r.aborted == G.aborted);
}

/* Cut or mutated: any end but a crash or hang, the same whatever the chunks. */
static void fuzz_damaged(void)
{
	struct result a, b;

	gen_valid(&G);
	if (fuzz_below(&F, 3) == 0)
		G.len = fuzz_below(&F, G.len + 1);
	else
		fuzz_mutate(&F, G.buf, &G.len, sizeof(G.buf));
	fuzz_set_input(&F, G.buf, G.len);
	run(G.buf, G.len, fuzz_rand(&F), &a);
	run(G.buf, G.len, fuzz_rand(&F), &b);
	FUZZ_ASSERT(&F, a.ret == b.ret && a.events == b.events && a.digest == b.digest &&
			a.aborted == b.aborted && !strcmp(a.err, b.err));
}

int main(void)
{
	struct dqs_addr a;
	char err[200];
	uint64_t valid = 0;
	char summary[96];

	fuzz_init(&F, "fuzz_stream_client", 0x5eed0006, 100000, 3.0);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-client-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/s", dir);
	snprintf(addr, sizeof(addr), "unix:%s", sock_path);
	if (dqs_addr_parse(addr, &a, err, sizeof(err)) ||
	    (lfd = dqs_addr_listen(&a, 4, err, sizeof(err))) < 0) {
		fprintf(stderr, "listen: %s\n", err);
		return 1;
	}
	while (fuzz_more(&F)) {
		if (fuzz_below(&F, 2)) {
			fuzz_valid();
			valid++;
		} else {
			fuzz_damaged();
		}
	}
	close(lfd);
	unlink(sock_path);
	rmdir(dir);
	snprintf(summary, sizeof(summary), "%llu valid streams reassembled exactly",
		 (unsigned long long)valid);
	fuzz_done(&F, summary);
	return 0;
}
