// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unbind or remove the device while this process has every map mapped:
 * afterwards each access must raise SIGBUS (never show memory the kernel
 * has reused) and the node must return errors.
 */
#include "kcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* revoke <uioN> <pci address> <unbind|remove> */
int cmd_revoke(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	char path[256];
	size_t last;
	int r, pfd[2], status;
	uint32_t cnt;
	struct kdev d;
	pid_t child;

	if (argc != 4)
		return !check(false, "revoke: usage: revoke uioN pciaddr unbind|remove");
	if (kdev_open(&d, argv[1]) || kdev_map_all(&d)) {
		kdev_close(&d);
		return !check(false, "revoke: %s maps", argv[1]);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	last = d.size[1] - 1;
	d.ring[0] = 0x11;
	d.ring[last] = 0x22;
	check(!read_faults(d.ring) && !read_faults(d.desc) &&
	      !read_faults(d.ring + d.size[1]),
	      "revoke: maps readable before %s", argv[3]);

	/*
	 * A child inherits the mappings by fork() (it never called mmap on
	 * the node): the revocation must reach its copies as well.
	 */
	if (pipe(pfd)) {
		kdev_close(&d);
		return !check(false, "revoke: pipe");
	}
	child = fork();
	if (child == 0) {
		char c;

		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			_exit(3);
		_exit(read_faults(d.ring + last) && read_faults(d.desc) ? 0 : 1);
	}
	close(pfd[0]);

	if (!strcmp(argv[3], "remove"))
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", argv[2]);
	else
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/uio_daq/unbind");
	r = write_file(path, !strcmp(argv[3], "remove") ? "1" : argv[2]);
	if (!check(r == 0, "revoke: %s while mapped (%s)", argv[3], strerror(-r))) {
		kdev_close(&d);
		return 1;
	}

	check(read_faults(d.ring) && read_faults(d.ring + last) &&
	      read_faults(d.ring + d.size[1]) && read_faults(d.ring + d.size[1] + last),
	      "revoke: ring (both copies) raises SIGBUS after %s", argv[3]);
	check(read_faults(d.desc), "revoke: desc raises SIGBUS after %s", argv[3]);
	status = -1;
	if (child > 0 && write(pfd[1], "x", 1) == 1)
		waitpid(child, &status, 0);
	close(pfd[1]);
	check(child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "revoke: a forked child's inherited ring and desc raise SIGBUS too (status 0x%x)",
	      (unsigned int)status);
	check(read_faults(d.regs), "revoke: regs raises SIGBUS after %s", argv[3]);
	errno = 0;
	check(read(d.fd, &cnt, sizeof(cnt)) < 0, "revoke: read on the node fails (%s)",
	      strerror(errno));
	check(kdev_mmap(&d, 1, (size_t)d.page, PROT_READ, MAP_SHARED, NULL) == MAP_FAILED,
	      "revoke: new mmap of the node fails (%s)", strerror(errno));
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	kdev_close(&d);
	return check_failures();
}

/*
 * revoke-orphan <uioN> <pci address>: a process maps the ring, forks a
 * child that keeps the mapping, and exits; another process then maps the
 * ring through a second device node (a different inode). The stub drops
 * the exited process's record then, but must still reach the child's
 * mapping through the first node when the device is unbound.
 */
int cmd_revoke_orphan(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	const char *alias = "/tmp/uio-alias";
	char node[64], res = 0;
	int go[2], result[2], status = -1, afd = -1;
	struct kdev d;
	struct stat st;
	void *q = MAP_FAILED;
	pid_t mid;

	if (argc != 3)
		return !check(false, "revoke-orphan: usage: revoke-orphan uioN pciaddr");
	if (kdev_open(&d, argv[1]))
		return !check(false, "revoke-orphan: %s opens", argv[1]);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (pipe(go) || pipe(result)) {
		kdev_close(&d);
		return !check(false, "revoke-orphan: pipe");
	}
	mid = fork();
	if (mid == 0) {
		void *p = kdev_mmap(&d, 1, d.size[1], PROT_READ, MAP_SHARED, NULL);
		pid_t c;

		if (p == MAP_FAILED)
			_exit(2);
		c = fork();
		if (c == 0) {
			char ch;

			/* The orphan: waits, then touches its inherited ring. */
			close(go[1]);
			if (read(go[0], &ch, 1) != 1)
				_exit(3);
			ch = read_faults(p) && read_faults((unsigned char *)p + d.size[1] - 1) ?
			     '0' : '1';
			if (write(result[1], &ch, 1) != 1)
				_exit(4);
			_exit(0);
		}
		_exit(c > 0 ? 0 : 5);	/* the mapper exits, its mm with it */
	}
	close(go[0]);
	close(result[1]);
	if (mid > 0)
		waitpid(mid, &status, 0);
	if (!check(mid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "revoke-orphan: a process mapped the ring, forked, exited (0x%x)",
		   (unsigned int)status))
		goto out;

	/* A second node for the same device: another inode maps it now. */
	snprintf(node, sizeof(node), "/dev/%s", argv[1]);
	unlink(alias);
	if (!check(stat(node, &st) == 0 && mknod(alias, S_IFCHR | 0600, st.st_rdev) == 0,
		   "revoke-orphan: second node %s for %s", alias, node))
		goto out;
	afd = open(alias, O_RDWR | O_CLOEXEC);
	if (afd >= 0)
		q = mmap(NULL, d.size[1], PROT_READ, MAP_SHARED, afd, d.page);
	if (!check(q != MAP_FAILED, "revoke-orphan: ring mapped through %s", alias))
		goto out_alias;
	check(write_file("/sys/bus/pci/drivers/uio_daq/unbind", argv[2]) == 0,
	      "revoke-orphan: unbind while both are mapped");
	check(read_faults(q), "revoke-orphan: the mapping through %s raises SIGBUS", alias);
	if (write(go[1], "x", 1) != 1 || read(result[0], &res, 1) != 1)
		res = '?';
	check(res == '0',
	      "revoke-orphan: the exited process's forked child (mapped through %s) raises SIGBUS too (%c)",
	      node, res);
	munmap(q, d.size[1]);
out_alias:
	if (afd >= 0)
		close(afd);
	unlink(alias);
out:
	close(go[1]);
	close(result[0]);
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	kdev_close(&d);
	return check_failures();
}
