// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-side checks of the stub-to-daqd chain (tests/kernel/chain/init.sh):
 *
 *   chaincheck verify DIR [--min-bytes N] [--lost any|none|some] [--open-ok]
 *       every SigMF recording in DIR: metadata structure (the SigMF keys and
 *       types daqd writes), captures/annotations consistent, and every
 *       sample equal to the refdaq test pattern at its device index.
 *   chaincheck bare uioN BYTES
 *       the same edu DMAs the edu driver does (staging -> edu -> ring chunk,
 *       2048 bytes a transfer, DMA-completion interrupt each), no daqd.
 *   chaincheck latency uioN COUNT
 *       interrupt-to-wakeup through the stub (edu raise-irq register ->
 *       MSI -> uio fd) next to an eventfd ping-pong between two threads.
 *   chaincheck now
 *       CLOCK_MONOTONIC in ns, for the shell to time daqd.
 *
 * Figures are printed as "@@FIGURE name key=value ..." lines.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/abi.h>
#include <uio_daq/frame.h>
#include <uio_daq/uio_daq.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 1;
}

/* ---- verify ------------------------------------------------------------- */

struct vstate {
	uint64_t next_global;	/* device index expected next (across files) */
	bool first_file;
	uint64_t samples, lost, gaps, files, open_files;
	unsigned int nchan;
};

static bool get_int(json_object *o, const char *key, int64_t *v)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_int))
		return false;
	*v = json_object_get_int64(x);
	return *v >= 0;
}

static bool get_str(json_object *o, const char *key, const char **v)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_string))
		return false;
	*v = json_object_get_string(x);
	return true;
}

static bool get_arr(json_object *o, const char *key, json_object **v)
{
	return json_object_object_get_ex(o, key, v) && json_object_is_type(*v, json_type_array);
}

/* The annotated loss at file sample @start, or 0. */
static uint64_t annotated_loss(json_object *ann, int64_t start)
{
	size_t n = json_object_array_length(ann);

	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(ann, i);
		int64_t s, lost;

		if (get_int(a, "core:sample_start", &s) && s == start &&
		    get_int(a, "daqd:lost_samples", &lost))
			return (uint64_t)lost;
	}
	return 0;
}

static int verify_file(const char *dir, const char *meta_name, struct vstate *vs,
		       bool open_ok)
{
	char path[4096], err[512];
	json_object *root, *global, *caps, *ann, *x;
	const char *s;
	int64_t count, nch, v, lost_total = 0;
	bool complete;
	FILE *f;
	int ret = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, meta_name);
	root = json_object_from_file(path);
	if (!root)
		return fail("%s: not JSON: %s", path, json_util_get_last_err());
	if (!json_object_object_get_ex(root, "global", &global) ||
	    !json_object_is_type(global, json_type_object) ||
	    !get_arr(root, "captures", &caps) || !get_arr(root, "annotations", &ann)) {
		fail("%s: %s", path, "want objects global, arrays captures and annotations");
		goto out;
	}
	if (!get_str(global, "core:datatype", &s) || strcmp(s, "ri16_le")) {
		fail("%s: %s", path, "core:datatype is not the string ri16_le");
		goto out;
	}
	if (!get_str(global, "core:version", &s) || strncmp(s, "1.", 2)) {
		fail("%s: %s", path, "core:version is not a 1.x version string");
		goto out;
	}
	if (json_object_object_get_ex(global, "core:sample_rate", &x) &&
	    !(json_object_is_type(x, json_type_int) || json_object_is_type(x, json_type_double))) {
		fail("%s: %s", path, "core:sample_rate is not a number");
		goto out;
	}
	if (!get_int(global, "core:num_channels", &nch) || nch < 1 || nch > 32 ||
	    !get_int(global, "daqd:sample_count", &count) ||
	    !json_object_object_get_ex(global, "daqd:complete", &x) ||
	    !json_object_is_type(x, json_type_boolean)) {
		fail("%s: %s", path, "core:num_channels, daqd:sample_count or daqd:complete missing or mistyped");
		goto out;
	}
	complete = json_object_get_boolean(x);
	if (!complete && !open_ok) {
		fail("%s: %s", path, "daqd:complete is false after daqd exited");
		goto out;
	}
	vs->open_files += !complete;
	if (vs->nchan && vs->nchan != (unsigned int)nch) {
		fail("%s: %s", path, "channel count changes between files");
		goto out;
	}
	vs->nchan = (unsigned int)nch;

	size_t ncap = json_object_array_length(caps), nann = json_object_array_length(ann);

	if (ncap == 0) {
		fail("%s: %s", path, "no captures");
		goto out;
	}
	for (size_t i = 0; i < nann; i++) {
		json_object *a = json_object_array_get_idx(ann, i);

		if (!json_object_is_type(a, json_type_object) ||
		    !get_int(a, "core:sample_start", &v) || !get_int(a, "core:sample_count", &v) ||
		    !get_int(a, "daqd:lost_samples", &v)) {
			fail("%s: %s", path, "an annotation lacks integer core:sample_start, core:sample_count or daqd:lost_samples");
			goto out;
		}
		lost_total += v;
	}

	snprintf(path, sizeof(path), "%s/%.*s.sigmf-data", dir,
		 (int)(strlen(meta_name) - strlen(".sigmf-meta")), meta_name);
	f = fopen(path, "rb");
	if (!f) {
		fail("%s: %s", path, strerror(errno));
		goto out;
	}
	int16_t *buf = malloc(65536 * (size_t)nch * 2);
	int64_t done = 0;
	uint64_t file_lost = 0;

	ret = 0;
	for (size_t i = 0; i < ncap && !ret; i++) {
		json_object *c = json_object_array_get_idx(caps, i);
		int64_t start, gi, end;

		if (!get_int(c, "core:sample_start", &start) || !get_int(c, "core:global_index", &gi) ||
		    start != done || start > count) {
			snprintf(err, sizeof(err), "capture %zu: core:sample_start/global_index missing or not at sample %" PRId64, i, done);
			ret = fail("%s: %s", path, err);
			break;
		}
		end = count;
		if (i + 1 < ncap &&
		    get_int(json_object_array_get_idx(caps, i + 1), "core:sample_start", &v))
			end = v;
		/* Every jump of the device index is exactly the annotated loss. */
		if (!vs->first_file || i > 0) {
			uint64_t jump = (uint64_t)gi - vs->next_global;

			if ((uint64_t)gi < vs->next_global || jump != annotated_loss(ann, start)) {
				snprintf(err, sizeof(err), "capture %zu: device index %" PRId64 " after %" PRIu64 ": jump %" PRIu64 " but annotated loss %" PRIu64,
					 i, gi, vs->next_global, jump, annotated_loss(ann, start));
				ret = fail("%s: %s", path, err);
				break;
			}
			if (jump) {
				vs->gaps++;
				file_lost += jump;
			}
		} else if (gi != 0) {
			ret = fail("%s: %s", path, "the first recording does not start at device sample 0");
			break;
		}
		for (int64_t s0 = start; s0 < end && !ret;) {
			size_t want = (size_t)(end - s0 > 65536 ? 65536 : end - s0);

			if (fread(buf, (size_t)nch * 2, want, f) != want) {
				ret = fail("%s: %s", path, "data file shorter than daqd:sample_count");
				break;
			}
			for (size_t k = 0; k < want; k++) {
				uint64_t n = (uint64_t)(gi + (s0 - start) + (int64_t)k);

				for (int64_t ch = 0; ch < nch; ch++) {
					int16_t got = (int16_t)le16toh((uint16_t)buf[k * (size_t)nch + (size_t)ch]);

					if (got != udaq_test_sample(n, (unsigned int)ch)) {
						snprintf(err, sizeof(err), "device sample %" PRIu64 " channel %" PRId64 ": %d, test pattern %d",
							 n, ch, got, udaq_test_sample(n, (unsigned int)ch));
						ret = fail("%s: %s", path, err);
						break;
					}
				}
				if (ret)
					break;
			}
			s0 += (int64_t)want;
		}
		vs->next_global = (uint64_t)gi + (uint64_t)(end - start);
		done = end;
		vs->first_file = false;
	}
	free(buf);
	fclose(f);
	if (!ret && (int64_t)file_lost != lost_total) {
		snprintf(err, sizeof(err), "index jumps total %" PRIu64 " samples, annotations %" PRId64, file_lost, lost_total);
		ret = fail("%s: %s", path, err);
	}
	if (!ret && get_int(global, "daqd:lost_samples", &v) && v != lost_total) {
		ret = fail("%s: %s", path, "global daqd:lost_samples is not the sum of the annotations");
	}
	vs->samples += (uint64_t)count;
	vs->lost += file_lost;
	vs->files++;
out:
	json_object_put(root);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_verify(int argc, char **argv)
{
	struct vstate vs = { .first_file = true };
	const char *dir, *lost_mode = "any";
	uint64_t min_bytes = 0;
	bool open_ok = false;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (argc < 3)
		return fail("%s%s", "usage: verify DIR [--min-bytes N] [--lost any|none|some] [--open-ok]", "");
	dir = argv[2];
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--min-bytes") && i + 1 < argc)
			min_bytes = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--lost") && i + 1 < argc)
			lost_mode = argv[++i];
		else if (!strcmp(argv[i], "--open-ok"))
			open_ok = true;
		else
			return fail("verify: unknown argument %s%s", argv[i], "");
	}
	d = opendir(dir);
	if (!d)
		return fail("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 11 && !strcmp(de->d_name + l - 11, ".sigmf-meta")) {
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = strdup(de->d_name);
		}
	}
	closedir(d);
	if (n == 0)
		return fail("%s: %s", dir, "no .sigmf-meta file");
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !ret; i++)
		ret = verify_file(dir, names[i], &vs, open_ok && i + 1 == n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	printf("verified files=%" PRIu64 " samples=%" PRIu64 " bytes=%" PRIu64 " lost=%" PRIu64 " gaps=%" PRIu64 " open=%" PRIu64 "\n",
	       vs.files, vs.samples, vs.samples * vs.nchan * 2, vs.lost, vs.gaps, vs.open_files);
	if (ret)
		return ret;
	if (vs.samples * vs.nchan * 2 < min_bytes) {
		fprintf(stderr, "recorded %" PRIu64 " bytes, fewer than %" PRIu64 "\n",
			vs.samples * vs.nchan * 2, min_bytes);
		return 1;
	}
	if (!strcmp(lost_mode, "none") && vs.lost)
		return fail("%s%s", "samples were lost but none may be", "");
	if (!strcmp(lost_mode, "some") && !vs.lost)
		return fail("%s%s", "no loss recorded but the ring was too small", "");
	return 0;
}

/* ---- bare DMA loop and interrupt latency -------------------------------- */

#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_BUF		0x40000u
#define XFER		2048u

struct bare {
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	struct udaq_map *regs, *ring, *desc;
};

static int bare_open(struct bare *b, const char *spec)
{
	memset(b, 0, sizeof(*b));
	if (udaq_ctx_new(&b->ctx) || udaq_dev_open(b->ctx, spec, &b->dev) ||
	    udaq_dev_map_by_name(b->dev, "regs", 0, &b->regs) ||
	    udaq_dev_map_by_name(b->dev, "ring", 0, &b->ring) ||
	    udaq_dev_map_by_name(b->dev, "desc", UDAQ_MAP_READONLY, &b->desc))
		return fail("%s: %s", spec, "cannot open the device and its maps");
	return 0;
}

static void bare_close(struct bare *b)
{
	udaq_dev_close(b->dev);
	udaq_ctx_free(b->ctx);
}

static void w64(struct bare *b, size_t off, uint64_t v)
{
	*(volatile uint64_t *)(void *)((char *)udaq_map_addr(b->regs) + off) = v;
}

/* One transfer, waited for by its completion interrupt. */
static int xfer(struct bare *b, uint64_t src, uint64_t dst, uint32_t dir)
{
	uint32_t irq;
	int r;

	w64(b, EDU_DMA_SRC, src);
	w64(b, EDU_DMA_DST, dst);
	w64(b, EDU_DMA_CNT, XFER);
	udaq_map_write32(b->regs, EDU_DMA_CMD, 1u | 4u | dir);
	r = udaq_dev_irq_wait(b->dev, 5000, NULL);
	if (r != 1)
		return -1;
	irq = udaq_map_read32(b->regs, EDU_IRQ_STATUS);
	udaq_map_write32(b->regs, EDU_IRQ_ACK, irq);
	udaq_dev_irq_enable(b->dev, true);
	return 0;
}

static uint64_t get64le(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static int cmd_bare(int argc, char **argv)
{
	struct bare b;
	const unsigned char *d;
	unsigned char *ring, *staging;
	uint64_t bytes, done = 0, stage_bus, ring_size;
	uint32_t count, table;
	int64_t t0, t1;

	if (argc != 4)
		return fail("%s%s", "usage: bare uioN BYTES", "");
	bytes = strtoull(argv[3], NULL, 0);
	if (bare_open(&b, argv[2]))
		return 1;
	d = udaq_map_addr(b.desc);
	memcpy(&count, d + UDAQ_DESC_OFF_COUNT, 4);
	memcpy(&table, d + UDAQ_DESC_OFF_TABLE, 4);
	ring = udaq_map_addr(b.ring);
	ring_size = udaq_map_size(b.ring);
	/* As the driver: the last chunk stages, the others receive. */
	stage_bus = get64le(d + table + (size_t)(count - 1) * UDAQ_CHUNK_SIZE);
	staging = ring + ring_size - get64le(d + table + (size_t)(count - 1) * UDAQ_CHUNK_SIZE + 8);
	udaq_dev_irq_enable(b.dev, true);
	t0 = now_ns();
	for (uint32_t c = 0; done < bytes; c = (c + 1) % (count - 1)) {
		const unsigned char *e = d + table + (size_t)c * UDAQ_CHUNK_SIZE;
		uint64_t bus = get64le(e), len = get64le(e + 8);

		for (uint64_t o = 0; o + XFER <= len && done < bytes; o += XFER) {
			memset(staging, (int)(done / XFER), XFER);
			if (xfer(&b, stage_bus, EDU_BUF, 0) || xfer(&b, EDU_BUF, bus + o, 2)) {
				bare_close(&b);
				return fail("%s: %s", argv[2], "a DMA did not complete");
			}
			done += XFER;
		}
	}
	t1 = now_ns();
	printf("@@FIGURE bare bytes=%" PRIu64 " ns=%" PRId64 " bytes_per_s=%.0f\n", done,
	       t1 - t0, (double)done * 1e9 / (double)(t1 - t0));
	bare_close(&b);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct pingpong {
	int a, b;	/* eventfds: main -> thread, thread -> main */
	int count;
};

static void *pong(void *arg)
{
	struct pingpong *p = arg;
	uint64_t v;

	for (int i = 0; i < p->count; i++) {
		struct pollfd pfd = { .fd = p->a, .events = POLLIN };

		poll(&pfd, 1, -1);
		if (read(p->a, &v, sizeof(v)) != sizeof(v) || write(p->b, &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

static int cmd_latency(int argc, char **argv)
{
	struct pingpong pp;
	struct bare b;
	pthread_t th;
	int64_t *lat, t;
	uint64_t v = 1;
	int n;

	if (argc != 4 || (n = atoi(argv[3])) < 1)
		return fail("%s%s", "usage: latency uioN COUNT", "");
	lat = calloc((size_t)n, sizeof(*lat));
	if (bare_open(&b, argv[2]))
		return 1;
	udaq_dev_irq_enable(b.dev, true);
	for (int i = 0; i < n; i++) {
		t = now_ns();
		udaq_map_write32(b.regs, EDU_IRQ_RAISE, 0x1);
		if (udaq_dev_irq_wait(b.dev, 5000, NULL) != 1) {
			bare_close(&b);
			return fail("%s: %s", argv[2], "raised interrupt not delivered");
		}
		lat[i] = now_ns() - t;
		udaq_map_write32(b.regs, EDU_IRQ_ACK, udaq_map_read32(b.regs, EDU_IRQ_STATUS));
		udaq_dev_irq_enable(b.dev, true);
	}
	bare_close(&b);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("@@FIGURE irq_latency count=%d median_us=%.1f p90_us=%.1f\n", n,
	       (double)lat[n / 2] / 1e3, (double)lat[n * 9 / 10] / 1e3);

	pp.a = eventfd(0, 0);
	pp.b = eventfd(0, 0);
	pp.count = n;
	if (pp.a < 0 || pp.b < 0 || pthread_create(&th, NULL, pong, &pp))
		return fail("%s%s", "eventfd ping-pong setup failed", "");
	for (int i = 0; i < n; i++) {
		struct pollfd pfd = { .fd = pp.b, .events = POLLIN };

		t = now_ns();
		if (write(pp.a, &v, sizeof(v)) != sizeof(v))
			break;
		poll(&pfd, 1, -1);
		if (read(pp.b, &v, sizeof(v)) != sizeof(v))
			break;
		lat[i] = (now_ns() - t) / 2;	/* one way: half the round trip */
	}
	pthread_join(th, NULL);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("@@FIGURE eventfd_latency count=%d median_us=%.1f p90_us=%.1f\n", n,
	       (double)lat[n / 2] / 1e3, (double)lat[n * 9 / 10] / 1e3);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "bare"))
		return cmd_bare(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "latency"))
		return cmd_latency(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%" PRId64 "\n", now_ns());
		return 0;
	}
	return fail("usage: %s verify|bare|latency|now ...%s", argv[0], "");
}
