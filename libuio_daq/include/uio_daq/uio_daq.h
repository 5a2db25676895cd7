/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libuio_daq: a userspace driver library for DMA streaming devices exposed
 * through Linux UIO.
 *
 * Conventions, for every call in this library:
 * - Handles are opaque. Functions that can fail return 0 (or a count) on
 *   success and a negative errno on failure; they never set errno as their
 *   only error report.
 * - The library keeps no global mutable state. Everything hangs off a
 *   struct udaq_ctx, which holds the sysfs and /dev roots.
 * - Thread safety is stated per call: "any thread" means the call may race
 *   with any other call on the same handle; "one thread" means the caller
 *   serialises all calls on that handle (different handles are always
 *   independent).
 * - Strings returned by accessors are owned by the handle and live until it
 *   is freed.
 */
#ifndef UIO_DAQ_UIO_DAQ_H
#define UIO_DAQ_UIO_DAQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Library context ------------------------------------------------ */

struct udaq_ctx;

/**
 * udaq_ctx_new() - Create a library context.
 * @out: receives the context.
 *
 * The sysfs root starts as $UIO_DAQ_SYSFS_ROOT or "/sys", the device root as
 * $UIO_DAQ_DEV_ROOT or "/dev" (an empty variable counts as unset; trailing
 * slashes are dropped). Thread safety: any thread.
 * Return: 0, -EINVAL if a variable holds a relative path, or -ENOMEM.
 */
int udaq_ctx_new(struct udaq_ctx **out);

/**
 * udaq_ctx_free() - Free a context; devices opened from it must be closed
 * first. NULL is a no-op. Thread safety: one thread, no other call on @ctx
 * running.
 */
void udaq_ctx_free(struct udaq_ctx *ctx);

/**
 * udaq_ctx_set_sysfs_root() / udaq_ctx_set_dev_root() - Point lookups at
 * another tree (tests, containers). @path is copied.
 * Thread safety: one thread; do not race with enumeration or open.
 * Return: 0, -EINVAL for an empty or relative path, -ENOMEM.
 */
int udaq_ctx_set_sysfs_root(struct udaq_ctx *ctx, const char *path);
int udaq_ctx_set_dev_root(struct udaq_ctx *ctx, const char *path);

/**
 * udaq_ctx_sysfs_root() / udaq_ctx_dev_root() - The roots in use ("/sys",
 * "/dev", the environment's or the last set). Valid until the next set or
 * udaq_ctx_free(). Thread safety: any thread, not racing with a set.
 */
const char *udaq_ctx_sysfs_root(const struct udaq_ctx *ctx);
const char *udaq_ctx_dev_root(const struct udaq_ctx *ctx);

/* ---- Enumeration ---------------------------------------------------- */

struct udaq_list;	/* a snapshot of the UIO devices found */
struct udaq_info;	/* one UIO device in that snapshot */

/**
 * udaq_enumerate() - Scan <sysfs>/class/uio for UIO devices.
 * @ctx: the context.
 * @out: receives the list, sorted by UIO index.
 *
 * A device whose sysfs entries are missing or malformed is still listed;
 * udaq_info_error() tells what is wrong with it, so one broken device never
 * hides the good ones. Thread safety: any thread.
 * Return: 0; -ENOENT if the class directory does not exist (no UIO support
 * loaded); other negative errnos on failure to read the directory.
 */
int udaq_enumerate(struct udaq_ctx *ctx, struct udaq_list **out);
/*
 * A list is an immutable snapshot: its accessors and those of its entries
 * may be called from any thread while nobody frees it. Out-of-range
 * indices give NULL / 0.
 */
/** udaq_list_free() - Free the snapshot and its entries. Thread safety: one thread. */
void udaq_list_free(struct udaq_list *list);
/** udaq_list_count() - Number of entries, broken ones included. Any thread. */
size_t udaq_list_count(const struct udaq_list *list);
/** udaq_list_get() - Entry @i (in uioN order), or NULL. Any thread. */
const struct udaq_info *udaq_list_get(const struct udaq_list *list, size_t i);

/** udaq_info_error() - 0, or the negative errno for a broken entry. */
int udaq_info_error(const struct udaq_info *info);
/** udaq_info_error_msg() - NULL, or a sentence naming the broken file. */
const char *udaq_info_error_msg(const struct udaq_info *info);
/** udaq_info_index() - N of uioN. */
unsigned int udaq_info_index(const struct udaq_info *info);
/** udaq_info_devname() - "uioN". */
const char *udaq_info_devname(const struct udaq_info *info);
/** udaq_info_name() / udaq_info_version() - the driver's name and version. */
const char *udaq_info_name(const struct udaq_info *info);
const char *udaq_info_version(const struct udaq_info *info);

/** Number of memory maps the device reports. */
size_t udaq_info_num_maps(const struct udaq_info *info);
/** Map @i: name (may be "" when the driver gave none), address, size, offset. */
const char *udaq_info_map_name(const struct udaq_info *info, size_t i);
uint64_t udaq_info_map_addr(const struct udaq_info *info, size_t i);
uint64_t udaq_info_map_size(const struct udaq_info *info, size_t i);
uint64_t udaq_info_map_offset(const struct udaq_info *info, size_t i);

/**
 * PCI identity of the device behind the UIO node. udaq_info_is_pci() is
 * false for non-PCI (platform) devices; the other accessors then return
 * NULL / 0. Names come from the PCI ID database through libpci and are NULL
 * when unknown.
 */
bool udaq_info_is_pci(const struct udaq_info *info);
const char *udaq_info_pci_addr(const struct udaq_info *info);	/* "0000:03:00.0" */
uint16_t udaq_info_pci_vendor(const struct udaq_info *info);
uint16_t udaq_info_pci_device(const struct udaq_info *info);
const char *udaq_info_pci_vendor_name(const struct udaq_info *info);
const char *udaq_info_pci_device_name(const struct udaq_info *info);

/* ---- Devices -------------------------------------------------------- */

struct udaq_dev;
struct udaq_map;

/**
 * udaq_dev_open() - Open a device.
 * @ctx: the context (must outlive the device).
 * @spec: "/dev/uioN", "uioN", a PCI address ("0000:03:00.0" or "03:00.0"),
 *        a UIO name as in <sysfs>/class/uio/uioN/name, or "sim" optionally
 *        followed by ":key=value,..." options for the simulated refdaq (see
 *        docs/simulator.md: ring=16M, chunk=1M, channels=8, maxrate=...).
 * @out: receives the device.
 *
 * Thread safety: any thread.
 * Return: 0; -ENODEV if nothing matches; -EINVAL for a malformed spec or
 * sim option; -EBUSY if a name matches several devices; -EACCES / -ENOENT
 * from opening the node; -ENOMEM.
 */
int udaq_dev_open(struct udaq_ctx *ctx, const char *spec, struct udaq_dev **out);

/**
 * udaq_sim_options_check() - Explain why a simulator spec is bad.
 * @spec: "sim" or "sim:key=value,..." as given to udaq_dev_open().
 * @msg: receives a one-line reason naming the bad option (or "ok").
 * @msglen: size of @msg.
 *
 * udaq_dev_open() returns only -EINVAL for a bad option; call this to get
 * a message to show. Thread safety: any thread.
 * Return: 0 if udaq_dev_open() would accept the options, -EINVAL.
 */
int udaq_sim_options_check(const char *spec, char *msg, size_t msglen);

/**
 * udaq_sim_spec_options() - Is @spec one for the simulator?
 * @spec: a spec as given to udaq_dev_open().
 *
 * Thread safety: any thread (a pure function of @spec).
 * Return: the options part of a simulator spec ("" for "sim", what follows
 * "sim:" otherwise), pointing into @spec; NULL if @spec is not one (or is
 * NULL).
 */
const char *udaq_sim_spec_options(const char *spec);

/**
 * udaq_dev_close() - Unmap every map, close the node (and stop a simulator).
 * NULL is a no-op. Thread safety: one thread, no other call on @dev running
 * (maps and pointers into them become invalid).
 */
void udaq_dev_close(struct udaq_dev *dev);

/*
 * Device and map accessors below read what was fixed at open: any thread.
 */
/** udaq_dev_name() - the UIO name ("refdaq", "uio_daq", "refdaq-sim"). */
const char *udaq_dev_name(const struct udaq_dev *dev);
/** udaq_dev_devname() - "uioN", or "sim". */
const char *udaq_dev_devname(const struct udaq_dev *dev);
/** udaq_dev_is_sim() - true for the simulated transport. */
bool udaq_dev_is_sim(const struct udaq_dev *dev);
/** PCI vendor and device of the device (0 if not PCI). */
uint16_t udaq_dev_pci_vendor(const struct udaq_dev *dev);
uint16_t udaq_dev_pci_device(const struct udaq_dev *dev);
/** udaq_dev_pci_addr() - PCI address, or NULL. */
const char *udaq_dev_pci_addr(const struct udaq_dev *dev);
/** udaq_dev_num_maps() - Number of maps the device has (sysfs maps/mapN). */
size_t udaq_dev_num_maps(const struct udaq_dev *dev);

/**
 * udaq_dev_map() / udaq_dev_map_by_name() - Map a memory map, once.
 * @dev: the device.
 * @index / @name: which map.
 * @flags: UDAQ_MAP_* flags.
 * @out: receives the map, owned by @dev (unmapped on close). Mapping the
 *       same index again returns the same map if the flags agree.
 *
 * The size is the one sysfs reports. With UDAQ_MAP_DOUBLE the map is mapped
 * twice back to back, so that a span that wraps around its end is still
 * contiguous in memory (used for the ring); its size must be a multiple of
 * the page size. A write through a UDAQ_MAP_READONLY map is dropped by
 * udaq_map_write32(). Thread safety: any thread.
 * Return: 0; -ENOENT for no such map; -EEXIST if mapped with other flags;
 * -EINVAL for unknown flags, a zero-sized map, or UDAQ_MAP_DOUBLE on a map
 * that is not page aligned and page sized; -errno from mmap.
 */
#define UDAQ_MAP_READONLY	(1u << 0)
#define UDAQ_MAP_DOUBLE		(1u << 1)
int udaq_dev_map(struct udaq_dev *dev, size_t index, unsigned int flags,
		 struct udaq_map **out);
int udaq_dev_map_by_name(struct udaq_dev *dev, const char *name,
			 unsigned int flags, struct udaq_map **out);

/** Address (of the first copy for double maps), size and name of a map. */
void *udaq_map_addr(const struct udaq_map *map);
size_t udaq_map_size(const struct udaq_map *map);
const char *udaq_map_name(const struct udaq_map *map);
/** Physical/bus address sysfs reports for the map (0 for the simulator). */
uint64_t udaq_map_phys(const struct udaq_map *map);

/* ---- Register access ------------------------------------------------ */
/*
 * Register accessors. Use these, not raw pointers, for register maps: on a
 * UIO device they are volatile 32-bit accesses with fences that order them
 * against ordinary memory as the kernel's readl()/writel() do (data the
 * device wrote by DMA before a register changed is visible after reading
 * it; memory written before a doorbell write is visible to the device). On
 * the simulated device they are delivered to the register model, which is
 * how write-1-to-clear and latching registers behave exactly as on
 * hardware. @off must be 4-byte aligned and inside the map; an access
 * outside it reads all-ones and is dropped.
 * Thread safety: any thread.
 */
uint32_t udaq_map_read32(const struct udaq_map *map, size_t off);
void udaq_map_write32(struct udaq_map *map, size_t off, uint32_t v);

/** 64-bit register as two halves, low first (reading low latches high). */
static inline uint64_t udaq_map_read64_lohi(const struct udaq_map *map, size_t off)
{
	uint64_t lo = udaq_map_read32(map, off);

	return lo | ((uint64_t)udaq_map_read32(map, off + 4) << 32);
}

/** Writes low then high (writing high commits the value). */
static inline void udaq_map_write64_lohi(struct udaq_map *map, size_t off, uint64_t v)
{
	udaq_map_write32(map, off, (uint32_t)v);
	udaq_map_write32(map, off + 4, (uint32_t)(v >> 32));
}

/**
 * udaq_mem_read64() - Read a 64-bit value the device writes by DMA into
 * ordinary (coherent) memory, with acquire ordering, so that the data it
 * publishes is visible after the read. @p must be 8-byte aligned.
 */
static inline uint64_t udaq_mem_read64(const volatile void *p)
{
	return __atomic_load_n((const volatile uint64_t *)p, __ATOMIC_ACQUIRE);
}

/* ---- Interrupts ----------------------------------------------------- */

/**
 * udaq_dev_irq_fd() - A file descriptor that polls readable when an
 * interrupt is pending (the /dev/uioN node, or the simulator's eventfd).
 * Use it in your own poll loop, then consume the event with
 * udaq_dev_irq_wait(dev, 0, &missed). Owned by @dev. Thread safety: any
 * thread (polling it from several threads races for the same events).
 */
int udaq_dev_irq_fd(const struct udaq_dev *dev);

/**
 * udaq_dev_irq_enable() - Unmask (true) or mask (false) the interrupt in
 * the kernel driver (UIO irqcontrol). Thread safety: any thread.
 * Return: 0; -ENOTSUP if the driver has no irqcontrol; -errno.
 */
int udaq_dev_irq_enable(struct udaq_dev *dev, bool enable);

/**
 * udaq_dev_irq_wait() - Wait for an interrupt.
 * @dev: the device.
 * @timeout_ms: -1 waits forever, 0 polls.
 * @missed: if not NULL, receives how many interrupts were raised but not
 *          seen individually since the previous wait (the UIO event count
 *          advanced by more than one).
 *
 * Consumes the pending event. The caller re-enables with
 * udaq_dev_irq_enable() when the kernel masks on delivery (INTx).
 * Thread safety: one thread.
 * Return: 1 on an interrupt, 0 on timeout, -ENODEV if the device went away,
 * -EINTR, other -errno.
 */
int udaq_dev_irq_wait(struct udaq_dev *dev, int timeout_ms, uint32_t *missed);

/**
 * udaq_dev_irq_count() - total interrupts accounted for by udaq_dev_irq_wait():
 * each successful wait counts one plus what it reported as missed.
 * Thread safety: any thread.
 */
uint64_t udaq_dev_irq_count(const struct udaq_dev *dev);

/** udaq_version() - the library's version string, e.g. "0.1.0". Any thread. */
const char *udaq_version(void);

#ifdef __cplusplus
}
#endif

#endif /* UIO_DAQ_UIO_DAQ_H */
