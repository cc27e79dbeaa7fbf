/* sandbox.c - Landlock through its three system calls (no library), and a
 * classic BPF seccomp filter: an allowlist, where any other call fails
 * with EPERM rather than killing the server, so a rare path missed here
 * fails one request instead of every connection. A call from another
 * architecture's table (x32, i386 on x86_64) kills the process. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define FS_IOCTL_DEV (1ULL << 15)
#define NET_BIND_TCP (1ULL << 0)
#define NET_CONNECT_TCP (1ULL << 1)

/* The ruleset attribute as of ABI 4 (with network rights). */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Logs and the pid file: written, created and removed, never read. */
#define FS_WRITE                                                                       \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |                 \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE)
#define FS_EXEC (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE)
#define FS_FILE_RIGHTS                                                                 \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                  \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

static uint64_t handled_fs(int abi)
{
	uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= FS_IOCTL_DEV;
	return fs;
}

int sandbox_begin(struct sandbox *sb)
{
	memset(sb, 0, sizeof *sb);
	sb->ruleset_fd = -1;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi <= 0)
		return 0; /* no Landlock in this kernel: seccomp still applies */
	sb->abi = (int)abi;
	struct ruleset_attr attr = { .handled_access_fs = handled_fs(sb->abi) };
	/* From ABI 4 on: no TCP bind or connect once running (the listening
	 * sockets are already open, and a new binary inherits them). */
	if (sb->abi >= 4)
		attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
	size_t size = sb->abi >= 4 ? sizeof attr : sizeof attr.handled_access_fs;
	sb->ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (sb->ruleset_fd < 0)
		sb->abi = 0;
	return 0;
}

void sandbox_allow_fd(struct sandbox *sb, int fd, enum sandbox_access access)
{
	struct stat st;
	if (sb->ruleset_fd < 0 || fd < 0 || fstat(fd, &st) < 0)
		return;
	uint64_t want = access == SANDBOX_WRITE ? FS_WRITE : access == SANDBOX_EXEC ? FS_EXEC : FS_READ;
	if (access == SANDBOX_EXEC)
		want |= LANDLOCK_ACCESS_FS_READ_DIR;
	if (!S_ISDIR(st.st_mode))
		want &= FS_FILE_RIGHTS; /* a rule on a file takes file rights only */
	struct landlock_path_beneath_attr pb = {
		.allowed_access = want & handled_fs(sb->abi),
		.parent_fd = fd,
	};
	if (syscall(SYS_landlock_add_rule, sb->ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == 0)
		sb->nrules++;
}

static void allow_path(struct sandbox *sb, const char *path, enum sandbox_access access)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0) {
		sandbox_allow_fd(sb, fd, access);
		close(fd);
	}
}

/* The directory that holds path ("." for a bare name). */
static void parent_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, cap, ".");
	else if (slash == path)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

void sandbox_allow(struct sandbox *sb, const char *path, enum sandbox_access access)
{
	char dir[4096];
	if (!path || sb->ruleset_fd < 0)
		return;
	switch (access) {
	case SANDBOX_WRITE:
		parent_of(path, dir, sizeof dir);
		allow_path(sb, dir, SANDBOX_WRITE);
		break;
	case SANDBOX_READ_DIR_OF: {
		/* Certificates are often links into another directory
		 * (certbot's live/ into archive/); both are readable. */
		parent_of(path, dir, sizeof dir);
		allow_path(sb, dir, SANDBOX_READ);
		char *real = realpath(path, NULL);
		if (real) {
			parent_of(real, dir, sizeof dir);
			allow_path(sb, dir, SANDBOX_READ);
			free(real);
		}
		break;
	}
	default:
		allow_path(sb, path, access);
	}
}

/* System calls the running server makes, and those a binary started for
 * an upgrade makes while it starts (it inherits this filter). */
static const int allowed[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_close,
	SYS_fstat, SYS_newfstatat, SYS_statx, SYS_lseek, SYS_faccessat, SYS_readlinkat,
	SYS_getcwd, SYS_openat, SYS_getdents64, SYS_fcntl, SYS_ioctl, SYS_dup, SYS_dup3,
	SYS_pipe2, SYS_flock, SYS_unlinkat, SYS_renameat, SYS_mmap, SYS_munmap, SYS_mprotect,
	SYS_mremap, SYS_brk, SYS_madvise, SYS_rt_sigreturn, SYS_rt_sigprocmask,
	SYS_rt_sigaction, SYS_sigaltstack, SYS_futex, SYS_set_robust_list, SYS_get_robust_list,
	SYS_set_tid_address, SYS_clone, SYS_exit, SYS_exit_group, SYS_execve, SYS_wait4,
	SYS_getpid, SYS_gettid, SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid,
	SYS_getegid, SYS_getresuid, SYS_getresgid, SYS_getgroups, SYS_tgkill, SYS_kill,
	SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_pwait, SYS_eventfd2, SYS_signalfd4,
	SYS_ppoll, SYS_pselect6, SYS_socket, SYS_accept4, SYS_recvfrom,
	SYS_recvmsg, SYS_sendto, SYS_sendmsg, SYS_sendmmsg, SYS_sendfile, SYS_shutdown,
	SYS_setsockopt, SYS_getsockopt, SYS_getsockname, SYS_getpeername, SYS_clock_gettime,
	SYS_clock_getres, SYS_gettimeofday, SYS_clock_nanosleep, SYS_nanosleep,
	SYS_getrandom, SYS_prctl, SYS_sched_yield, SYS_sched_getaffinity, SYS_uname,
	SYS_sysinfo, SYS_prlimit64, SYS_setrlimit, SYS_getrlimit, SYS_umask, SYS_restart_syscall,
	SYS_fstatfs, SYS_statfs, SYS_membarrier, SYS_seccomp,
#ifdef SYS_landlock_create_ruleset
	SYS_landlock_create_ruleset, SYS_landlock_add_rule, SYS_landlock_restrict_self,
#endif
#ifdef SYS_rseq
	SYS_rseq,
#endif
#ifdef SYS_clone3
	SYS_clone3,
#endif
#ifdef SYS_close_range
	SYS_close_range,
#endif
#ifdef SYS_openat2
	SYS_openat2,
#endif
#ifdef SYS_faccessat2
	SYS_faccessat2,
#endif
#ifdef SYS_epoll_pwait2
	SYS_epoll_pwait2,
#endif
#ifdef SYS_renameat2
	SYS_renameat2,
#endif
#ifdef SYS_open
	SYS_open, SYS_stat, SYS_lstat, SYS_access, SYS_readlink, SYS_dup2, SYS_pipe,
	SYS_poll, SYS_select, SYS_epoll_wait, SYS_unlink, SYS_rename, SYS_arch_prctl, SYS_time,
	SYS_accept,
#endif
#ifdef __SANITIZE_ADDRESS__
	/* LeakSanitizer stops the threads with ptrace at exit. */
	SYS_ptrace, SYS_waitid,
#ifdef SYS_getdents
	SYS_getdents,
#endif
#endif
};

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

static int install_seccomp(void)
{
#ifdef SECCOMP_ARCH
	enum { N = sizeof allowed / sizeof allowed[0] };
	struct sock_filter prog[8 + 2 * N];
	unsigned k = 0;
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	/* x32 system calls share the architecture value: refuse them. */
	prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
	for (unsigned i = 0; i < N; i++) {
		prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							 (unsigned)allowed[i], 0, 1);
		prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	struct sock_fprog fprog = { .len = (unsigned short)k, .filter = prog };
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog);
#else
	errno = ENOSYS;
	return -1;
#endif
}

int sandbox_enter(struct sandbox *sb, char *err, size_t cap)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, cap, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	sb->no_new_privs = true;
	if (sb->ruleset_fd >= 0) {
		if (syscall(SYS_landlock_restrict_self, sb->ruleset_fd, 0) < 0) {
			snprintf(err, cap, "landlock: %s", strerror(errno));
			close(sb->ruleset_fd);
			sb->ruleset_fd = -1;
			return -1;
		}
		close(sb->ruleset_fd);
		sb->ruleset_fd = -1;
		sb->landlock = true;
	}
	if (install_seccomp() == 0)
		sb->seccomp = true;
	else if (errno != ENOSYS) {
		snprintf(err, cap, "seccomp: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void sandbox_describe(const struct sandbox *sb, char *out, size_t cap)
{
	enum { N = sizeof allowed / sizeof allowed[0] };
	char ll[96];
	if (sb->landlock)
		snprintf(ll, sizeof ll, "Landlock ABI %d (%u rules%s)", sb->abi, sb->nrules,
			 sb->abi >= 4 ? ", no TCP bind or connect" : "");
	else
		snprintf(ll, sizeof ll, "no Landlock (not supported by this kernel)");
	snprintf(out, cap, "sandbox: %s, no new privileges, %s", ll,
		 sb->seccomp ? "seccomp allowlist" : "no seccomp (not supported here)");
	if (sb->seccomp) {
		size_t n = strlen(out);
		snprintf(out + n, cap - n, " (%d system calls)", (int)N);
	}
}
