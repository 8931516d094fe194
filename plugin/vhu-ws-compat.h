/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-compat.h - the Wireshark API drift between 4.0, 4.4 and 4.6,
 * absorbed in one place so that the rest of the plugin has one source.
 *
 * Upstream moved preference and callback types from gboolean to bool in
 * 4.2, moved value_string.h to wsutil/ in 4.6, and grew a new plugin
 * registration macro (WIRESHARK_PLUGIN_REGISTER_EPAN) in 4.6.
 */
#ifndef VHU_WS_COMPAT_H
#define VHU_WS_COMPAT_H

#include <wireshark.h>
#include <ws_version.h>

#define VHU_WS_AT_LEAST(maj, min) \
	(WIRESHARK_VERSION_MAJOR > (maj) || \
	 (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

#if VHU_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
/* Preference variables are bool * since 4.2. */
typedef bool vhu_ws_bool;
#else
typedef gboolean vhu_ws_bool;
#endif

#if VHU_WS_AT_LEAST(4, 6)
#include <wsutil/value_string.h>
#else
#include <epan/value_string.h>
#endif

#endif
