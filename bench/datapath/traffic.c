// SPDX-License-Identifier: Apache-2.0
/*
 * Traffic tools for bench:datapath, run inside lab namespaces only (via
 * nsenter). Compiled by the benchmark into its build directory with `cc -O2`.
 *
 *   udp-sink  <port> <secs>                 count datagrams for <secs>; prints {"received":N}
 *   udp-send  <dst> <port> <secs> <pps>     64-byte datagrams (pps 0: as fast as sendmmsg goes); prints {"sent":N}
 *   first     <port> <timeout-ms>           prints {"firstNs":CLOCK_MONOTONIC of the first datagram} (0 on timeout)
 *   rr-server <port>                        TCP echo of 1-byte requests, until killed
 *   rr-client <dst> <port> <count>          1-byte request/response round trips; prints {"p50Us":…,"p99Us":…,"avgUs":…}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int udp_bound(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 32 << 20;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) { perror("bind"); exit(1); }
	return fd;
}

static int udp_sink(int port, double secs)
{
	int fd = udp_bound(port);
	char buf[2048];
	long n = 0;
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	printf("ready\n");
	fflush(stdout);
	while (now_ns() < end)
		if (recv(fd, buf, sizeof(buf), 0) > 0) n++;
	printf("{\"received\":%ld}\n", n);
	return 0;
}

static int udp_send(const char *dst, int port, double secs, long pps)
{
	enum { BATCH = 32 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char payload[64] = { 0 };
	struct iovec iov = { payload, sizeof(payload) };
	struct mmsghdr msgs[BATCH];
	long sent = 0;
	inet_pton(AF_INET, dst, &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) { perror("connect"); return 1; }
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) { msgs[i].msg_hdr.msg_iov = &iov; msgs[i].msg_hdr.msg_iovlen = 1; }
	uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9);
	for (uint64_t t = start; t < end; t = now_ns()) {
		if (pps > 0 && sent >= (long)((t - start) * 1e-9 * pps)) { struct timespec s = { 0, 20000 }; nanosleep(&s, NULL); continue; }
		int k = sendmmsg(fd, msgs, pps > 0 ? 1 : BATCH, 0);
		if (k > 0) sent += k;
	}
	printf("{\"sent\":%ld}\n", sent);
	return 0;
}

static int first(int port, int timeout_ms)
{
	int fd = udp_bound(port);
	char buf[2048];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	printf("ready\n");
	fflush(stdout);
	uint64_t at = 0;
	if (poll(&p, 1, timeout_ms) > 0 && recv(fd, buf, sizeof(buf), 0) > 0) at = now_ns();
	printf("{\"firstNs\":%llu}\n", (unsigned long long)at);
	return 0;
}

static int rr_server(int port)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 16)) { perror("listen"); return 1; }
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		char b;
		if (c < 0) continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (recv(c, &b, 1, 0) == 1 && send(c, &b, 1, 0) == 1) {}
		close(c);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int rr_client(const char *dst, int port, int count)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t *rtt = calloc(count, sizeof(*rtt)), sum = 0;
	char b = 'x';
	inet_pton(AF_INET, dst, &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) { perror("connect"); return 1; }
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < count; i++) {
		uint64_t t0 = now_ns();
		if (send(fd, &b, 1, 0) != 1 || recv(fd, &b, 1, 0) != 1) { perror("rr"); return 1; }
		rtt[i] = now_ns() - t0;
		sum += rtt[i];
	}
	qsort(rtt, count, sizeof(*rtt), cmp_u64);
	printf("{\"p50Us\":%.1f,\"p99Us\":%.1f,\"avgUs\":%.1f}\n", rtt[count / 2] / 1e3, rtt[count * 99 / 100] / 1e3, sum / (double)count / 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "udp-sink")) return udp_sink(atoi(argv[2]), atof(argv[3]));
	if (argc >= 6 && !strcmp(argv[1], "udp-send")) return udp_send(argv[2], atoi(argv[3]), atof(argv[4]), atol(argv[5]));
	if (argc >= 4 && !strcmp(argv[1], "first")) return first(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "rr-server")) return rr_server(atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "rr-client")) return rr_client(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: see the header of traffic.c\n");
	return 2;
}
