// SPDX-License-Identifier: GPL-2.0
/*
 * echo_client: drives samples/echo (asyncx_echo.ko, a TCP echo server on
 * 127.0.0.1) for echo.sh. One thread, epoll, non-blocking sockets.
 *
 *   echo_client [-p PORT] [-t SECONDS] stress [-n CONNS] [-m MIN] [-M MAX]
 *		[-s SEED]
 *	CONNS connections at once (default 100), each sending its own
 *	pseudo-random payload of MIN..MAX bytes (default 64 KiB..1 MiB) in
 *	random-sized writes while reading the echo back; every byte is
 *	checked, then each side closes and the server's EOF must follow.
 *
 *   echo_client [-p PORT] [-t SECONDS] hold [-n CONNS] [-r FILE] [-g FILE]
 *	CONNS connections (default 16), each checked with one round trip;
 *	every other one then floods the server without reading, so that its
 *	task waits for room to send. Writes "ready" to the -r FILE (default:
 *	stdout) and waits until every connection sees EOF or a reset — what
 *	unloading the module must do. The flooding ones are read (drained to
 *	their EOF) only once the -g FILE exists (default: at once).
 *
 * Exit status 0 on success, 1 on failure (the reason on stderr), 2 for a
 * usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX	(64 * 1024)

static int port = 7777;
static int timeout_s = 100;

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "echo_client: ");
	va_start(ap, fmt);
	/* clang-analyzer 14 reports ap uninitialized right after va_start(). */
	vfprintf(stderr, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: a good 64-bit mix, and the source of all randomness here. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state = mix64(rng_state);
	return rng_state;
}

/* A payload byte: a function of the connection's seed and the offset. */
static void payload(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	uint64_t word = mix64(seed ^ (off / 8));
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i && off % 8 == 0)
			word = mix64(seed ^ (off / 8));
		buf[i] = word >> (8 * (off % 8));
	}
}

/* bufsize: SO_SNDBUF and SO_RCVBUF, or 0 for the defaults. */
static int connect_one(int bufsize)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (bufsize &&
	    (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize)) ||
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize))))
		die("setsockopt: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		die("fcntl: %s", strerror(errno));
	return fd;
}

static void epoll_add(int ep, int fd, uint32_t events, unsigned int i)
{
	struct epoll_event ev = { .events = events, .data.u32 = i };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

/* ------------------------------------------------------------ stress */

struct conn {
	int fd;
	uint64_t seed;
	uint64_t size;		/* payload bytes */
	uint64_t sent;
	uint64_t recvd;
	bool shut;		/* all sent and SHUT_WR done */
	bool done;		/* all echoed, then EOF */
};

/* Send one random-sized piece of c's payload, as much as fits. */
static void stress_send(struct conn *c, int ep, unsigned int i)
{
	static unsigned char buf[CHUNK_MAX];
	size_t len = 1 + rnd() % CHUNK_MAX;
	ssize_t n;

	if (len > c->size - c->sent)
		len = c->size - c->sent;
	payload(c->seed, c->sent, buf, len);
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN)
		die("conn %u: send at %llu: %s", i, (unsigned long long)c->sent,
		    strerror(errno));
	if (n > 0)
		c->sent += n;
	if (c->sent == c->size && !c->shut) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		/* All sent: the server echoes the rest, sees EOF, closes. */
		if (shutdown(c->fd, SHUT_WR))
			die("conn %u: shutdown: %s", i, strerror(errno));
		c->shut = true;
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev))
			die("epoll_ctl: %s", strerror(errno));
	}
}

/* Read what came back and check every byte of it. */
static void stress_recv(struct conn *c, int ep, unsigned int i)
{
	static unsigned char buf[CHUNK_MAX], want[CHUNK_MAX];
	ssize_t n, k;

	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN)
			return;
		die("conn %u: recv at %llu of %llu: %s", i,
		    (unsigned long long)c->recvd, (unsigned long long)c->size,
		    strerror(errno));
	}
	if (n == 0) {
		if (c->recvd != c->size)
			die("conn %u: EOF after %llu of %llu bytes", i,
			    (unsigned long long)c->recvd,
			    (unsigned long long)c->size);
		if (!c->shut)
			die("conn %u: EOF before the client closed", i);
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->done = true;
		return;
	}
	if (c->recvd + n > c->sent)
		die("conn %u: %zd bytes back at %llu, only %llu sent", i, n,
		    (unsigned long long)c->recvd, (unsigned long long)c->sent);
	payload(c->seed, c->recvd, want, n);
	for (k = 0; k < n; k++)
		if (buf[k] != want[k])
			die("conn %u: byte %llu is 0x%02x, sent 0x%02x", i,
			    (unsigned long long)(c->recvd + k), buf[k], want[k]);
	c->recvd += n;
}

static int stress(int nconns, uint64_t min, uint64_t max, uint64_t seed)
{
	struct epoll_event evs[64];
	uint64_t total = 0;
	struct conn *conns;
	int ep, i, left;
	double t0 = now();

	if (nconns < 1 || min < 1 || max < min)
		die("stress: bad sizes");
	conns = calloc(nconns, sizeof(*conns));
	ep = epoll_create1(0);
	if (!conns || ep < 0)
		die("out of memory or epoll_create1: %s", strerror(errno));
	rng_state = seed;
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		c->fd = connect_one(0);
		c->seed = rnd();
		c->size = min + rnd() % (max - min + 1);
		total += c->size;
		epoll_add(ep, c->fd, EPOLLIN | EPOLLOUT, i);
	}
	printf("# stress: %d connections, %llu bytes to echo (seed %llu)\n",
	       nconns, (unsigned long long)total, (unsigned long long)seed);
	fflush(stdout);

	for (left = nconns; left;) {
		int n = epoll_wait(ep, evs, 64, 1000);

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			unsigned int k = evs[i].data.u32;
			struct conn *c = &conns[k];

			if (c->done)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				stress_recv(c, ep, k);
			if (!c->done && !c->shut && (evs[i].events & EPOLLOUT))
				stress_send(c, ep, k);
			if (c->done)
				left--;
		}
		if (now() - t0 > timeout_s) {
			for (i = 0; i < nconns; i++)
				if (!conns[i].done)
					fprintf(stderr, "# conn %d: sent %llu, back %llu of %llu\n",
						i, (unsigned long long)conns[i].sent,
						(unsigned long long)conns[i].recvd,
						(unsigned long long)conns[i].size);
			die("stress: %d connections unfinished after %d s", left,
			    timeout_s);
		}
	}
	printf("# stress: every byte came back in %.1f s\n", now() - t0);
	printf("bytes %llu\n", (unsigned long long)total);
	close(ep);
	free(conns);
	return 0;
}

/* ------------------------------------------------------------ hold */

/* One round trip on a fresh connection: it is being served. */
static void ping(int fd, int i)
{
	char out[64], in[64];
	size_t got = 0;
	int len = snprintf(out, sizeof(out), "ping %d", i);
	double t0 = now();

	if (send(fd, out, len, MSG_NOSIGNAL) != len)
		die("hold: conn %d: send: %s", i, strerror(errno));
	while (got < (size_t)len) {
		ssize_t n = recv(fd, in + got, len - got, 0);

		if (n == 0)
			die("hold: conn %d: EOF before the echo", i);
		if (n < 0 && errno != EAGAIN)
			die("hold: conn %d: recv: %s", i, strerror(errno));
		if (n > 0)
			got += n;
		else if (now() - t0 > timeout_s)
			die("hold: conn %d: no echo in %d s", i, timeout_s);
		else
			usleep(1000);
	}
	if (memcmp(in, out, len))
		die("hold: conn %d: the echo differs", i);
}

/* Send until the socket takes no more: the server's task cannot echo
 * everything back, since we do not read, and waits for room.
 */
static void flood(int fd, int i)
{
	static unsigned char buf[CHUNK_MAX];
	double t0 = now();

	memset(buf, 'x', sizeof(buf));
	for (;;) {
		ssize_t n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			/* Full now; give the server a moment, then check. */
			usleep(20000);
			n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				return;
		}
		if (n < 0)
			die("hold: conn %d: flood: %s", i, strerror(errno));
		if (now() - t0 > timeout_s)
			die("hold: conn %d: the socket never filled", i);
	}
}

/*
 * Has the server closed this connection? Reads what is left: returns 0
 * while open, 1 for an EOF, 2 for a reset.
 */
static int hold_closed(int fd, int k)
{
	static unsigned char buf[CHUNK_MAX];
	ssize_t r;

	r = recv(fd, buf, sizeof(buf), 0);
	if (r > 0 || (r < 0 && errno == EAGAIN))
		return 0;	/* echoes still coming */
	if (r < 0 && errno != ECONNRESET && errno != EPIPE)
		die("hold: conn %d: recv: %s", k, strerror(errno));
	return r ? 2 : 1;
}

static int hold(int nconns, const char *ready, const char *go)
{
	struct epoll_event evs[64];
	int *fds = calloc(nconns, sizeof(*fds));
	int ep = epoll_create1(0);
	int i, left, closed[3] = { 0 };
	bool reading = false;
	double t0;
	FILE *f;

	if (!fds || ep < 0)
		die("out of memory or epoll_create1: %s", strerror(errno));
	for (i = 0; i < nconns; i++) {
		/* Small buffers: a flood fills them quickly. */
		fds[i] = connect_one(32 * 1024);
		ping(fds[i], i);
		if (i % 2)
			flood(fds[i], i);
		/* The flooding ones are not read before the go. */
		epoll_add(ep, fds[i], i % 2 ? 0 : EPOLLIN, i);
	}

	f = ready ? fopen(ready, "w") : stdout;
	if (!f)
		die("%s: %s", ready, strerror(errno));
	fprintf(f, "ready\n");
	if (ready)
		fclose(f);
	else
		fflush(f);

	/*
	 * Wait for the server to close every connection. The flooding ones
	 * are read only after the go (the module is gone): until then their
	 * server tasks wait for room to send.
	 */
	t0 = now();
	for (left = nconns; left;) {
		int n = epoll_wait(ep, evs, 64, 100);

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		if (!reading && (!go || !access(go, F_OK))) {
			reading = true;
			for (i = 1; i < nconns; i += 2) {
				struct epoll_event ev = {
					.events = EPOLLIN, .data.u32 = i,
				};

				/* Closed already (a reset: EPOLLERR). */
				if (fds[i] < 0)
					continue;
				if (epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev))
					die("epoll_ctl: %s", strerror(errno));
			}
		}
		for (i = 0; i < n; i++) {
			int k = evs[i].data.u32;
			int how = hold_closed(fds[k], k);

			if (!how)
				continue;
			closed[how]++;
			epoll_ctl(ep, EPOLL_CTL_DEL, fds[k], NULL);
			close(fds[k]);
			fds[k] = -1;
			left--;
		}
		if (now() - t0 > timeout_s)
			die("hold: %d of %d connections still open after %d s",
			    left, nconns, timeout_s);
	}
	printf("# hold: %d connections closed by the server (%d EOF, %d reset)\n",
	       nconns, closed[1], closed[2]);
	close(ep);
	free(fds);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: echo_client [-p PORT] [-t SECONDS] stress [-n CONNS] [-m MIN] [-M MAX] [-s SEED]\n"
		"       echo_client [-p PORT] [-t SECONDS] hold [-n CONNS] [-r FILE] [-g FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t min = 64 * 1024, max = 1024 * 1024, seed = 1;
	const char *ready = NULL, *go = NULL, *mode;
	int nconns = -1, opt;

	while ((opt = getopt(argc, argv, "+p:t:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 't': timeout_s = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	mode = argv[optind];
	optind++;
	while ((opt = getopt(argc, argv, "n:m:M:s:r:g:")) != -1) {
		switch (opt) {
		case 'n': nconns = atoi(optarg); break;
		case 'm': min = strtoull(optarg, NULL, 0); break;
		case 'M': max = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': ready = optarg; break;
		case 'g': go = optarg; break;
		default: usage();
		}
	}
	if (!strcmp(mode, "stress"))
		return stress(nconns < 0 ? 100 : nconns, min, max, seed);
	if (!strcmp(mode, "hold"))
		return hold(nconns < 0 ? 16 : nconns, ready, go);
	usage();
	return 2;
}
