// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The baselines of the daqd benchmark.
 *
 *   bench_write write FILE BYTES BLOCK [SOURCE]  a plain write() loop into a new FILE
 *   bench_write pipe BYTES BLOCK [SOURCE]        the same loop into stdout (a pipe)
 *   bench_write drain                            read stdin until EOF, as fast as possible
 *
 * The loop writes BLOCK-byte pieces taken in turn from a SOURCE-byte buffer
 * (default: BLOCK, i.e. always the same, cache-hot block). A SOURCE as large
 * as daqd's ring makes the source as cold as daqd's is.
 *
 * Prints one JSON line to stderr: bytes, seconds, cpu (user+sys seconds).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int write_loop(int fd, unsigned long long bytes, size_t block, size_t source)
{
	char *buf;
	unsigned long long done = 0;
	size_t off = 0;
	double t0, c0;

	if (source < block)
		source = block;
	source -= source % block;
	buf = malloc(source);
	if (!buf)
		return 1;
	/* Not zeros: some filesystems treat zero pages specially. */
	for (size_t i = 0; i < source; i++)
		buf[i] = (char)(i * 131 + 7);
	t0 = now();
	c0 = cpu();
	while (done < bytes) {
		size_t n = bytes - done < block ? (size_t)(bytes - done) : block;
		ssize_t w = write(fd, buf + off, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("bench_write: write");
			return 1;
		}
		done += (unsigned long long)w;
		off = (off + block) % source;
	}
	fprintf(stderr, "{\"bytes\": %llu, \"seconds\": %.6f, \"cpu\": %.6f}\n", done,
		now() - t0, cpu() - c0);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "write")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		int ret;

		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		ret = write_loop(fd, strtoull(argv[3], NULL, 0), strtoul(argv[4], NULL, 0),
				 argc == 6 ? strtoul(argv[5], NULL, 0) : 0);
		close(fd);
		return ret;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "pipe"))
		return write_loop(STDOUT_FILENO, strtoull(argv[2], NULL, 0),
				  strtoul(argv[3], NULL, 0),
				  argc == 5 ? strtoul(argv[4], NULL, 0) : 0);
	if (argc == 2 && !strcmp(argv[1], "drain")) {
		static char buf[1 << 20];
		unsigned long long total = 0;
		double t0 = now(), c0 = cpu();
		ssize_t n;

		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				perror("bench_write: read");
				return 1;
			}
			total += (unsigned long long)n;
		}
		fprintf(stderr, "{\"bytes\": %llu, \"seconds\": %.6f, \"cpu\": %.6f}\n", total,
			now() - t0, cpu() - c0);
		return 0;
	}
	fprintf(stderr, "usage: bench_write write FILE BYTES BLOCK [SOURCE] | pipe BYTES BLOCK [SOURCE] | drain\n");
	return 2;
}
