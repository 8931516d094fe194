/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * floor.bpf.c - programs that do nothing, on the hooks the attach mode
 * could use: the floor of what attaching costs untracked system calls.
 *
 *   tp_*   the syscall tracepoints attach.bpf.c uses (sys_enter_X and
 *          sys_exit_X of the same calls)
 *   raw_*  raw tracepoints sys_enter and sys_exit (every system call)
 *   btf_*  the same two as BTF-typed tracepoints (tp_btf)
 *   exit_* tp_btf sys_exit alone
 *   fentry_*, kprobe_*  the unix socket's send function, where a filter
 *          would cost other calls nothing: the benchmark only says whether
 *          this kernel lets them be attached
 *
 * bench/attach/floor.c loads the programs of one prefix.  No kernel
 * headers: a program that does nothing needs none.
 */
#define SEC(name) __attribute__((section(name), used))

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define NOTHING(prefix, sec, name) \
	SEC(sec) int prefix##_##name(void *ctx) { (void)ctx; return 0; }

#define TP(name) \
	NOTHING(tp, "tracepoint/syscalls/sys_enter_" #name, enter_##name) \
	NOTHING(tp, "tracepoint/syscalls/sys_exit_" #name, exit_##name)

TP(sendmsg)
TP(recvmsg)
TP(sendto)
TP(recvfrom)
TP(write)
TP(read)
TP(writev)
TP(readv)
TP(connect)
TP(accept)
TP(accept4)
NOTHING(tp, "tracepoint/syscalls/sys_enter_close", enter_close)

NOTHING(raw, "raw_tracepoint/sys_enter", enter)
NOTHING(raw, "raw_tracepoint/sys_exit", exit)
NOTHING(btf, "tp_btf/sys_enter", enter)
NOTHING(btf, "tp_btf/sys_exit", exit)
NOTHING(exit, "tp_btf/sys_exit", only)
NOTHING(fentry, "fentry/unix_stream_sendmsg", unix)
NOTHING(kprobe, "kprobe/unix_stream_sendmsg", unix)
