/* SPDX-License-Identifier: MIT */
/* \summary: seccomp: the calls that install a filter, and an inherited one */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/*
 * A program sandboxes itself with seccomp through one of three doors:
 * prctl(PR_SET_SECCOMP), the seccomp system call through syscall()
 * (Rust's seccompiler, minijail) or libseccomp's seccomp_load (which
 * itself goes through one of the other two).  The shim does not look at
 * the filter: whatever it allows, from the moment a program may have one,
 * the shim makes no system call of its own (its records are copies into
 * the spool, mapped at start).  The
 * flag is set before the real call and stays set even if that fails: a
 * half-installed filter must not find the shim guessing.  Only a call
 * without a filter program is not one: libseccomp (which QEMU links)
 * probes the kernel's flags with SECCOMP_SET_MODE_FILTER and a NULL
 * program, which installs nothing.
 */
atomic_bool vhu_sandbox;

static void note_sandbox(void)
{
	atomic_store_explicit(&vhu_sandbox, true, memory_order_relaxed);
}

/* Does this seccomp mode with this argument install something? */
static bool installs(unsigned long mode, unsigned long prog)
{
	return mode == SECCOMP_MODE_STRICT || (mode == SECCOMP_MODE_FILTER && prog);
}

/*
 * The Seccomp line of /proc/self/status, asked without /proc (a chroot
 * may lack it): PR_GET_SECCOMP returns the mode, 0 for none.  A filter
 * that forbids prctl makes it fail, which also means a filter.
 */
void vhu_sandbox_check_inherited(void)
{
	int (*real)(int, ...) = vhu_real(VHU_FN_PRCTL);
	int saved = errno, mode;

	if (!real)
		return;
	mode = real(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (mode != 0 && !(mode < 0 && errno == EINVAL))	/* EINVAL: no seccomp */
		note_sandbox();
	errno = saved;
}

/* prctl passes up to four more arguments, all unsigned long in the kernel. */
int prctl(int option, ...)
{
	int (*real)(int, ...) = vhu_real(VHU_FN_PRCTL);
	unsigned long a[4];
	va_list ap;
	int i;

	va_start(ap, option);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (option == PR_SET_SECCOMP && installs(a[0], a[1]))
		note_sandbox();
	return real(option, a[0], a[1], a[2], a[3], 0ul);
}

/* syscall() passes six arguments on, like libc's (which takes them from
 * the registers whatever the caller gave). */
long syscall(long number, ...)
{
	long (*real)(long, ...) = vhu_real(VHU_FN_SYSCALL);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (number == SYS_seccomp &&
	    installs(a[0] == SECCOMP_SET_MODE_STRICT ? SECCOMP_MODE_STRICT :
		     a[0] == SECCOMP_SET_MODE_FILTER ? SECCOMP_MODE_FILTER : SECCOMP_MODE_DISABLED,
		     (unsigned long)a[2]))
		note_sandbox();
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* libseccomp, when the program links it: a negative errno on failure. */
int seccomp_load(const void *ctx)
{
	int (*real)(const void *) = vhu_real(VHU_FN_SECCOMP_LOAD);

	note_sandbox();
	return real ? real(ctx) : -ENOSYS;
}
