/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream sink throughput, against a plain send() loop measured in the same
 * run:
 *   baseline  one loopback TCP connection, send() of 1 MiB chunks from
 *             memory for the given time, a receiver process recv()ing;
 *   stream-1  the simulated refdaq free-running (as fast as it can), the
 *             net sink, one daqcat-like client process over loopback TCP;
 *   stream-8  the same with eight client processes.
 * Prints the rates, the ratios against the baseline (targets: >= 0.9 for
 * one client, >= 0.8 total for eight) and the "daemon" process CPU (sink
 * thread, acquisition thread and the simulator itself) per GiB sent, and
 * the frames per second the sink committed to its clients.
 * Clients are separate processes, so their CPU is not the daemon's.
 *
 * Usage: bench_stream [SECONDS]   (default 2)
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rig.h"
#include "stream_addr.h"
#include "stream_client.h"

#define CHUNK		(1u << 20)
#define MAX_CLIENTS	8

struct result {
	uint64_t payload;	/* committed sample bytes */
	uint64_t wire;		/* bytes received */
	uint64_t gaps;
	uint64_t gap_samples;
	uint64_t aborted;
	int status;		/* 0 ok */
	char err[200];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double thread_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of this process's thread named @name (-1 if none). */
static double named_thread_cpu_s(const char *name)
{
	char path[300], buf[512];
	double ticks = (double)sysconf(_SC_CLK_TCK);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double cpu = -1;

	while (d && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f) || strncmp(buf, name, strlen(name))) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f)) {
			/* utime and stime are fields 14 and 15, after the ")" of comm. */
			const char *p = strrchr(buf, ')');
			unsigned long ut = 0, st = 0;

			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
					&ut, &st) == 2)
				cpu = (double)(ut + st) / ticks;
		}
		if (f)
			fclose(f);
		break;
	}
	if (d)
		closedir(d);
	return cpu;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- Baseline ------------------------------------------------------------- */

static double baseline(double seconds, double *cpu_per_gib)
{
	struct dqs_addr a;
	char err[200], addr[128];
	double t0, dt, c0;
	uint64_t sent = 0;
	char *buf;
	int lfd, fd;
	pid_t pid;

	dqs_addr_parse("127.0.0.1:0", &a, err, sizeof(err));
	lfd = dqs_addr_listen(&a, 4, err, sizeof(err));
	if (lfd < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 0;
	}
	dqs_addr_local(lfd, &a);
	snprintf(addr, sizeof(addr), "%s", a.text);
	pid = fork();
	if (pid == 0) {
		char *rb = malloc(CHUNK);
		int cfd;

		dqs_addr_parse(addr, &a, err, sizeof(err));
		cfd = dqs_addr_connect(&a, 5000, err, sizeof(err));
		if (cfd < 0 || !rb)
			_exit(1);
		while (recv(cfd, rb, CHUNK, 0) > 0) {
		}
		_exit(0);
	}
	buf = malloc(16 * CHUNK);
	memset(buf, 0x5a, 16 * CHUNK);
	for (int i = 0; i < 500; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0 || errno != EAGAIN)
			break;
		usleep(10000);
	}
	if (fd < 0) {
		fprintf(stderr, "bench: baseline accept: %s\n", strerror(errno));
		return 0;
	}
	t0 = now_s();
	c0 = thread_cpu_s();
	for (unsigned int i = 0; (dt = now_s() - t0) < seconds; i++) {
		ssize_t n = send(fd, buf + (size_t)(i % 16) * CHUNK, CHUNK, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (uint64_t)n;
	}
	*cpu_per_gib = (thread_cpu_s() - c0) / ((double)sent / (1u << 30));
	close(fd);
	close(lfd);
	waitpid(pid, NULL, 0);
	free(buf);
	return (double)sent / dt;
}

/* ---- Stream clients (child processes) -------------------------------------- */

static void client_main(int cmd_fd, int res_fd)
{
	struct dqs_request rq = { .decimation = 1 };
	struct result res = { 0 };
	struct dqs_client *c;
	struct dqs_event ev;
	char addr[128];

	if (read_full(cmd_fd, addr, sizeof(addr)))
		_exit(1);
	res.status = dqs_client_connect(addr, &rq, 10000, &c, res.err, sizeof(res.err));
	if (!res.status) {
		for (;;) {
			res.status = dqs_client_next(c, &ev, res.err, sizeof(res.err));
			if (res.status || ev.type == DQS_EV_END || ev.type == DQS_EV_EOF)
				break;
			if (ev.type == DQS_EV_DATA) {
				res.payload += dqs_data_payload_len(ev.data.nsamples, ev.data.nchan);
			} else if (ev.type == DQS_EV_GAP) {
				res.gaps++;
				res.gap_samples += ev.gap.nsamples;
			}
		}
		res.aborted = dqs_client_aborted(c);
		res.wire = dqs_client_bytes(c);
		dqs_client_close(c);
	}
	if (write(res_fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(1);
	_exit(0);
}

struct run {
	double wire_rate;	/* bytes/s the sink sent */
	double payload_rate;	/* committed sample bytes/s received, all clients */
	double cpu_per_gib;	/* daemon CPU seconds per GiB sent */
	double sink_cpu_per_gib;	/* the sink thread alone */
	double dev_rate;	/* bytes/s the device produced */
	double frame_rate;	/* frames/s the sink committed, all clients */
	uint64_t gaps, aborted;
	int errors;
};

static int stream_run(unsigned int nclients, double seconds, struct run *out)
{
	struct rig_config rc = { .sim_opts = "ring=128M,channels=8", .rate = 0,
				 .chan_mask = 0xff };
	int cmd[MAX_CLIENTS][2], res[MAX_CLIENTS][2];
	pid_t pids[MAX_CLIENTS];
	struct udaq_digitizer_status st0, st1;
	uint64_t bytes0, bytes1, frames0, frames1, wire_total = 0;
	double t0, t1, c0, c1, s0, s1;
	struct rig r;

	memset(out, 0, sizeof(*out));
	/* Fork before any thread exists. */
	for (unsigned int i = 0; i < nclients; i++) {
		if (pipe(cmd[i]) || pipe(res[i]))
			return -errno;
		pids[i] = fork();
		if (pids[i] == 0) {
			close(cmd[i][1]);
			close(res[i][0]);
			client_main(cmd[i][0], res[i][1]);
		}
		close(cmd[i][0]);
		close(res[i][1]);
	}
	if (rig_open(&r, &rc))
		return -EIO;
	for (unsigned int i = 0; i < nclients; i++) {
		char addr[128] = { 0 };

		snprintf(addr, sizeof(addr), "%s", r.tcp_addr);
		if (write(cmd[i][1], addr, sizeof(addr)) != (ssize_t)sizeof(addr))
			return -EIO;
	}
	for (int i = 0; i < 500 && daqd_net_clients(r.net) < nclients; i++)
		usleep(10000);
	usleep(100000);	/* their requests are in */
	if (rig_start(&r))
		return -EIO;
	usleep(200000);	/* warm up */
	rig_status(&r, &st0);
	bytes0 = atomic_load(&r.net->c.bytes);
	frames0 = atomic_load(&r.net->c.frames);
	t0 = now_s();
	c0 = cpu_s();
	s0 = named_thread_cpu_s("daqd-net");
	usleep((useconds_t)(seconds * 1e6));
	s1 = named_thread_cpu_s("daqd-net");
	c1 = cpu_s();
	t1 = now_s();
	bytes1 = atomic_load(&r.net->c.bytes);
	frames1 = atomic_load(&r.net->c.frames);
	rig_status(&r, &st1);
	rig_stop(&r);

	out->wire_rate = (double)(bytes1 - bytes0) / (t1 - t0);
	out->dev_rate = (double)(st1.wr_ptr - st0.wr_ptr) / (t1 - t0);
	out->frame_rate = (double)(frames1 - frames0) / (t1 - t0);
	out->cpu_per_gib = (c1 - c0) / ((double)(bytes1 - bytes0) / (1u << 30));
	out->sink_cpu_per_gib = (s1 - s0) / ((double)(bytes1 - bytes0) / (1u << 30));
	for (unsigned int i = 0; i < nclients; i++) {
		struct result rs;

		if (read_full(res[i][0], &rs, sizeof(rs)) || rs.status) {
			fprintf(stderr, "bench: client %u: %s\n", i, rs.err);
			out->errors++;
		} else {
			out->payload_rate += (double)rs.payload;
			wire_total += rs.wire;
			out->gaps += rs.gaps;
			out->aborted += rs.aborted;
		}
		close(res[i][0]);
		close(cmd[i][1]);
		waitpid(pids[i], NULL, 0);
	}
	/* Committed sample bytes are that share of what the clients received. */
	out->payload_rate = wire_total ? out->wire_rate * out->payload_rate / (double)wire_total : 0;
	rig_close(&r);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	struct run one, eight;
	double base, base2, base_cpu = 0, base_cpu2 = 0;
	int ret;

	if (!(seconds > 0) || seconds > 600) {
		fprintf(stderr, "usage: bench_stream [SECONDS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/*
	 * The baseline before and after the stream runs; the ratios use the
	 * better of the two, so a noisy neighbour during one of them cannot
	 * flatter the sink.
	 */
	base = baseline(seconds, &base_cpu);
	ret = stream_run(1, seconds, &one);
	if (!ret)
		ret = stream_run(8, seconds, &eight);
	base2 = baseline(seconds, &base_cpu2);
	printf("baseline  runs: %.1f and %.1f MB/s\n", base / 1e6, base2 / 1e6);
	if (base2 > base) {
		base = base2;
		base_cpu = base_cpu2;
	}
	if (ret || !base) {
		fprintf(stderr, "bench: setup failed (%s)\n", strerror(-ret));
		return 1;
	}
	printf("baseline  send() loop, 1 MiB chunks, loopback TCP: %8.1f MB/s, sender CPU %.3f s/GiB\n",
	       base / 1e6, base_cpu);
	for (int k = 0; k < 2; k++) {
		const struct run *r = k ? &eight : &one;

		double target = k ? 0.8 : 0.9;

		printf("stream-%d  device %8.1f MB/s; sent %8.1f MB/s, ratio %.2f (target >= %.2f) %s;"
		       " delivered (committed) %8.1f MB/s\n",
		       k ? 8 : 1, r->dev_rate / 1e6, r->wire_rate / 1e6, r->wire_rate / base,
		       target, r->wire_rate / base >= target ? "PASS" : "MISS",
		       r->payload_rate / 1e6);
		if (!k && r->wire_rate >= 0.95 * r->dev_rate)
			printf("          (bound by the device: the sink sent %.0f%% of what the"
			       " simulator produced, %.0f%% of it committed)\n",
			       100.0 * r->wire_rate / r->dev_rate, 100.0 * r->payload_rate / r->dev_rate);
		printf("          frames through the sink: %.0f frames/s\n", r->frame_rate);
		printf("          daemon CPU %.3f s/GiB (sink thread alone %.3f s/GiB, %.2fx the"
		       " send() loop's); client gaps %llu, voided batches %llu\n",
		       r->cpu_per_gib, r->sink_cpu_per_gib,
		       base_cpu > 0 ? r->sink_cpu_per_gib / base_cpu : 0.0,
		       (unsigned long long)r->gaps, (unsigned long long)r->aborted);
	}
	printf("(daemon = sink thread + acquisition thread + the simulated device, which"
	       " competes for the same cores; clients are separate processes)\n");
	return one.errors || eight.errors ? 1 : 0;
}
