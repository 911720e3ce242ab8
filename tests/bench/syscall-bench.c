// SPDX-License-Identifier: GPL-2.0
/*
 * syscall-bench: the cost of a trivial system call, in the lab's guest.
 *
 * Every system call masks and unmasks interrupts on entry and exit; with GICv3
 * pseudo-NMI that is a PMR write plus a synchronising barrier each time, which
 * is what this loop exposes. Prints the best of several runs, in ns per call.
 *
 *   syscall-bench [CALLS [RUNS]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long parse(const char *s, long dflt)
{
	char *end;
	long v;

	if (!s)
		return dflt;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "syscall-bench: not a positive number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long calls = parse(argc > 1 ? argv[1] : NULL, 200000);
	long runs = parse(argc > 2 ? argv[2] : NULL, 5);
	double best = 0;

	for (long r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (long i = 0; i < calls; i++)
			syscall(SYS_getppid);

		double ns = (now_ns() - t0) / calls;

		if (r == 0 || ns < best)
			best = ns;
	}
	printf("BENCH: syscall getppid ns_per_call=%.1f calls=%ld runs=%ld\n", best, calls, runs);
	return 0;
}
