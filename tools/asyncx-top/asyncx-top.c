// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * asyncx-top: a live view of the asyncx runtime, like top(1).
 *
 * It reads what the module shows in debugfs (/sys/kernel/debug/asyncx/:
 * "telemetry", "tasks", "stats") and in the fdinfo of every open context
 * (/proc/PID/fdinfo/FD), and shows:
 *
 *   - the warnings raised since load (lost waker, long poll, starved, wake
 *     after completion) and the executor per CPU: its counters, the tasks
 *     in its run queues and what its worker does (running, searching,
 *     idle, offline);
 *   - the tasks that wait, sorted by busy time, wakes, polls or age, each
 *     with its telemetry: polls, wakes and self wakes, busy and queued time,
 *     its warnings, what it waits on and where, and its last waker;
 *   - the contexts: their owner, ring indices, operations in flight by
 *     opcode, overflow, SQ thread.
 *
 *   asyncx-top [-d SECONDS] [-s busy|wakes|polls|age] [-n TASKS] [-c COUNT]
 *              [--once]
 *
 * Interactively it refreshes every -d seconds (default 1), -c times (default:
 * until q); keys: b, w, p, a sort by busy time, wakes, polls, age; q quits.
 * --once prints one
 * machine-readable snapshot and exits: lines of "KIND key=value ...",
 * with KIND warnings, cpu, task or ctx (spaces inside a value become "_").
 * Needs root (debugfs).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DEBUGFS		"/sys/kernel/debug/asyncx/"
#define MAX_TASKS	65536
#define MAX_CTXS	4096
#define FIELD		128

struct task_row {
	unsigned long long id;
	char state[16], prio[16], type[64], owner[24];
	int cpu;
	unsigned long long age_ms;
	/* telemetry */
	int has_tel;
	unsigned long long polls, wakes, self, busy_us, sched_us, max_poll_us;
	long long timer_ms;
	char warn[8], waits_on[16], wait_site[FIELD], last_waker[FIELD];
};

struct ctx_row {
	int pid, fd;
	char comm[32];
	char id[24], sq_entries[16], sq_head[16], sq_tail[16];
	char cq_entries[16], cq_head[16], cq_tail[16];
	char inflight[16], ops[FIELD], overflow_pending[16], overflowed[16];
	char dropped[16], sq_thread[16];
};

static struct task_row *tasks;
static int ntasks;
static struct ctx_row *ctxs;
static int nctxs;
static char warnings_line[256];
static char telemetry_state[8];
static char stats[64][160];
static int nstats;

enum sort_key { SORT_BUSY, SORT_WAKES, SORT_POLLS, SORT_AGE };
static enum sort_key sort_key = SORT_BUSY;

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/* Copy @src into @dst (size @n), spaces and tabs made "_". */
static void copy_word(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = isspace((unsigned char)src[i]) ? '_' : src[i];
	dst[i] = 0;
}

static struct task_row *find_task(unsigned long long id)
{
	int i;

	for (i = 0; i < ntasks; i++)
		if (tasks[i].id == id)
			return &tasks[i];
	return NULL;
}

/* debugfs "tasks": id state prio cpu age_ms type owner. */
static int read_tasks(void)
{
	FILE *f = fopen(DEBUGFS "tasks", "r");
	char line[512];

	ntasks = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && ntasks < MAX_TASKS) {
		struct task_row *t = &tasks[ntasks];

		if (!isdigit((unsigned char)line[0]))
			continue;
		memset(t, 0, sizeof(*t));
		if (sscanf(line, "%llu %15s %15s %d %llu %63s %23s", &t->id, t->state,
			   t->prio, &t->cpu, &t->age_ms, t->type, t->owner) == 7)
			ntasks++;
	}
	fclose(f);
	return 0;
}

/* Split @line at tabs into at most @max fields; returns their number. */
static int split_tabs(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		fields[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}

/* debugfs "telemetry": a header, then tab-separated rows per task. */
static int read_telemetry(void)
{
	FILE *f = fopen(DEBUGFS "telemetry", "r");
	char line[1024], *fl[12];

	warnings_line[0] = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct task_row *t;

		chomp(line);
		if (!strncmp(line, "# telemetry ", 12)) {
			char *w = strstr(line, "warnings: ");

			sscanf(line + 12, "%7[a-z]", telemetry_state);
			snprintf(warnings_line, sizeof(warnings_line), "%s", w ? w + 10 : "");
			continue;
		}
		if (!isdigit((unsigned char)line[0]) || split_tabs(line, fl, 12) != 12)
			continue;
		t = find_task(strtoull(fl[0], NULL, 10));
		if (!t)
			continue;
		t->has_tel = 1;
		t->polls = strtoull(fl[1], NULL, 10);
		t->wakes = strtoull(fl[2], NULL, 10);
		t->self = strtoull(fl[3], NULL, 10);
		t->busy_us = strtoull(fl[4], NULL, 10);
		t->sched_us = strtoull(fl[5], NULL, 10);
		t->max_poll_us = strtoull(fl[6], NULL, 10);
		copy_word(t->warn, sizeof(t->warn), fl[7]);
		copy_word(t->waits_on, sizeof(t->waits_on), fl[8]);
		t->timer_ms = strtoll(fl[9], NULL, 10);
		copy_word(t->wait_site, sizeof(t->wait_site), fl[10]);
		copy_word(t->last_waker, sizeof(t->last_waker), fl[11]);
	}
	fclose(f);
	return 0;
}

static int read_stats(void)
{
	FILE *f = fopen(DEBUGFS "stats", "r");

	nstats = 0;
	if (!f)
		return -errno;
	while (nstats < 64 && fgets(stats[nstats], sizeof(stats[0]), f)) {
		chomp(stats[nstats]);
		nstats++;
	}
	fclose(f);
	return 0;
}

/* The value after "@key:\t" in an fdinfo text, into @out. */
static void fdinfo_field(const char *text, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p;
	size_t len;

	snprintf(pat, sizeof(pat), "\n%s:\t", key);
	p = strstr(text, pat);
	if (!p) {
		snprintf(out, n, "-");
		return;
	}
	p += strlen(pat);
	len = strcspn(p, "\n");
	if (len >= n)
		len = n - 1;
	memcpy(out, p, len);
	out[len] = 0;
	while (len && out[len - 1] == ' ')
		out[--len] = 0;
	/* "TIMEOUT=2 POLL=1" -> "TIMEOUT:2,POLL:1"; empty -> "-". */
	for (char *q = out; *q; q++)
		*q = *q == ' ' ? ',' : *q == '=' ? ':' : *q;
	if (!*out)
		snprintf(out, n, "-");
}

/* Every open context: /proc/PID/fdinfo/FD with an "asyncx-ctx:" line. */
static void read_contexts(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *pe;

	nctxs = 0;
	if (!proc)
		return;
	while ((pe = readdir(proc)) && nctxs < MAX_CTXS) {
		char path[600], text[4096];
		struct dirent *fe;
		DIR *fds;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fe = readdir(fds)) && nctxs < MAX_CTXS) {
			struct ctx_row *c = &ctxs[nctxs];
			FILE *f;
			size_t n;

			if (!isdigit((unsigned char)fe->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pe->d_name,
				 fe->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			text[0] = '\n';
			n = fread(text + 1, 1, sizeof(text) - 2, f);
			fclose(f);
			text[n + 1] = 0;
			if (!strstr(text, "\nasyncx-ctx:\t"))
				continue;
			memset(c, 0, sizeof(*c));
			c->pid = atoi(pe->d_name);
			c->fd = atoi(fe->d_name);
			snprintf(path, sizeof(path), "/proc/%s/comm", pe->d_name);
			f = fopen(path, "r");
			if (f) {
				if (fgets(c->comm, sizeof(c->comm), f))
					chomp(c->comm);
				fclose(f);
			}
			copy_word(c->comm, sizeof(c->comm), c->comm[0] ? c->comm : "?");
			fdinfo_field(text, "asyncx-ctx", c->id, sizeof(c->id));
			fdinfo_field(text, "sq-entries", c->sq_entries, sizeof(c->sq_entries));
			fdinfo_field(text, "sq-head", c->sq_head, sizeof(c->sq_head));
			fdinfo_field(text, "sq-tail", c->sq_tail, sizeof(c->sq_tail));
			fdinfo_field(text, "cq-entries", c->cq_entries, sizeof(c->cq_entries));
			fdinfo_field(text, "cq-head", c->cq_head, sizeof(c->cq_head));
			fdinfo_field(text, "cq-tail", c->cq_tail, sizeof(c->cq_tail));
			fdinfo_field(text, "inflight", c->inflight, sizeof(c->inflight));
			fdinfo_field(text, "inflight-ops", c->ops, sizeof(c->ops));
			fdinfo_field(text, "overflow-pending", c->overflow_pending,
				     sizeof(c->overflow_pending));
			fdinfo_field(text, "overflowed", c->overflowed, sizeof(c->overflowed));
			fdinfo_field(text, "dropped", c->dropped, sizeof(c->dropped));
			fdinfo_field(text, "sq-thread", c->sq_thread, sizeof(c->sq_thread));
			nctxs++;
		}
		closedir(fds);
	}
	closedir(proc);
}

static unsigned long long key_of(const struct task_row *t)
{
	switch (sort_key) {
	case SORT_WAKES:
		return t->wakes;
	case SORT_POLLS:
		return t->polls;
	case SORT_AGE:
		return t->age_ms;
	default:
		return t->busy_us;
	}
}

/* Largest first; ties by id. */
static int cmp_tasks(const void *a, const void *b)
{
	const struct task_row *x = a, *y = b;
	unsigned long long kx = key_of(x), ky = key_of(y);

	if (kx != ky)
		return kx < ky ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int snapshot(void)
{
	int ret = read_tasks();

	if (ret)
		return ret;
	ret = read_telemetry();
	if (ret)
		return ret;
	ret = read_stats();
	if (ret)
		return ret;
	read_contexts();
	qsort(tasks, ntasks, sizeof(*tasks), cmp_tasks);
	return 0;
}

/* "lost_waker 1 long_poll 0 ..." -> "lost_waker=1 long_poll=0 ...". */
static void print_warnings_kv(void)
{
	char name[32];
	long v;
	int off = 0, n;

	printf("warnings telemetry=%s", telemetry_state);
	while (sscanf(warnings_line + off, "%31s %ld%n", name, &v, &n) == 2) {
		printf(" %s=%ld", name, v);
		off += n;
	}
	printf("\n");
}

static void print_once(void)
{
	static const char * const cols[] = {
		"spawned", "polled", "woken", "stolen", "parked", "yields",
		"completed", "cancelled",
	};
	int i, j;

	printf("# asyncx-top 1\n");
	print_warnings_kv();
	for (i = 1; i < nstats; i++) {
		char cpu[16], state[16];
		unsigned long long v[8], queued;

		if (sscanf(stats[i], "%15s %llu %llu %llu %llu %llu %llu %llu %llu %llu %15s",
			   cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			   &queued, state) != 11)
			continue;
		printf("cpu cpu=%s", cpu);
		for (j = 0; j < 8; j++)
			printf(" %s=%llu", cols[j], v[j]);
		printf(" queued=%llu state=%s\n", queued, state);
	}
	for (i = 0; i < ntasks; i++) {
		const struct task_row *t = &tasks[i];

		printf("task id=%llu state=%s prio=%s cpu=%d age_ms=%llu type=%s owner=%s",
		       t->id, t->state, t->prio, t->cpu, t->age_ms, t->type, t->owner);
		if (t->has_tel)
			printf(" polls=%llu wakes=%llu self=%llu busy_us=%llu sched_us=%llu max_poll_us=%llu warn=%s waits_on=%s timer_ms=%lld wait_site=%s last_waker=%s",
			       t->polls, t->wakes, t->self, t->busy_us, t->sched_us,
			       t->max_poll_us, t->warn, t->waits_on, t->timer_ms,
			       t->wait_site, t->last_waker);
		printf("\n");
	}
	for (i = 0; i < nctxs; i++) {
		const struct ctx_row *c = &ctxs[i];

		printf("ctx pid=%d comm=%s fd=%d id=%s sq=%s/%s/%s cq=%s/%s/%s inflight=%s ops=%s overflow_pending=%s overflowed=%s dropped=%s sq_thread=%s\n",
		       c->pid, c->comm, c->fd, c->id, c->sq_head, c->sq_tail,
		       c->sq_entries, c->cq_head, c->cq_tail, c->cq_entries,
		       c->inflight, c->ops, c->overflow_pending, c->overflowed,
		       c->dropped, c->sq_thread);
	}
}

static const char *sort_name(void)
{
	static const char * const names[] = { "busy", "wakes", "polls", "age" };

	return names[sort_key];
}

static void print_screen(int rows)
{
	int i, shown;

	printf("\033[H\033[2J");
	printf("asyncx-top - telemetry %s - sorted by %s (b w p a: sort, q: quit)\n",
	       telemetry_state, sort_name());
	printf("warnings: %s\n\n", warnings_line);
	for (i = 0; i < nstats; i++)
		printf("%s\n", stats[i]);
	printf("\n%-10s %-9s %-6s %3s %8s %7s %6s %5s %9s %9s %4s %-9s %-22s %s\n",
	       "TASK", "STATE", "PRIO", "CPU", "AGE_MS", "POLLS", "WAKES", "SELF",
	       "BUSY_US", "SCHED_US", "WARN", "WAITS_ON", "TYPE", "WAIT_SITE");
	shown = 0;
	for (i = 0; i < ntasks && shown < rows; i++, shown++) {
		const struct task_row *t = &tasks[i];

		printf("%-10llu %-9s %-6s %3d %8llu %7llu %6llu %5llu %9llu %9llu %4s %-9s %-22.22s %s\n",
		       t->id, t->state, t->prio, t->cpu, t->age_ms, t->polls, t->wakes,
		       t->self, t->busy_us, t->sched_us, t->has_tel ? t->warn : "?",
		       t->has_tel ? t->waits_on : "?", t->type,
		       t->has_tel ? t->wait_site : "");
	}
	if (ntasks > shown)
		printf("... %d more\n", ntasks - shown);
	printf("\n%-7s %-12s %4s %6s %-14s %-14s %8s %-28s %s\n", "PID", "COMM", "FD",
	       "CTX", "SQ h/t/n", "CQ h/t/n", "INFLIGHT", "OPS", "OVERFLOW");
	for (i = 0; i < nctxs; i++) {
		const struct ctx_row *c = &ctxs[i];
		char sq[48], cq[48];

		snprintf(sq, sizeof(sq), "%s/%s/%s", c->sq_head, c->sq_tail, c->sq_entries);
		snprintf(cq, sizeof(cq), "%s/%s/%s", c->cq_head, c->cq_tail, c->cq_entries);
		printf("%-7d %-12s %4d %6s %-14s %-14s %8s %-28s %s\n", c->pid, c->comm,
		       c->fd, c->id, sq, cq, c->inflight, c->ops, c->overflow_pending);
	}
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: asyncx-top [-d SECONDS] [-s busy|wakes|polls|age] [-n TASKS] [-c COUNT] [--once]\n");
	exit(2);
}

static int parse_sort(const char *s)
{
	static const char * const names[] = { "busy", "wakes", "polls", "age" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			sort_key = i;
			return 0;
		}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "delay", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 's' },
		{ "tasks", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct termios old, raw;
	int once = 0, rows = 30, count = -1, input = 1, c, ret, tty;
	double delay = 1.0;

	while ((c = getopt_long(argc, argv, "od:s:n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			once = 1;
			break;
		case 'd':
			delay = strtod(optarg, NULL);
			if (delay <= 0)
				usage();
			break;
		case 's':
			if (parse_sort(optarg))
				usage();
			break;
		case 'n':
			rows = atoi(optarg);
			if (rows <= 0)
				usage();
			break;
		case 'c':
			count = atoi(optarg);
			if (count <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	tasks = calloc(MAX_TASKS, sizeof(*tasks));
	ctxs = calloc(MAX_CTXS, sizeof(*ctxs));
	if (!tasks || !ctxs) {
		fprintf(stderr, "asyncx-top: out of memory\n");
		return 1;
	}
	ret = snapshot();
	if (ret) {
		fprintf(stderr, "asyncx-top: %s%s: %s (is the module loaded, debugfs mounted, and are you root?)\n",
			DEBUGFS, "{tasks,telemetry,stats}", strerror(-ret));
		free(tasks);
		free(ctxs);
		return 1;
	}
	if (once) {
		print_once();
		free(tasks);
		free(ctxs);
		return 0;
	}
	tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &old);
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	for (;;) {
		/* (No more input, as from /dev/null: just wait.) */
		struct pollfd p = { .fd = input ? STDIN_FILENO : -1, .events = POLLIN };
		char k = 0;

		print_screen(rows);
		if (count > 0 && !--count)
			break;
		if (poll(&p, 1, (int)(delay * 1000)) > 0)
			input = read(STDIN_FILENO, &k, 1) == 1;
		if (k) {
			if (k == 'q')
				break;
			if (k == 'b' || k == 'w' || k == 'p' || k == 'a')
				sort_key = k == 'b' ? SORT_BUSY : k == 'w' ? SORT_WAKES :
					   k == 'p' ? SORT_POLLS : SORT_AGE;
		}
		if (snapshot())
			break;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	free(tasks);
	free(ctxs);
	return 0;
}
