/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lsdaq: list UIO devices and their memory maps, as a table or as JSON.
 *
 * In the spirit of lsuio and gpiodetect: everything comes from the
 * library's enumeration, so lsdaq shows exactly what udaq_dev_open() would
 * see. A broken entry is shown with its problem and makes the exit status
 * non-zero, but never hides the good ones.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include <uio_daq/uio_daq.h>

enum {
	EXIT_BROKEN = 1,	/* listed, but at least one entry is broken */
	EXIT_USAGE = 2,		/* bad arguments, or nothing could be read */
};

static const char *progname = "lsdaq";

static void usage(FILE *out)
{
	fprintf(out,
"Usage: %s [OPTIONS]\n"
"List UIO devices (<sysfs>/class/uio) with their PCI identity and memory maps.\n"
"\n"
"Options:\n"
"  -j, --json             print JSON instead of a table\n"
"  -s, --sysfs-root=DIR   read DIR/class/uio (default: $UIO_DAQ_SYSFS_ROOT, or /sys)\n"
"  -d, --dev-root=DIR     device nodes live in DIR (default: $UIO_DAQ_DEV_ROOT, or /dev)\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit status:\n"
"  0  every device was listed (also when there are none, or no UIO support:\n"
"     a note then goes to stderr)\n"
"  1  at least one device entry is broken; it is listed with its problem,\n"
"     the others are listed normally\n"
"  2  bad usage, or the UIO class directory could not be read\n",
		progname);
}

/* Relative roots are taken from the current directory, as users expect. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *out;

	if (path[0] == '/' || !path[0])
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	return name ? name : "EUNKNOWN";
}

static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static const char *or_text(const char *s, const char *fallback)
{
	return s ? s : fallback;
}

/* ---- Table ------------------------------------------------------------- */

struct widths {
	int dev, name, version, pci;
};

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void print_maps(const struct udaq_info *info)
{
	size_t i, n = udaq_info_num_maps(info);
	int wname = 4;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		wname = max_int(wname, (int)strlen(or_dash(udaq_info_map_name(info, i))));
	printf("    %-3s  %-*s  %-18s  %-18s  %s\n", "MAP", wname, "NAME",
	       "ADDR", "SIZE", "OFFSET");
	for (i = 0; i < n; i++)
		printf("    %-3zu  %-*s  0x%016" PRIx64 "  0x%016" PRIx64 "  0x%" PRIx64 "\n",
		       i, wname, or_dash(udaq_info_map_name(info, i)),
		       udaq_info_map_addr(info, i), udaq_info_map_size(info, i),
		       udaq_info_map_offset(info, i));
}

static void print_table(const struct udaq_list *list)
{
	struct widths w = { 6, 4, 7, 3 };
	size_t i, n = udaq_list_count(list);

	for (i = 0; i < n; i++) {
		const struct udaq_info *info = udaq_list_get(list, i);

		w.dev = max_int(w.dev, (int)strlen(udaq_info_devname(info)));
		w.name = max_int(w.name, (int)strlen(or_dash(udaq_info_name(info))));
		w.version = max_int(w.version, (int)strlen(or_dash(udaq_info_version(info))));
		w.pci = max_int(w.pci, (int)strlen(or_dash(udaq_info_pci_addr(info))));
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-9s  %s\n", w.dev, "DEVICE", w.name,
	       "NAME", w.version, "VERSION", w.pci, "PCI", "ID", "VENDOR / DEVICE");
	for (i = 0; i < n; i++) {
		const struct udaq_info *info = udaq_list_get(list, i);
		char id[16] = "-";

		if (udaq_info_is_pci(info))
			snprintf(id, sizeof(id), "%04x:%04x",
				 udaq_info_pci_vendor(info), udaq_info_pci_device(info));
		printf("%-*s  %-*s  %-*s  %-*s  %-9s  ", w.dev,
		       udaq_info_devname(info), w.name, or_dash(udaq_info_name(info)),
		       w.version, or_dash(udaq_info_version(info)), w.pci,
		       or_dash(udaq_info_pci_addr(info)), id);
		if (udaq_info_is_pci(info))
			printf("%s / %s\n",
			       or_text(udaq_info_pci_vendor_name(info), "unknown vendor"),
			       or_text(udaq_info_pci_device_name(info), "unknown device"));
		else
			printf("-\n");
		if (udaq_info_error(info))
			printf("    BROKEN (%s): %s\n", errname(udaq_info_error(info)),
			       udaq_info_error_msg(info));
		print_maps(info);
	}
}

/* ---- JSON -------------------------------------------------------------- */

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *json_info(const struct udaq_info *info,
				     const char *dev_root)
{
	struct json_object *o = json_object_new_object();
	struct json_object *maps = json_object_new_array();
	size_t i;
	char node[PATH_MAX + 32];

	snprintf(node, sizeof(node), "%s/%s",
		 strcmp(dev_root, "/") ? dev_root : "", udaq_info_devname(info));
	json_object_object_add(o, "index", json_object_new_int64(udaq_info_index(info)));
	json_object_object_add(o, "devname", json_object_new_string(udaq_info_devname(info)));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "name", json_object_new_string(udaq_info_name(info)));
	json_object_object_add(o, "version", json_object_new_string(udaq_info_version(info)));
	if (udaq_info_is_pci(info)) {
		struct json_object *pci = json_object_new_object();
		char id[16];

		snprintf(id, sizeof(id), "%04x:%04x", udaq_info_pci_vendor(info),
			 udaq_info_pci_device(info));
		json_object_object_add(pci, "address",
				       json_object_new_string(udaq_info_pci_addr(info)));
		json_object_object_add(pci, "id", json_object_new_string(id));
		json_object_object_add(pci, "vendor",
				       json_object_new_int(udaq_info_pci_vendor(info)));
		json_object_object_add(pci, "device",
				       json_object_new_int(udaq_info_pci_device(info)));
		json_object_object_add(pci, "vendor_name",
				       str_or_null(udaq_info_pci_vendor_name(info)));
		json_object_object_add(pci, "device_name",
				       str_or_null(udaq_info_pci_device_name(info)));
		json_object_object_add(o, "pci", pci);
	} else {
		json_object_object_add(o, "pci", NULL);
	}
	for (i = 0; i < udaq_info_num_maps(info); i++) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "index", json_object_new_int64((int64_t)i));
		json_object_object_add(m, "name",
				       json_object_new_string(udaq_info_map_name(info, i)));
		json_object_object_add(m, "addr",
				       json_object_new_uint64(udaq_info_map_addr(info, i)));
		json_object_object_add(m, "size",
				       json_object_new_uint64(udaq_info_map_size(info, i)));
		json_object_object_add(m, "offset",
				       json_object_new_uint64(udaq_info_map_offset(info, i)));
		json_object_array_add(maps, m);
	}
	json_object_object_add(o, "maps", maps);
	if (udaq_info_error(info)) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "code",
				       json_object_new_string(errname(udaq_info_error(info))));
		json_object_object_add(e, "errno",
				       json_object_new_int(-udaq_info_error(info)));
		json_object_object_add(e, "message",
				       json_object_new_string(udaq_info_error_msg(info)));
		json_object_object_add(o, "error", e);
	} else {
		json_object_object_add(o, "error", NULL);
	}
	return o;
}

static void print_json(const struct udaq_list *list, const struct udaq_ctx *ctx)
{
	struct json_object *root = json_object_new_object();
	struct json_object *devs = json_object_new_array();
	size_t i;

	json_object_object_add(root, "sysfs_root",
			       json_object_new_string(udaq_ctx_sysfs_root(ctx)));
	json_object_object_add(root, "dev_root",
			       json_object_new_string(udaq_ctx_dev_root(ctx)));
	for (i = 0; i < udaq_list_count(list); i++)
		json_object_array_add(devs, json_info(udaq_list_get(list, i),
						      udaq_ctx_dev_root(ctx)));
	json_object_object_add(root, "devices", devs);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

/* ---- main -------------------------------------------------------------- */

static int set_root(struct udaq_ctx *ctx, const char *what, const char *arg,
		    int (*set)(struct udaq_ctx *, const char *))
{
	char *path = absolute(arg);
	int ret;

	if (!path) {
		fprintf(stderr, "%s: %s '%s': %s\n", progname, what, arg, strerror(errno));
		return -1;
	}
	ret = set(ctx, path);
	if (ret)
		fprintf(stderr, "%s: %s '%s': %s\n", progname, what, arg,
			ret == -EINVAL ? "must be a non-empty path" : strerror(-ret));
	free(path);
	return ret ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "dev-root", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sysfs_arg = NULL, *dev_arg = NULL;
	struct udaq_list *list = NULL;
	struct udaq_ctx *ctx;
	bool json = false;
	size_t i, broken = 0;
	int c, ret;

	if (argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');

		progname = slash ? slash + 1 : argv[0];
	}
	while ((c = getopt_long(argc, argv, "js:d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			sysfs_arg = optarg;
			break;
		case 'd':
			dev_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("%s (uio-daq) %s\n", progname, udaq_version());
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", progname);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n"
			"Try '%s --help' for more information.\n",
			progname, argv[optind], progname);
		return EXIT_USAGE;
	}

	ret = udaq_ctx_new(&ctx);
	if (ret) {
		if (ret == -EINVAL)
			fprintf(stderr, "%s: UIO_DAQ_SYSFS_ROOT and UIO_DAQ_DEV_ROOT must be absolute paths\n",
				progname);
		else
			fprintf(stderr, "%s: cannot create a context: %s\n",
				progname, strerror(-ret));
		return EXIT_USAGE;
	}
	if ((sysfs_arg && set_root(ctx, "--sysfs-root", sysfs_arg,
				   udaq_ctx_set_sysfs_root)) ||
	    (dev_arg && set_root(ctx, "--dev-root", dev_arg, udaq_ctx_set_dev_root))) {
		udaq_ctx_free(ctx);
		return EXIT_USAGE;
	}

	ret = udaq_enumerate(ctx, &list);
	if (ret == -ENOENT) {
		/* No UIO support is a normal state of a machine, not a failure. */
		fprintf(stderr, "%s: no UIO devices: %s/class/uio does not exist; is the uio module loaded?\n",
			progname, udaq_ctx_sysfs_root(ctx));
	} else if (ret) {
		fprintf(stderr, "%s: cannot read %s/class/uio: %s\n", progname,
			udaq_ctx_sysfs_root(ctx), strerror(-ret));
		udaq_ctx_free(ctx);
		return EXIT_USAGE;
	} else if (!udaq_list_count(list)) {
		fprintf(stderr, "%s: no UIO devices in %s/class/uio\n", progname,
			udaq_ctx_sysfs_root(ctx));
	}

	if (json)
		print_json(list, ctx);
	else if (udaq_list_count(list))
		print_table(list);

	for (i = 0; i < udaq_list_count(list); i++) {
		const struct udaq_info *info = udaq_list_get(list, i);

		if (!udaq_info_error(info))
			continue;
		broken++;
		fprintf(stderr, "%s: %s: broken entry: %s\n", progname,
			udaq_info_devname(info), udaq_info_error_msg(info));
	}
	udaq_list_free(list);
	udaq_ctx_free(ctx);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: write error on standard output\n", progname);
		return EXIT_USAGE;
	}
	return broken ? EXIT_BROKEN : EXIT_SUCCESS;
}
