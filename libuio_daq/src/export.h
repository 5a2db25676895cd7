/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq. The library is built with hidden visibility: only
 * the definitions marked UDAQ_API are exported, each one declared in a
 * public header (tests/abi/check_exports.py holds the two lists equal).
 */
#ifndef UDAQ_EXPORT_H
#define UDAQ_EXPORT_H

#define UDAQ_API __attribute__((visibility("default")))

#endif
