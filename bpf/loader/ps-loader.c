// SPDX-License-Identifier: GPL-2.0
/* ps-loader: the agent's hands on the kernel. A long-lived child process of
 * the agent, started inside the node network namespace, that loads a BPF
 * object with its maps pinned by name, attaches programs with tcx links
 * (pinned, so they keep enforcing after we exit), updates maps, runs
 * BPF_PROG_TEST_RUN and streams ring-buffer records.
 *
 * It knows no struct layouts: keys, values and records travel as hex, and
 * the TypeScript side (src/agent/datapath/layouts.ts) encodes and decodes
 * them. That keeps this program generic and the layouts in one place.
 *
 * Line protocol. Requests on stdin, one per line:  <id> <verb> <args...>
 * Responses on stdout, one JSON object per line:   {"id":N,"ok":true,...}
 *                                                  {"id":N,"ok":false,"error":"..."}
 * Asynchronous ring-buffer records, batched:       {"event":"<map>","size":S,"count":N,"data":"<hex>"}
 *   (N records of S bytes concatenated; a record over 256 bytes comes alone, without size/count)
 * or, after `watch MAP frames`, as binary frames on fd 3 (a pipe the agent
 * opened for it): u32 S, u32 N (little-endian, host order), then N records of
 * S bytes. No hex, no JSON: at hundreds of thousands of records a second the
 * agent's cost per record is what limits the event pipeline.
 *
 * Verbs:
 *   pin-dir DIR [MAPDIR]            where links (DIR/links) and maps (MAPDIR, default DIR)
 *                                   are pinned; a new MAPDIR is how the agent rebuilds maps
 *                                   whose layout changed without touching the live ones
 *   load OBJ [noswap]               load (maps reused from pins), swap every pinned link
 *                                   to the new programs; on failure keep the old ones.
 *                                   noswap: load only; `swap` later (after filling new maps)
 *   swap                            point every pinned link at the loaded object's programs
 *   attach PROG IFNAME ingress|egress   tcx link, pinned at DIR/links/IFNAME-HOOK
 *   detach IFNAME ingress|egress    unpin (and so detach) that link
 *   links                           the pinned links, decoded
 *   ifindex IFNAME                  an interface's index in this namespace
 *   update MAP KEY VALUE            one element (hex)
 *   delete MAP KEY
 *   lookup MAP KEY
 *   update-batch MAP KEYS VALUES    concatenated hex, batch op with per-element fallback
 *   delete-batch MAP KEYS
 *   dump MAP                        every entry (per-CPU values: all CPUs concatenated);
 *                                   MAP may be an absolute pin path (an older map set)
 *   gc-expired MAP OFFSET           delete entries whose u64 value at OFFSET (CLOCK_MONOTONIC
 *                                   ns, 0 = never) has passed: the conntrack sweep
 *   watch MAP [frames]              stream a ring buffer's records as events (frames: binary on fd 3)
 *   test-run PROG IFINDEX PACKET [REPEAT]   BPF_PROG_TEST_RUN on a packet (hex), REPEAT times
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Debian 12's libbpf 1.1 and UAPI headers predate tcx (kernel 6.6); the
 * kernel has it, so use the attach type numbers directly.
 */
#define PS_TCX_INGRESS 46
#define PS_TCX_EGRESS 47
#define PS_LINK_TYPE_TCX 11

#define STATS_LOG_SIZE (64 * 1024)
#define MAX_MAPS 64

static char pin_dir[512];
static char map_dir[512];
static struct bpf_object *current_obj;
static struct bpf_object *previous_obj; /* loaded with noswap: closed at swap */
static struct ring_buffer *ringbuf;

/* Maps opened from pins, for use before (or without) a successful load. */
static struct { char name[320]; int fd; } pinned_maps[MAX_MAPS];
static int n_pinned_maps;

/* ---- output helpers ---------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static const char hex_digits[] = "0123456789abcdef";

/* Hex into dst (2 * len chars, no terminator): a table, not printf per byte,
 * because ring-buffer records go through here hundreds of thousands of times a second.
 */
static void hex_encode(char *dst, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = hex_digits[p[i] >> 4];
		dst[2 * i + 1] = hex_digits[p[i] & 15];
	}
}

static void hex_out(FILE *out, const void *data, size_t len)
{
	char chunk[512];

	fputc('"', out);
	while (len > 0) {
		size_t n = len < sizeof(chunk) / 2 ? len : sizeof(chunk) / 2;

		hex_encode(chunk, data, n);
		fwrite(chunk, 1, 2 * n, out);
		data = (const unsigned char *)data + n;
		len -= n;
	}
	fputc('"', out);
}

static void reply_error(long id, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("{\"id\":%ld,\"ok\":false,\"error\":", id);
	json_string(stdout, msg);
	printf("}\n");
}

static void reply_ok(long id)
{
	printf("{\"id\":%ld,\"ok\":true}\n", id);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into a fresh buffer; returns its length or -1. */
static long hex_decode(const char *hex, unsigned char **out)
{
	size_t n = strlen(hex);

	*out = NULL;
	if (n % 2)
		return -1;
	*out = malloc(n / 2 + 1);
	if (!*out)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = hi << 4 | lo;
	}
	return n / 2;
}

/* ---- libbpf log capture ------------------------------------------------ */

/* libbpf's messages (and, when a program is rejected, its retry with log
 * level 1 that prints the verifier log) are kept for the load response.
 */
static char *libbpf_log;
static size_t libbpf_log_len;

static int capture_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[8192];
	va_list copy;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof(buf)) {
		/* The verifier log arrives as one big string: format it in full. */
		char *big = malloc(n + 1);

		if (!big)
			return 0;
		vsnprintf(big, n + 1, fmt, ap);
		libbpf_log = realloc(libbpf_log, libbpf_log_len + n + 1);
		memcpy(libbpf_log + libbpf_log_len, big, n + 1);
		free(big);
	} else if (n > 0) {
		libbpf_log = realloc(libbpf_log, libbpf_log_len + n + 1);
		memcpy(libbpf_log + libbpf_log_len, buf, n + 1);
	}
	if (n > 0)
		libbpf_log_len += n;
	return 0;
}

static void reset_libbpf_log(void)
{
	free(libbpf_log);
	libbpf_log = NULL;
	libbpf_log_len = 0;
}

/* ---- lookups ----------------------------------------------------------- */

static int map_fd_by_name(const char *name)
{
	char path[1024];
	int fd;

	if (current_obj) {
		struct bpf_map *map = bpf_object__find_map_by_name(current_obj, name);

		if (map)
			return bpf_map__fd(map);
	}
	for (int i = 0; i < n_pinned_maps; i++)
		if (!strcmp(pinned_maps[i].name, name))
			return pinned_maps[i].fd;
	if (n_pinned_maps == MAX_MAPS || strlen(name) >= sizeof(pinned_maps[0].name))
		return -ENOENT;
	if (name[0] == '/')
		/* A pin path: a map of an older map set being migrated. */
		snprintf(path, sizeof(path), "%s", name);
	else if (map_dir[0])
		snprintf(path, sizeof(path), "%s/%s", map_dir, name);
	else
		return -ENOENT;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;
	snprintf(pinned_maps[n_pinned_maps].name, sizeof(pinned_maps[0].name), "%s", name);
	pinned_maps[n_pinned_maps++].fd = fd;
	return fd;
}

static int prog_fd_by_name(const char *name)
{
	struct bpf_program *prog;

	if (!current_obj)
		return -ENOENT;
	prog = bpf_object__find_program_by_name(current_obj, name);
	return prog ? bpf_program__fd(prog) : -ENOENT;
}

static int hook_attach_type(const char *hook)
{
	if (!strcmp(hook, "ingress"))
		return PS_TCX_INGRESS;
	if (!strcmp(hook, "egress"))
		return PS_TCX_EGRESS;
	return -1;
}

static void link_pin_path(char *buf, size_t len, const char *ifname, const char *hook)
{
	snprintf(buf, len, "%s/links/%s-%s", pin_dir, ifname, hook);
}

static int mkdir_p(const char *dir)
{
	char tmp[1024];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(tmp, 0700);
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* libbpf 1.1 cannot decode tcx links: struct bpf_link_info is
 * {u32 type, id, prog_id; union (8-aligned) { struct { u32 ifindex, attach_type; } tcx; ... }}.
 */
struct tcx_link_info {
	__u32 type, id, prog_id, pad;
	__u32 ifindex, attach_type;
	__u8 rest[96];
};

static int link_info(int fd, struct tcx_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

/* ---- verbs ------------------------------------------------------------- */

static void cmd_pin_dir(long id, const char *dir, const char *maps)
{
	char links[1100];

	if (mkdir_p(dir) || (maps && mkdir_p(maps))) {
		reply_error(id, "cannot create %s: %s (is bpffs mounted?)", maps ? maps : dir,
			    strerror(errno));
		return;
	}
	snprintf(pin_dir, sizeof(pin_dir), "%s", dir);
	snprintf(map_dir, sizeof(map_dir), "%s", maps ? maps : dir);
	snprintf(links, sizeof(links), "%s/links", dir);
	mkdir_p(links);
	snprintf(links, sizeof(links), "%s/calls", dir);
	mkdir_p(links);
	/* Maps opened from the previous map set are not this one's. */
	for (int i = 0; i < n_pinned_maps; i++)
		close(pinned_maps[i].fd);
	n_pinned_maps = 0;
	reply_ok(id);
}

/* Program arrays (tail calls) are emptied by the kernel when no user
 * reference is left, so each object's are pinned under DIR/calls (named
 * with the map id: one set per object) once its programs serve the links;
 * the previous object's are unpinned then.
 */
static void pin_call_maps(struct bpf_object *obj)
{
	char dir[1100], path[1400], keep[8][256];
	struct bpf_map *map;
	struct dirent *de;
	int n_keep = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/calls", pin_dir);
	bpf_object__for_each_map(map, obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_map__type(map) != BPF_MAP_TYPE_PROG_ARRAY || n_keep == 8)
			continue;
		if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
			continue;
		snprintf(keep[n_keep], sizeof(keep[0]), "%s-%u", bpf_map__name(map), info.id);
		snprintf(path, sizeof(path), "%s/%s", dir, keep[n_keep]);
		if (bpf_obj_pin(bpf_map__fd(map), path) && errno != EEXIST)
			continue;
		n_keep++;
	}
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		bool kept = false;

		if (de->d_name[0] == '.')
			continue;
		for (int i = 0; i < n_keep; i++)
			kept |= !strcmp(de->d_name, keep[i]);
		if (!kept) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

/* Points every pinned link of this pin dir at the program of the new object
 * that serves its hook (ingress: from_endpoint side, egress: to_endpoint
 * side), atomically with bpf_link_update().
 */
static int swap_pinned_links(struct bpf_object *obj, int *swapped)
{
	char dir[1100], path[1400];
	struct dirent *de;
	DIR *d;

	*swapped = 0;
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		const char *dash = strrchr(de->d_name, '-');
		struct bpf_program *prog = NULL, *p;
		struct tcx_link_info info;
		int fd, err;

		if (de->d_name[0] == '.' || !dash)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (link_info(fd, &info)) {
			close(fd);
			continue;
		}
		/* The program the link runs now tells which one replaces it. */
		bpf_object__for_each_program(p, obj) {
			struct bpf_prog_info pi = {};
			__u32 pl = sizeof(pi);
			int old_fd = bpf_prog_get_fd_by_id(info.prog_id);

			if (old_fd < 0)
				break;
			if (!bpf_obj_get_info_by_fd(old_fd, &pi, &pl) &&
			    !strncmp(pi.name, bpf_program__name(p), BPF_OBJ_NAME_LEN - 1))
				prog = p;
			close(old_fd);
			if (prog)
				break;
		}
		if (prog) {
			err = bpf_link_update(fd, bpf_program__fd(prog), NULL);
			if (!err)
				(*swapped)++;
		}
		close(fd);
	}
	closedir(d);
	return 0;
}

static void cmd_load(long id, const char *obj_path, bool swap)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = map_dir);
	static char stats_log[8][STATS_LOG_SIZE];
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct timespec t0, t1;
	int err, i = 0, swapped = 0;

	if (!pin_dir[0]) {
		reply_error(id, "pin-dir first");
		return;
	}
	reset_libbpf_log();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	obj = bpf_object__open_file(obj_path, &opts);
	err = libbpf_get_error(obj);
	if (err) {
		printf("{\"id\":%ld,\"ok\":false,\"stage\":\"load\",\"error\":", id);
		json_string(stdout, strerror(-err));
		printf(",\"log\":");
		json_string(stdout, libbpf_log);
		printf("}\n");
		return;
	}
	/* Log level 4 (BPF_LOG_STATS): the statistics of a successful load. */
	bpf_object__for_each_program(prog, obj) {
		if (i < 8) {
			stats_log[i][0] = 0;
			bpf_program__set_log_buf(prog, stats_log[i], STATS_LOG_SIZE);
			bpf_program__set_log_level(prog, 4);
		}
		i++;
	}
	err = bpf_object__load(obj);
	if (err) {
		/* Load again with libbpf's defaults: it retries a rejected
		 * program with log level 1 and prints the whole verifier log,
		 * with `; source @ file.c:NN` lines, through our callback.
		 */
		bpf_object__close(obj);
		reset_libbpf_log();
		obj = bpf_object__open_file(obj_path, &opts);
		if (!libbpf_get_error(obj)) {
			bpf_object__load(obj);
			bpf_object__close(obj);
		}
		printf("{\"id\":%ld,\"ok\":false,\"stage\":\"load\",\"error\":", id);
		json_string(stdout, strerror(-err));
		printf(",\"log\":");
		json_string(stdout, libbpf_log);
		printf("}\n");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (swap) {
		swap_pinned_links(obj, &swapped);
		pin_call_maps(obj);
	}
	/* Without swap the old object must stay open: its programs still run
	 * the links and its program arrays are still in use until `swap`.
	 */
	if (current_obj && swap) {
		bpf_object__close(current_obj);
		if (previous_obj)
			bpf_object__close(previous_obj);
		previous_obj = NULL;
	}
	else if (current_obj)
		previous_obj = current_obj;
	current_obj = obj;

	printf("{\"id\":%ld,\"ok\":true,\"loadUs\":%ld,\"linksSwapped\":%d,\"programs\":[", id,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000),
	       swapped);
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info pi = {};
		__u32 pl = sizeof(pi);

		bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pi, &pl);
		printf("%s{\"name\":", i ? "," : "");
		json_string(stdout, bpf_program__name(prog));
		printf(",\"progId\":%u,\"verifiedInsns\":%u,\"log\":", pi.id, pi.verified_insns);
		json_string(stdout, i < 8 ? stats_log[i] : "");
		printf("}");
		i++;
	}
	printf("],\"maps\":[");
	{
		struct bpf_map *map;
		int m = 0;

		bpf_object__for_each_map(map, obj) {
			printf("%s", m++ ? "," : "");
			json_string(stdout, bpf_map__name(map));
		}
	}
	printf("]}\n");
}

static void cmd_swap(long id)
{
	int swapped = 0;

	if (!current_obj) {
		reply_error(id, "nothing loaded");
		return;
	}
	swap_pinned_links(current_obj, &swapped);
	pin_call_maps(current_obj);
	if (previous_obj) {
		bpf_object__close(previous_obj);
		previous_obj = NULL;
	}
	printf("{\"id\":%ld,\"ok\":true,\"linksSwapped\":%d}\n", id, swapped);
}

static void cmd_attach(long id, const char *prog_name, const char *ifname, const char *hook)
{
	int prog_fd = prog_fd_by_name(prog_name), type = hook_attach_type(hook);
	unsigned int ifindex = if_nametoindex(ifname);
	char path[1400];
	int fd, err;

	if (prog_fd < 0) {
		reply_error(id, "no loaded program %s", prog_name);
		return;
	}
	if (type < 0 || !ifindex) {
		reply_error(id, "bad hook %s or no interface %s", hook, ifname);
		return;
	}
	link_pin_path(path, sizeof(path), ifname, hook);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		struct tcx_link_info info;

		/* Re-adopt a pinned link if it still serves this interface. */
		if (!link_info(fd, &info) && info.ifindex == ifindex &&
		    !bpf_link_update(fd, prog_fd, NULL)) {
			close(fd);
			printf("{\"id\":%ld,\"ok\":true,\"updated\":true,\"ifindex\":%u}\n", id, ifindex);
			return;
		}
		close(fd);
		unlink(path);
	}
	fd = bpf_link_create(prog_fd, ifindex, type, NULL);
	if (fd < 0) {
		reply_error(id, "bpf_link_create(%s, %s): %s", ifname, hook, strerror(-fd));
		return;
	}
	err = bpf_obj_pin(fd, path);
	close(fd);
	if (err) {
		reply_error(id, "pin %s: %s", path, strerror(-err));
		return;
	}
	pin_call_maps(current_obj);
	printf("{\"id\":%ld,\"ok\":true,\"updated\":false,\"ifindex\":%u}\n", id, ifindex);
}

static void cmd_detach(long id, const char *ifname, const char *hook)
{
	char path[1400];

	link_pin_path(path, sizeof(path), ifname, hook);
	if (unlink(path) && errno != ENOENT) {
		reply_error(id, "unlink %s: %s", path, strerror(errno));
		return;
	}
	reply_ok(id);
}

static void cmd_links(long id)
{
	char dir[1100], path[1400];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	printf("{\"id\":%ld,\"ok\":true,\"links\":[", id);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		struct tcx_link_info info;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (!link_info(fd, &info)) {
			printf("%s{\"pin\":", n++ ? "," : "");
			json_string(stdout, de->d_name);
			printf(",\"linkId\":%u,\"linkType\":%u,\"progId\":%u,\"ifindex\":%u,"
			       "\"attachType\":%u}",
			       info.id, info.type, info.prog_id, info.ifindex, info.attach_type);
		}
		close(fd);
	}
	if (d)
		closedir(d);
	printf("]}\n");
}

static int map_value_size(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int ncpu;

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -1;
	switch (info->type) {
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		ncpu = libbpf_num_possible_cpus();
		return ((info->value_size + 7) / 8) * 8 * ncpu;
	default:
		return info->value_size;
	}
}

static void cmd_update(long id, const char *map, const char *hkey, const char *hval)
{
	int fd = map_fd_by_name(map), err;
	unsigned char *key = NULL, *val = NULL;
	struct bpf_map_info info;
	long kl, vl;

	if (fd < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	kl = hex_decode(hkey, &key);
	vl = hex_decode(hval, &val);
	if (map_value_size(fd, &info) < 0 || kl != info.key_size || vl != map_value_size(fd, &info)) {
		reply_error(id, "%s: key/value size mismatch (%ld/%ld, map %u/%u)", map, kl, vl,
			    info.key_size, info.value_size);
		goto out;
	}
	err = bpf_map_update_elem(fd, key, val, BPF_ANY);
	if (err)
		reply_error(id, "update %s: %s", map, strerror(-err));
	else
		reply_ok(id);
out:
	free(key);
	free(val);
}

static void cmd_delete(long id, const char *map, const char *hkey)
{
	int fd = map_fd_by_name(map), err;
	unsigned char *key = NULL;
	long kl;

	if (fd < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	kl = hex_decode(hkey, &key);
	if (kl < 0) {
		reply_error(id, "bad key");
		return;
	}
	err = bpf_map_delete_elem(fd, key);
	free(key);
	if (err && err != -ENOENT)
		reply_error(id, "delete %s: %s", map, strerror(-err));
	else
		printf("{\"id\":%ld,\"ok\":true,\"found\":%s}\n", id, err ? "false" : "true");
}

static void cmd_lookup(long id, const char *map, const char *hkey)
{
	int fd = map_fd_by_name(map), vsize;
	unsigned char *key = NULL, *val;
	struct bpf_map_info info;

	if (fd < 0 || (vsize = map_value_size(fd, &info)) < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	if (hex_decode(hkey, &key) != info.key_size) {
		reply_error(id, "bad key size for %s", map);
		free(key);
		return;
	}
	val = calloc(1, vsize);
	if (bpf_map_lookup_elem(fd, key, val)) {
		printf("{\"id\":%ld,\"ok\":true,\"found\":false}\n", id);
	} else {
		printf("{\"id\":%ld,\"ok\":true,\"found\":true,\"value\":", id);
		hex_out(stdout, val, vsize);
		printf("}\n");
	}
	free(key);
	free(val);
}

static void cmd_update_batch(long id, const char *map, const char *hkeys, const char *hvals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	int fd = map_fd_by_name(map), vsize, err;
	unsigned char *keys = NULL, *vals = NULL;
	struct bpf_map_info info;
	long kl, vl, n;
	__u32 count;

	if (fd < 0 || (vsize = map_value_size(fd, &info)) < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	kl = hex_decode(hkeys, &keys);
	vl = hex_decode(hvals, &vals);
	if (kl <= 0 || vl <= 0 || kl % info.key_size || kl / info.key_size != vl / vsize ||
	    vl % vsize) {
		reply_error(id, "%s: batch sizes do not match the map", map);
		goto out;
	}
	n = kl / info.key_size;
	count = n;
	err = bpf_map_update_batch(fd, keys, vals, &count, &opts);
	if (err) {
		/* LPM tries have no batch ops: one syscall per element. */
		for (long i = 0; i < n; i++) {
			err = bpf_map_update_elem(fd, keys + i * info.key_size, vals + i * vsize,
						  BPF_ANY);
			if (err) {
				reply_error(id, "update %s element %ld: %s", map, i, strerror(-err));
				goto out;
			}
		}
	}
	printf("{\"id\":%ld,\"ok\":true,\"count\":%ld}\n", id, n);
out:
	free(keys);
	free(vals);
}

static void cmd_delete_batch(long id, const char *map, const char *hkeys)
{
	int fd = map_fd_by_name(map), err;
	unsigned char *keys = NULL;
	struct bpf_map_info info;
	long kl, n, deleted = 0;
	__u32 count;

	if (fd < 0 || map_value_size(fd, &info) < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	kl = hex_decode(hkeys, &keys);
	if (kl <= 0 || kl % info.key_size) {
		reply_error(id, "%s: batch size does not match the key size", map);
		free(keys);
		return;
	}
	n = kl / info.key_size;
	count = n;
	err = bpf_map_delete_batch(fd, keys, &count, NULL);
	if (err) {
		for (long i = 0; i < n; i++)
			if (!bpf_map_delete_elem(fd, keys + i * info.key_size))
				deleted++;
	} else {
		deleted = count;
	}
	printf("{\"id\":%ld,\"ok\":true,\"count\":%ld}\n", id, deleted);
	free(keys);
}

static void cmd_dump(long id, const char *map)
{
	int fd = map_fd_by_name(map), vsize, n = 0;
	unsigned char *key, *next, *val;
	struct bpf_map_info info;
	int err;

	if (fd < 0 || (vsize = map_value_size(fd, &info)) < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	printf("{\"id\":%ld,\"ok\":true,\"type\":%u,\"keySize\":%u,\"valueSize\":%u,"
	       "\"maxEntries\":%u,\"entries\":[",
	       id, info.type, info.key_size, info.value_size, info.max_entries);
	if (info.type == BPF_MAP_TYPE_RINGBUF) {
		printf("]}\n");
		return;
	}
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	val = calloc(1, vsize);
	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err) {
		memcpy(key, next, info.key_size);
		if (!bpf_map_lookup_elem(fd, key, val)) {
			printf("%s[", n++ ? "," : "");
			hex_out(stdout, key, info.key_size);
			putchar(',');
			hex_out(stdout, val, vsize);
			putchar(']');
		}
		err = bpf_map_get_next_key(fd, key, next);
	}
	printf("]}\n");
	free(key);
	free(next);
	free(val);
}

static void cmd_gc_expired(long id, const char *map, const char *offset_text)
{
	int fd = map_fd_by_name(map), vsize, err;
	unsigned char *key, *next, *val;
	long offset = strtol(offset_text, NULL, 10);
	struct bpf_map_info info;
	struct timespec now;
	__u64 now_ns, expires;
	long deleted = 0, kept = 0;

	if (fd < 0 || (vsize = map_value_size(fd, &info)) < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	if (offset < 0 || offset + 8 > (long)info.value_size) {
		reply_error(id, "offset %ld outside the %u-byte value", offset, info.value_size);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (__u64)now.tv_sec * 1000000000ULL + now.tv_nsec;
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	val = calloc(1, vsize);
	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err) {
		memcpy(key, next, info.key_size);
		/* Step before deleting: the iteration must not lose its place. */
		err = bpf_map_get_next_key(fd, key, next);
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		memcpy(&expires, val + offset, 8);
		if (expires && expires < now_ns) {
			if (!bpf_map_delete_elem(fd, key))
				deleted++;
		} else {
			kept++;
		}
	}
	printf("{\"id\":%ld,\"ok\":true,\"deleted\":%ld,\"kept\":%ld}\n", id, deleted, kept);
	free(key);
	free(next);
	free(val);
}

static const char *watched_map;

/* Ring-buffer records travel in batches: one line holds up to RECORD_BATCH_MAX
 * records of one size, concatenated ({"event":MAP,"size":S,"count":N,"data":HEX}),
 * so the agent parses one JSON line per batch instead of one per record.
 */
#define RECORD_BATCH_MAX 4096
#define RECORD_MAX_SIZE 256
/* Records taken per poll round before requests on stdin get their turn: a
 * flood must not starve a policy update.
 */
#define RECORDS_PER_ROUND 65536

/* Where records go: hex lines on stdout, or binary frames on FRAME_FD. */
#define FRAME_FD 3
/* Frames are bigger than lines: one write per 16,384 records of 48 bytes (768 kB). */
#define FRAME_RECORDS_MAX 16384
/* The frame pipe's (or socket's send) buffer: the default would make every frame wait for the agent. */
#define FRAME_PIPE_SIZE (1 << 20)

static bool frames;
static char batch_hex[RECORD_BATCH_MAX * RECORD_MAX_SIZE * 2];
static unsigned char batch_bin[FRAME_RECORDS_MAX * RECORD_MAX_SIZE];
static size_t batch_size, batch_count;
static long round_records;

/* Writes all of buf (a pipe may take it in parts); false when the agent is gone. */
static bool write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return true;
}

static void flush_frame(const void *data, size_t size, size_t count)
{
	__u32 header[2] = { size, count };
	struct iovec iov[2] = { { header, sizeof(header) }, { (void *)data, size * count } };

	write_all(FRAME_FD, iov, 2);
}

static void flush_record_batch(void)
{
	if (!batch_count)
		return;
	if (frames) {
		flush_frame(batch_bin, batch_size, batch_count);
	} else {
		printf("{\"event\":\"%s\",\"size\":%zu,\"count\":%zu,\"data\":\"", watched_map, batch_size, batch_count);
		fwrite(batch_hex, 1, batch_size * batch_count * 2, stdout);
		fputs("\"}\n", stdout);
	}
	batch_count = 0;
}

static int on_ringbuf_record(void *ctx, void *data, size_t len)
{
	size_t max = frames ? FRAME_RECORDS_MAX : RECORD_BATCH_MAX;

	(void)ctx;
	if (len > RECORD_MAX_SIZE) {
		/* Not a flow event; send it alone. */
		flush_record_batch();
		if (frames) {
			flush_frame(data, len, 1);
		} else {
			printf("{\"event\":\"%s\",\"data\":", watched_map);
			hex_out(stdout, data, len);
			printf("}\n");
		}
	} else {
		if (batch_count && (len != batch_size || batch_count == max))
			flush_record_batch();
		batch_size = len;
		if (frames)
			memcpy(batch_bin + batch_count * len, data, len);
		else
			hex_encode(batch_hex + batch_count * len * 2, data, len);
		batch_count++;
	}
	/* A negative return stops ring_buffer__consume() after this (consumed) record. */
	return ++round_records >= RECORDS_PER_ROUND ? -EAGAIN : 0;
}

static void consume_records(void)
{
	round_records = 0;
	ring_buffer__consume(ringbuf);
	flush_record_batch();
}

static void cmd_watch(long id, const char *map, const char *mode)
{
	static char name[64];
	int fd = map_fd_by_name(map);
	struct stat st;

	if (fd < 0) {
		reply_error(id, "no map %s", map);
		return;
	}
	if (mode && strcmp(mode, "frames")) {
		reply_error(id, "watch: unknown mode %s (frames or none)", mode);
		return;
	}
	/* Node's "pipe" stdio is a socket pair; a shell's would be a FIFO. */
	if (mode && (fstat(FRAME_FD, &st) || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))) {
		reply_error(id, "watch frames: fd %d is not a pipe", FRAME_FD);
		return;
	}
	/* Records queued in the old form go out in it. */
	flush_record_batch();
	frames = mode != NULL;
	if (frames && S_ISFIFO(st.st_mode)) {
		fcntl(FRAME_FD, F_SETPIPE_SZ, FRAME_PIPE_SIZE); /* best effort */
	} else if (frames) {
		int size = FRAME_PIPE_SIZE;

		/* FORCE: root may exceed net.core.wmem_max. Best effort either way. */
		if (setsockopt(FRAME_FD, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
			setsockopt(FRAME_FD, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (ringbuf) {
		ring_buffer__free(ringbuf);
		ringbuf = NULL;
	}
	snprintf(name, sizeof(name), "%s", map);
	watched_map = name;
	/* Our own descriptor: a later load closes the object's map fds, and
	 * the ring buffer's epoll registration must survive that.
	 */
	fd = dup(fd);
	ringbuf = ring_buffer__new(fd, on_ringbuf_record, NULL, NULL);
	if (!ringbuf) {
		reply_error(id, "ring_buffer__new(%s): %s", map, strerror(errno));
		return;
	}
	reply_ok(id);
}

static void cmd_ifindex(long id, const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		reply_error(id, "no interface %s in this namespace", ifname);
		return;
	}
	printf("{\"id\":%ld,\"ok\":true,\"ifindex\":%u}\n", id, ifindex);
}

static void cmd_test_run(long id, const char *prog_name, const char *ifindex, const char *hpkt,
			 const char *repeat)
{
	int prog_fd = prog_fd_by_name(prog_name), err;
	unsigned char *pkt = NULL, out[4096];
	struct __sk_buff ctx = {};
	long len;

	if (prog_fd < 0) {
		reply_error(id, "no loaded program %s", prog_name);
		return;
	}
	len = hex_decode(hpkt, &pkt);
	if (len <= 0) {
		reply_error(id, "bad packet");
		return;
	}
	/* skb->ifindex comes from ctx_in: the device the packet pretends to be on. */
	ctx.ifindex = strtoul(ifindex, NULL, 0);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat ? strtoul(repeat, NULL, 10) : 1);
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	free(pkt);
	if (err) {
		reply_error(id, "BPF_PROG_TEST_RUN: %s", strerror(-err));
		return;
	}
	printf("{\"id\":%ld,\"ok\":true,\"retval\":%u,\"durationNs\":%u}\n", id, opts.retval,
	       opts.duration);
}

/* ---- request loop ------------------------------------------------------ */

#define MAX_ARGS 8

static void handle_line(char *line)
{
	char *argv[MAX_ARGS], *save = NULL, *tok;
	int argc = 0;
	long id;

	for (tok = strtok_r(line, " \t\r", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (argc < 2)
		return;
	id = strtol(argv[0], NULL, 10);
	const char *verb = argv[1];

#define NEED(n)                                                           \
	do {                                                              \
		if (argc != (n) + 2) {                                    \
			reply_error(id, "%s takes %d arguments", verb, n); \
			return;                                           \
		}                                                         \
	} while (0)

	if (!strcmp(verb, "pin-dir")) {
		if (argc != 3 && argc != 4) { reply_error(id, "pin-dir takes 1 or 2 arguments"); return; }
		cmd_pin_dir(id, argv[2], argc == 4 ? argv[3] : NULL);
	}
	else if (!strcmp(verb, "load")) {
		if (argc != 3 && argc != 4) { reply_error(id, "load takes 1 or 2 arguments"); return; }
		cmd_load(id, argv[2], !(argc == 4 && !strcmp(argv[3], "noswap")));
	}
	else if (!strcmp(verb, "swap")) { NEED(0); cmd_swap(id); }
	else if (!strcmp(verb, "gc-expired")) { NEED(2); cmd_gc_expired(id, argv[2], argv[3]); }
	else if (!strcmp(verb, "attach")) { NEED(3); cmd_attach(id, argv[2], argv[3], argv[4]); }
	else if (!strcmp(verb, "detach")) { NEED(2); cmd_detach(id, argv[2], argv[3]); }
	else if (!strcmp(verb, "links")) { NEED(0); cmd_links(id); }
	else if (!strcmp(verb, "ifindex")) { NEED(1); cmd_ifindex(id, argv[2]); }
	else if (!strcmp(verb, "update")) { NEED(3); cmd_update(id, argv[2], argv[3], argv[4]); }
	else if (!strcmp(verb, "delete")) { NEED(2); cmd_delete(id, argv[2], argv[3]); }
	else if (!strcmp(verb, "lookup")) { NEED(2); cmd_lookup(id, argv[2], argv[3]); }
	else if (!strcmp(verb, "update-batch")) { NEED(3); cmd_update_batch(id, argv[2], argv[3], argv[4]); }
	else if (!strcmp(verb, "delete-batch")) { NEED(2); cmd_delete_batch(id, argv[2], argv[3]); }
	else if (!strcmp(verb, "dump")) { NEED(1); cmd_dump(id, argv[2]); }
	else if (!strcmp(verb, "watch")) {
		if (argc != 3 && argc != 4) { reply_error(id, "watch takes 1 or 2 arguments"); return; }
		cmd_watch(id, argv[2], argc == 4 ? argv[3] : NULL);
	}
	else if (!strcmp(verb, "test-run")) {
		if (argc != 5 && argc != 6) { reply_error(id, "test-run takes 3 or 4 arguments"); return; }
		cmd_test_run(id, argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	}
	else reply_error(id, "unknown verb %s", verb);
#undef NEED
}

int main(void)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);

	/* Large, fully buffered stdout: record batches are flushed once per poll round. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(capture_libbpf_print);
	printf("{\"ready\":true,\"pid\":%d}\n", getpid());
	fflush(stdout);

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = ringbuf ? ring_buffer__epoll_fd(ringbuf) : -1, .events = POLLIN },
		};
		int n = poll(fds, 2, 250);

		if (n < 0 && errno != EINTR)
			break;
		if (ringbuf)
			consume_records();
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r;

			if (cap - len < 1 << 15) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
			r = read(STDIN_FILENO, buf + len, cap - len - 1);
			if (r <= 0)
				break; /* the agent went away: pins keep enforcing */
			len += r;
			buf[len] = 0;
			char *start = buf, *nl;

			while ((nl = memchr(start, '\n', buf + len - start))) {
				*nl = 0;
				handle_line(start);
				start = nl + 1;
			}
			len -= start - buf;
			memmove(buf, start, len);
		}
		fflush(stdout);
	}
	if (ringbuf) {
		/* Drain what is left (RECORDS_PER_ROUND at a time). */
		while (ring_buffer__consume(ringbuf) == -EAGAIN) {
			flush_record_batch();
			round_records = 0;
		}
		flush_record_batch();
		ring_buffer__free(ringbuf);
	}
	fflush(stdout);
	if (current_obj)
		bpf_object__close(current_obj);
	return 0;
}
