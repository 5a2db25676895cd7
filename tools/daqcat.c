/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daqcat: read a daqd stream (docs/stream-protocol.md). Prints the stream's
 * description on stderr, then writes the samples to stdout (raw int16 LE,
 * interleaved, or --text), records them as SigMF (-o DIR, a capture
 * segment with core:global_index after every gap, as daqd's recorder
 * does), and/or checks them (--verify). A summary goes to stderr at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "sigmf.h"
#include "fdio.h"
#include "stream_client.h"
#include "stream_verify.h"
#include "tools-internal.h"

#ifndef DAQD_VERSION
#define DAQD_VERSION "unknown"
#endif

struct opts {
	const char *addr;
	uint32_t chan_mask;
	uint32_t decimation;
	uint64_t max_samples;		/* 0: unlimited */
	double duration;		/* 0: unlimited */
	const char *outdir;
	bool verify;
	bool text;
	bool quiet;
	bool follow;			/* carry on after END */
	int timeout_ms;
};

/* The SigMF output of one acquisition. */
struct sigmf_out {
	struct daqd_sigmf_file f;	/* the writer daqd's recorder uses */
	uint64_t next;			/* device index after the last sample */
	uint64_t pending_lost;		/* gap samples before the next DATA */
	bool have_next;
	char recorder[64];
	char hw[DQS_HELLO_STR_MAX + 1];
	char datatype[DQS_HELLO_STR_MAX + 1];
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: daqcat [OPTION]... ADDRESS\n"
		"Read the acquisition a daqd serves with --listen.\n"
		"ADDRESS is HOST:PORT, [IPV6]:PORT, :PORT (loopback) or unix:PATH.\n\n"
		"  -c, --channels LIST   device channels to receive, e.g. 0,2-3 (default: all)\n"
		"  -d, --decimate N      keep one sample in N (server side, default 1)\n"
		"  -n, --samples N       stop after N samples per channel\n"
		"  -t, --duration SEC    stop after SEC seconds\n"
		"  -o, --output DIR      record SigMF files into DIR instead of stdout\n"
		"      --verify          check the samples against the test pattern and the\n"
		"                        accounting of every gap; exit 1 on any error\n"
		"      --text            print samples as text: INDEX V0 V1 ...\n"
		"  -f, --follow          keep going across acquisitions (after END)\n"
		"  -T, --timeout MS      give up when the server is silent this long\n"
		"                        (default 0: never; a vanished TCP server is\n"
		"                        noticed by keepalive within about 11 s)\n"
		"  -q, --quiet           no description, no summary\n"
		"  -h, --help            this help\n"
		"  -V, --version         version\n\n"
		"Without -o, --verify or --text the samples go to stdout as raw int16\n"
		"little-endian, interleaved by channel. Exit status: 0 ok, 1 verification\n"
		"failed, 2 usage, 3 connection or protocol error.\n");
}

/* "0,2-3" -> bits 0, 2, 3. */
static int parse_channels(const char *s, uint32_t *mask)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t a, b;

		if (dash) {
			*dash = '\0';
			if (tools_parse_u64(tok, 31, &a) || tools_parse_u64(dash + 1, 31, &b) || a > b)
				return -EINVAL;
		} else {
			if (tools_parse_u64(tok, 31, &a))
				return -EINVAL;
			b = a;
		}
		for (uint64_t c = a; c <= b; c++)
			*mask |= 1u << c;
	}
	return *mask ? 0 : -EINVAL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "channels", required_argument, NULL, 'c' },
		{ "decimate", required_argument, NULL, 'd' },
		{ "samples", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "verify", no_argument, NULL, 'v' },
		{ "text", no_argument, NULL, 'x' },
		{ "follow", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->decimation = 1;
	o->timeout_ms = 0;
	while ((c = getopt_long(argc, argv, "c:d:n:t:o:fT:qhV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_channels(optarg, &o->chan_mask)) {
				fprintf(stderr, "daqcat: --channels '%s': expected a list of channels 0-31, e.g. 0,2-3\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			if (tools_parse_u64(optarg, DQS_MAX_DECIMATION, &v) || !v) {
				fprintf(stderr, "daqcat: --decimate '%s': expected 1 to %u\n",
					optarg, DQS_MAX_DECIMATION);
				return 2;
			}
			o->decimation = (uint32_t)v;
			break;
		case 'n':
			if (tools_parse_u64(optarg, UINT64_MAX, &o->max_samples) || !o->max_samples) {
				fprintf(stderr, "daqcat: --samples '%s': expected a positive count\n", optarg);
				return 2;
			}
			break;
		case 't':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || *end || !(o->duration > 0) || o->duration > 1e9) {
				fprintf(stderr, "daqcat: --duration '%s': expected positive seconds\n", optarg);
				return 2;
			}
			break;
		case 'o':
			o->outdir = optarg;
			break;
		case 'v':
			o->verify = true;
			break;
		case 'x':
			o->text = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'T':
			if (tools_parse_u64(optarg, 3600000, &v)) {
				fprintf(stderr, "daqcat: --timeout '%s': expected 0 (never) to 3600000 ms\n", optarg);
				return 2;
			}
			o->timeout_ms = (int)v;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("daqcat %s\n", DAQD_VERSION);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "daqcat: expected one ADDRESS (HOST:PORT or unix:PATH); try --help\n");
		return 2;
	}
	o->addr = argv[optind];
	if (o->outdir && o->text) {
		fprintf(stderr, "daqcat: -o and --text are exclusive\n");
		return 2;
	}
	if (!o->outdir && !o->verify && !o->text && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "daqcat: not writing binary samples to a terminal; "
			"redirect stdout, or use --text, -o DIR or --verify\n");
		return 2;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_hello(const struct dqs_hello *h)
{
	fprintf(stderr, "daqcat: acquisition %" PRIu64 " from %s (%s)\n", h->acq_id,
		h->device, h->server);
	if (h->sample_rate)
		fprintf(stderr, "daqcat:   %u Hz per channel", h->sample_rate);
	else
		fprintf(stderr, "daqcat:   free-running (no nominal rate)");
	if (h->decimation > 1)
		fprintf(stderr, ", decimated by %u", h->decimation);
	fprintf(stderr, "; %u channel%s (mask 0x%x of 0x%x), %s, %u bits\n", h->nchan,
		h->nchan == 1 ? "" : "s", h->chan_mask, h->dev_chan_mask, h->datatype,
		h->sample_bits);
}

/* ---- SigMF output --------------------------------------------------------- */

static int sigmf_open(struct sigmf_out *s, const struct dqs_hello *h)
{
	char stem[128], stamp[32];
	time_t t = (time_t)(h->start_unix_ns / 1000000000);
	struct tm tm;
	int ret;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(stem, sizeof(stem), "daqcat-%s-acq%" PRIu64, stamp, h->acq_id);
	ret = daqd_sigmf_file_open(&s->f, stem);
	if (ret)
		return ret;
	snprintf(s->hw, sizeof(s->hw), "%s", h->device);
	snprintf(s->datatype, sizeof(s->datatype), "%s", h->datatype);
	s->f.meta.datatype = s->datatype;
	/* The device's rate and indices: the writer puts them in file samples. */
	s->f.meta.sample_rate = h->sample_rate;
	s->f.meta.decimation = h->decimation;
	s->f.meta.num_channels = h->nchan;
	s->f.meta.hw = s->hw;
	s->f.meta.recorder = s->recorder;
	s->f.meta.acq_id = h->acq_id;
	s->have_next = false;
	s->pending_lost = 0;
	return 0;
}

/* When device sample @index was taken, by the HELLO's clock. */
static struct timespec sample_time(const struct dqs_hello *h, uint64_t index,
				   uint64_t ts_ns)
{
	struct timespec start = { .tv_sec = h->start_unix_ns / 1000000000,
				  .tv_nsec = h->start_unix_ns % 1000000000 };

	return daqd_sigmf_sample_time(&start, h->sample_rate, index, ts_ns);
}

static int sigmf_data(struct sigmf_out *s, const struct dqs_hello *h, const struct dqs_data *d)
{
	struct timespec when = sample_time(h, d->first_sample, d->timestamp_ns);
	bool described = false;
	int ret = 0;

	/* A new segment wherever the device index does not continue. */
	if (s->f.samples == 0 || !s->have_next || d->first_sample != s->next) {
		ret = daqd_sigmf_add_capture(&s->f.meta, s->f.samples, d->first_sample, &when);
		described = true;
	}
	if (!ret && s->pending_lost) {
		ret = daqd_sigmf_add_gap(&s->f.meta, s->f.samples, s->pending_lost, d->first_sample);
		/* The kept samples missing: both ends lie on the grid of kept ones. */
		if (!ret)
			s->f.meta.gaps[s->f.meta.ngaps - 1].file_lost =
				(d->first_sample - (s->have_next ? s->next : 0)) / h->decimation;
		described = true;
	}
	s->pending_lost = 0;
	/* As the recorder: the capture is stored before its samples (docs/sigmf.md). */
	if (!ret && described && s->f.samples)
		ret = daqd_sigmf_file_flush(&s->f, false);
	if (!ret)
		ret = daqd_write_all(s->f.data_fd, d->samples, dqs_data_payload_len(d->nsamples, d->nchan));
	if (ret)
		return ret;
	s->f.samples += d->nsamples;
	s->next = d->first_sample + (uint64_t)d->nsamples * h->decimation;
	s->have_next = true;
	if (now_s() - ((double)s->f.last_flush.tv_sec + (double)s->f.last_flush.tv_nsec / 1e9) > 1.0)
		ret = daqd_sigmf_file_flush(&s->f, false);
	return ret;
}

/* ---- Main loop ------------------------------------------------------------ */

static void print_text(const struct dqs_hello *h, const struct dqs_data *d)
{
	const uint8_t *p = d->samples;

	for (uint32_t i = 0; i < d->nsamples; i++) {
		printf("%" PRIu64, d->first_sample + (uint64_t)i * h->decimation);
		for (unsigned int k = 0; k < d->nchan; k++, p += 2)
			printf(" %d", (int16_t)(uint16_t)(p[0] | (p[1] << 8)));
		putchar('\n');
	}
}

/* One run of daqcat: its options, outputs and tallies. */
struct cat {
	struct opts o;
	struct sigmf_out so;
	struct dqs_verify v;
	struct dqs_client *c;
	const struct dqs_hello *hello;
	uint64_t samples, gaps, gap_slow, gap_dev, nmsg;
	int status;
};

/* -o DIR: as daqd's recorder, a directory named for the recording is made. */
static void note_repair(const void *arg, const char *name, const char *what)
{
	fprintf(stderr, "daqcat: recovered %s/%s: %s\n", (const char *)arg, name, what);
}

static int open_outdir(struct cat *k)
{
	int ret = daqd_mkdir_p(k->o.outdir, 0755);

	if (ret) {
		fprintf(stderr, "daqcat: output directory %s: %s\n", k->o.outdir, strerror(-ret));
		return 3;
	}
	k->so.f.dirfd = open(k->o.outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k->so.f.dirfd < 0) {
		fprintf(stderr, "daqcat: output directory %s: %s\n", k->o.outdir, strerror(errno));
		return 3;
	}
	/* What an earlier daqcat killed mid-write left: readable again. */
	ret = daqd_sigmf_recover(k->so.f.dirfd, "daqcat", note_repair, k->o.outdir);
	if (ret < 0) {
		fprintf(stderr, "daqcat: output directory %s: %s\n", k->o.outdir, strerror(-ret));
		return 3;
	}
	return 0;
}

/*
 * The next event, within --duration. Return 1 with @ev; 0 to stop (time is
 * up, interrupted); -1 on an error (status set).
 */
static int next_event(struct cat *k, double t_end, struct dqs_event *ev)
{
	char err[300];
	int ret;

	if (t_end) {
		/* A quiet server must not hold daqcat past --duration. */
		double left_ms = (t_end - now_s()) * 1000.0 + 1.0;
		int ms;

		if (left_ms <= 1.0)
			return 0;
		ms = left_ms > 3600000.0 ? 3600000 : (int)left_ms;
		dqs_client_set_timeout(k->c, k->o.timeout_ms && k->o.timeout_ms < ms ?
				       k->o.timeout_ms : ms);
	}
	ret = dqs_client_next(k->c, ev, err, sizeof(err));
	if (!ret)
		return 1;
	if (ret == -EINTR || interrupted)
		return 0;
	if (ret == -ETIMEDOUT && t_end && now_s() >= t_end)
		return 0;	/* --duration is up, the stream was just quiet */
	fprintf(stderr, "daqcat: %s\n", err);
	k->status = 3;
	return -1;
}

/* HELLO: a new acquisition, and with -o a new recording. Return 0 or -1 to stop. */
static int on_hello(struct cat *k, const struct dqs_hello *h)
{
	int ret;

	k->hello = h;
	if (!k->o.quiet)
		print_hello(h);
	dqs_verify_start(&k->v, h, true);
	if (!k->o.outdir)
		return 0;
	daqd_sigmf_file_close(&k->so.f);
	ret = sigmf_open(&k->so, h);
	if (ret) {
		fprintf(stderr, "daqcat: creating %s/%s.sigmf-data: %s\n",
			k->o.outdir, k->so.f.stem, strerror(-ret));
		k->status = 3;
		return -1;
	}
	return 0;
}

static void on_gap(struct cat *k, const struct dqs_gap *g)
{
	k->gaps++;
	if (g->reason == DQS_GAP_CLIENT_SLOW)
		k->gap_slow += g->nsamples;
	else
		k->gap_dev += g->nsamples;
	if (k->o.verify)
		dqs_verify_gap(&k->v, g);
	k->so.pending_lost += g->nsamples;
	if (!k->o.quiet && !k->o.text)
		fprintf(stderr, "daqcat: gap of %" PRIu64 " samples at %" PRIu64 " (%s)\n",
			g->nsamples, g->first_sample, dqs_gap_reason_name(g->reason));
}

/* END: the recording is complete. Return 0, or -1 to stop (no --follow). */
static int on_end(struct cat *k, const struct dqs_end *e)
{
	if (k->o.verify)
		dqs_verify_end(&k->v, e);
	if (!k->o.quiet)
		fprintf(stderr, "daqcat: acquisition ended at sample %" PRIu64 " (%s)\n",
			e->end_sample, dqs_end_reason_name(e->reason));
	if (k->o.outdir) {
		/* GAPs right before END: lost after the last sample, as the recorder notes it. */
		k->so.f.meta.trailing_lost = k->so.pending_lost;
		k->so.pending_lost = 0;
		daqd_sigmf_file_close(&k->so.f);
	}
	return k->o.follow ? 0 : -1;
}

/* Committed DATA, to every output asked for. Return 0, or -1 to stop. */
static int on_data(struct cat *k, struct dqs_data *d)
{
	int ret;

	if (k->o.max_samples && k->samples + d->nsamples > k->o.max_samples)
		d->nsamples = (uint32_t)(k->o.max_samples - k->samples);
	k->nmsg++;
	k->samples += d->nsamples;
	if (k->o.verify)
		dqs_verify_data(&k->v, d);
	if (k->o.outdir) {
		ret = sigmf_data(&k->so, k->hello, d);
		if (ret) {
			fprintf(stderr, "daqcat: writing %s/%s.sigmf-data: %s\n", k->o.outdir,
				k->so.f.stem, strerror(-ret));
			k->status = 3;
			return -1;
		}
	} else if (k->o.text) {
		print_text(k->hello, d);
	} else if (!k->o.verify) {
		ret = daqd_write_all(STDOUT_FILENO, d->samples,
				     dqs_data_payload_len(d->nsamples, d->nchan));
		if (ret) {
			if (ret != -EPIPE)
				fprintf(stderr, "daqcat: stdout: %s\n", strerror(-ret));
			return -1;
		}
	}
	if (k->o.max_samples && k->samples >= k->o.max_samples)
		return -1;
	return 0;
}

/* Read events until the stream, --duration, --samples or a signal ends it. */
static void run(struct cat *k, double t_end)
{
	while (!interrupted) {
		struct dqs_event ev;
		int ret = next_event(k, t_end, &ev);

		if (ret <= 0)
			break;
		switch (ev.type) {
		case DQS_EV_EOF:
			if (!k->o.quiet)
				fprintf(stderr, "daqcat: the server closed the connection\n");
			return;
		case DQS_EV_HELLO:
			ret = on_hello(k, ev.hello);
			break;
		case DQS_EV_GAP:
			on_gap(k, &ev.gap);
			break;
		case DQS_EV_END:
			ret = on_end(k, &ev.end);
			break;
		default:
			ret = on_data(k, &ev.data);
			break;
		}
		if (ret < 0)
			return;
	}
}

/* The summary on stderr and --verify's verdict. Return the exit status. */
static int report(struct cat *k, double t0)
{
	uint64_t bad = dqs_verify_errors(&k->v);
	const struct dqs_verify *v = &k->v;
	int status = k->status;

	if (!k->o.quiet) {
		double dt = now_s() - t0;

		fprintf(stderr, "daqcat: %" PRIu64 " samples in %" PRIu64 " messages, %.2f s"
			" (%.1f MB/s); %" PRIu64 " gaps: %" PRIu64 " samples client-slow, %" PRIu64
			" device-overflow; %" PRIu64 " messages voided\n",
			k->samples, k->nmsg, dt,
			dt > 0 ? (double)dqs_client_bytes(k->c) / dt / 1e6 : 0.0,
			k->gaps, k->gap_slow, k->gap_dev, dqs_client_aborted(k->c));
	}
	if (!k->o.verify)
		return status;
	if (bad)
		fprintf(stderr, "daqcat: verify: FAILED, %" PRIu64 " bad samples, %" PRIu64
			" accounting errors; first: %s\n",
			v->bad_samples, v->bad_sequence, v->first_error);
	else if (status)
		fprintf(stderr, "daqcat: verify: incomplete, the stream broke off\n");
	else if (!k->samples)
		fprintf(stderr, "daqcat: verify: FAILED, no samples received\n");
	else if (!k->o.quiet)
		fprintf(stderr, "daqcat: verify: OK, every sample matches the test pattern"
			" and every gap is accounted for\n");
	if ((bad || !k->samples) && !status)
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	struct cat k = { .so = { .f = { .dirfd = -1, .data_fd = -1 } } };
	struct sigaction sa = { .sa_handler = on_signal };
	struct dqs_request rq = { 0 };
	char err[300];
	double t0, t_end = 0;
	int ret;

	ret = parse_args(argc, argv, &k.o);
	if (ret)
		return ret == 1 ? 0 : ret;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snprintf(k.so.recorder, sizeof(k.so.recorder), "daqcat %s", DAQD_VERSION);
	if (k.o.outdir) {
		ret = open_outdir(&k);
		if (ret)
			return ret;
	}

	rq.chan_mask = k.o.chan_mask;
	rq.decimation = k.o.decimation;
	ret = dqs_client_connect(k.o.addr, &rq, k.o.timeout_ms, &k.c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "daqcat: %s\n", err);
		return 3;
	}
	t0 = now_s();
	if (k.o.duration)
		t_end = t0 + k.o.duration;
	run(&k, t_end);
	if (k.o.text)
		fflush(stdout);
	if (k.o.outdir && daqd_sigmf_file_close(&k.so.f)) {
		fprintf(stderr, "daqcat: finishing %s: metadata not written\n", k.so.f.stem);
		k.status = 3;
	}
	ret = report(&k, t0);
	dqs_client_close(k.c);
	if (k.so.f.dirfd >= 0)
		close(k.so.f.dirfd);
	return ret;
}
