// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmflags <uioN> <efault|refs>: what the rest of the kernel may do with the
 * stub's maps. It must be the same with and without an IOMMU: every map is
 * VM_IO (no get_user_pages(), so no process_vm_readv() of the ring), never
 * executable, and madvise(MADV_DONTNEED) on a page map only drops PTEs that
 * fault the same pages back in. A debugger reads registers through the regs
 * map's .access (/proc/PID/mem, ptrace).
 *
 * vmsplice() goes through GUP-fast, which never looks at the VMA: on 6.1
 * and 7.3 it takes references to the ring's pages ("refs"); 6.12 sends
 * order-0 pages without a mapping to the slow path, which refuses VM_IO
 * ("efault"). init.sh says which one the guest's kernel does.
 */
#include "kcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "edu.h"

int cmd_vmflags(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	unsigned char buf[64];
	struct iovec local = { buf, sizeof(buf) }, remote;
	uint32_t id = 0;
	struct kdev d;
	size_t pg;
	bool faulted;
	ssize_t n;
	int r, mi, p[2], fd;
	void *q;

	if (argc != 3 || (strcmp(argv[2], "efault") && strcmp(argv[2], "refs")))
		return !check(false, "vmflags: usage: vmflags uioN efault|refs");
	if (kdev_open(&d, argv[1]) || kdev_map_all(&d)) {
		kdev_close(&d);
		return !check(false, "vmflags: %s maps", argv[1]);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	pg = (size_t)d.page;

	d.ring[0] = 0x3c;
	d.ring[pg + 1] = 0xc3;
	r = madvise(d.ring, 2 * pg, MADV_DONTNEED);
	check(r == 0, "vmflags: madvise(MADV_DONTNEED) on the ring accepted (%s)",
	      r ? strerror(errno) : "ok");
	faulted = read_faults(d.ring) || read_faults(d.ring + pg + 1);
	if (check(!faulted && d.ring[0] == 0x3c && d.ring[pg + 1] == 0xc3,
		  "vmflags: the ring's content survives MADV_DONTNEED (%s)",
		  faulted ? "SIGBUS" : "no fault")) {
		d.ring[0] = 0;
		d.ring[pg + 1] = 0;
	}

	/* Pages that madvise() did not touch, should it have broken them. */
	remote.iov_base = d.ring + 4 * pg;
	remote.iov_len = sizeof(buf);
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	check(n < 0 && errno == EFAULT, "vmflags: process_vm_readv from the ring fails with EFAULT (%zd, %s)",
	      n, n < 0 ? strerror(errno) : "read");
	if (check(pipe(p) == 0, "vmflags: pipe")) {
		remote.iov_len = pg;
		n = vmsplice(p[1], &remote, 1, 0);
		if (!strcmp(argv[2], "efault"))
			check(n < 0 && errno == EFAULT,
			      "vmflags: vmsplice of the ring fails with EFAULT (%zd, %s)",
			      n, n < 0 ? strerror(errno) : "spliced");
		else
			check(n == (ssize_t)pg,
			      "vmflags: vmsplice of the ring takes page references (GUP-fast, %zd, %s)",
			      n, n < 0 ? strerror(errno) : "spliced");
		n = write(p[1], d.ring + 4 * pg, sizeof(buf));
		check(n == (ssize_t)sizeof(buf), "vmflags: write() from the ring copies (%zd bytes)", n);
		close(p[0]);
		close(p[1]);
	}

	r = mprotect(d.ring, pg, PROT_READ | PROT_EXEC);
	check(r != 0 && errno == EACCES, "vmflags: mprotect cannot make the ring executable (%s)",
	      r ? strerror(errno) : "made executable");
	for (mi = 0; mi < KDEV_MAPS; mi++) {
		q = kdev_mmap(&d, mi, pg, PROT_READ | PROT_EXEC, MAP_SHARED, NULL);
		check(q == MAP_FAILED && errno == EPERM,
		      "vmflags: executable mapping of map %d refused with EPERM (%s)", mi,
		      q == MAP_FAILED ? strerror(errno) : "mapped");
		if (q != MAP_FAILED)
			munmap(q, pg);
	}

	fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, &id, sizeof(id), (off_t)(uintptr_t)d.regs + EDU_REG_ID);
	check(n == (ssize_t)sizeof(id) && id == EDU_ID_VALUE,
	      "vmflags: /proc/self/mem reads edu's ID register through the regs map (%zd, 0x%08x)",
	      n, id);
	if (fd >= 0)
		close(fd);
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	kdev_close(&d);
	return check_failures();
}
